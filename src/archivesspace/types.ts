/**
 * The ArchivesSpace operations Distillery needs, as one small interface. The HTTP client
 * (client.ts) implements it against a real server or the stand-in; every write is idempotent.
 */

/** A `file_version` subrecord as ArchivesSpace stores it (only the fields Distillery writes). */
export interface FileVersion {
  file_uri: string;
  publish?: boolean;
  is_representative?: boolean;
  use_statement?: string;
  checksum?: string;
  checksum_method?: 'md5' | 'sha-1' | 'sha-256' | 'sha-384' | 'sha-512';
  file_format_name?: string;
  file_format_version?: string;
  file_size_bytes?: number;
  caption?: string;
  xlink_show_attribute?: 'new' | 'replace' | 'embed' | 'other' | 'none';
  xlink_actuate_attribute?: string;
}

/** ArchivesSpace's digital_object_type values Distillery sets (the 2024 original set the first three). */
export type DigitalObjectType = 'still_image' | 'moving_image' | 'sound_recording' | 'text' | 'mixed_materials';

/** The collection (resource) a run is about. */
export interface Collection {
  uri: string;
  id0: string;
  title: string;
  /** The full resource JSON as ArchivesSpace returned it (saved as `<ID>.json`). */
  record: Record<string, unknown>;
  /** The text of the first published `userestrict` note, if any (XMP rights). */
  useRestriction?: string;
}

/** Names and identifiers of a folder's place in the collection, computed as the original did. */
export interface Arrangement {
  repositoryName: string;
  repositoryCode: string;
  collectionDisplay: string;
  collectionId: string;
  seriesDisplay?: string;
  seriesId?: string;
  subseriesDisplay?: string;
  subseriesId?: string;
  folderDisplay: string;
  folderTitle: string;
}

/** One folder's archival object, resolved, with its digital object once it exists. */
export interface FolderRecord {
  componentId: string;
  archivalObjectUri: string;
  /** Full archival object JSON (resolved) as returned by ArchivesSpace. */
  archivalObject: Record<string, unknown>;
  arrangement: Arrangement;
  digitalObjectUri?: string;
  /** Number of extents when the folder has exactly one (the original's `[image n/extent]` rule). */
  extentNumber?: string;
  dates: { expression?: string; begin?: string; end?: string; date_type?: string }[];
}

export interface ComponentRecord {
  uri: string;
  componentId: string;
  label: string;
  fileVersions: FileVersion[];
}

export interface ArchivesSpace {
  /** Finds the resource whose id_0 is exactly `collectionId` (case-sensitive). */
  findCollection(collectionId: string): Promise<Collection>;
  /** Finds the single archival object with this component id and computes its arrangement. */
  findFolder(componentId: string): Promise<FolderRecord>;
  /**
   * Returns the folder's digital object (digital_object_id = component id), creating and linking
   * it once; `type` is its digital_object_type, set when the object has none.
   */
  ensureDigitalObject(folder: FolderRecord, opts?: { type?: DigitalObjectType }): Promise<FolderRecord & { digitalObjectUri: string }>;
  /** Every component of a digital object, in tree order (to recognise what an earlier run or the original made). */
  components?(digitalObjectUri: string): Promise<ComponentRecord[]>;
  /** Finds the component with this component_id under the digital object, or creates it once. */
  ensureComponent(digitalObjectUri: string, component: { componentId: string; label: string; position?: number }): Promise<ComponentRecord>;
  /**
   * Adds or replaces (matched by file_uri, or by `replaces` — the same copy under an older
   * address) a file version on a component or digital object.
   */
  upsertFileVersions(uri: string, fileVersions: FileVersion[], opts?: { replaces?: (fileUri: string) => boolean }): Promise<void>;
  /** The file versions a record (digital object or component) has now. */
  fileVersionsOf(uri: string): Promise<FileVersion[]>;
  /**
   * Rewrites a record's file versions (re-read and re-applied on a stale lock_version): `rewrite`
   * gets the current list and returns the new one; `publish` sets the record's own publish flag.
   * Nothing is written when both are already so. Returns whether the record changed.
   */
  rewriteFileVersions(uri: string, rewrite: (current: FileVersion[]) => FileVersion[], opts?: { publish?: boolean }): Promise<boolean>;
  /** Finds or creates a top container of type Tape, and links it to the archival object once. */
  ensureTapeContainer(archivalObjectUri: string, indicator: string, containerProfileUri?: string): Promise<string>;
  /** Staff-interface link for a record, for the status stream. */
  staffUrl(uri: string): string;
}

/** A digital object as the report shows it: its id, file versions and components. */
export interface DigitalObjectRecord {
  uri: string;
  digitalObjectId: string;
  title: string;
  fileVersions: FileVersion[];
  /** Archival objects (or resources) that link to it. */
  linkedInstances: string[];
  components: ComponentRecord[];
}

/** One archival object in a collection's tree, in tree order. */
export interface TreeNode {
  uri: string;
  title: string | null;
  level: string;
  componentId?: string;
  /** 1 for the collection's top-level children. */
  depth: number;
  childCount: number;
}

/** Read-only lookups (used by the report, which must write nothing). */
export interface ArchivesSpaceLookups {
  /** The digital object with this digital_object_id, if any. */
  findDigitalObject(digitalObjectId: string): Promise<string | undefined>;
  /** A digital object with its components (walked through its tree, pages of 200). */
  readDigitalObject(uri: string): Promise<DigitalObjectRecord>;
  /** Every archival object under a resource, depth first (tree/root and tree/waypoint pages). */
  readCollectionTree(resourceUri: string): Promise<TreeNode[]>;
}
