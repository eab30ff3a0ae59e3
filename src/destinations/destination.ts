/**
 * A destination is where a run sends a folder's files: cloud (S3), onsite (LTO tape) or access
 * (Islandora). Each is one module behind this interface, chosen by settings (CLOUD_PLATFORM,
 * ONSITE_MEDIUM, ACCESS_PLATFORM), so another can be added beside it.
 */
import type { ArchivesSpace, Arrangement, FileVersion, FolderRecord } from '../archivesspace/types.js';
import { PermanentError } from '../policies.js';
import type { Reporter } from '../runs/reporter.js';
import type { Jp2Technical } from '../images/technical.js';

export type DestinationProcess = 'cloud' | 'onsite' | 'access';

/** The order the original called its modules in: onsite, cloud, access. */
export const DESTINATION_ORDER: readonly DestinationProcess[] = ['onsite', 'cloud', 'access'];

/** What a destination gets about the run it is part of. */
export interface RunScope {
  runId: string;
  collectionId: string;
  /** Who asked for the run (e-mail address and display name), for version messages and logs. */
  user: { email: string; name: string };
  processes: readonly string[];
  reporter: Reporter;
  aspace: ArchivesSpace;
  signal?: AbortSignal;
  /**
   * Call before each write outside the worker (upload, tape write, ingest), naming it: throws when
   * the worker lost the run's claim or the run was cancelled (src/alchemist/fence.ts).
   */
  fence?: (before: string) => Promise<void>;
  /** Access copies are made again and replace the published ones even when they are current. */
  regenerate?: boolean;
}

/** One preserved image: a verified lossless JP2 (with XMP) made from a TIFF scan. */
export interface PreservedImage {
  /** Zero-padded sequence from the file name, e.g. "0001". */
  sequence: string;
  /** The original TIFF (never modified). */
  sourcePath: string;
  /** The stable Crockford-style id (`xxxx_xxxx`), also the digital object component id. */
  componentId: string;
  /** Local path of the preservation JP2. */
  jp2Path: string;
  /** Its path inside the OCFL object (logical path). */
  logicalPath: string;
  bytes: number;
  digests: { sha512: string; sha256: string; md5: string };
  technical: Jp2Technical;
  /** The digital object component this image is recorded as ("" when the run records no components: access only). */
  componentUri: string;
  /** The component's file versions as found before this run's destinations (the original's copies among them). */
  recordedCopies?: FileVersion[];
}

/** A file of the folder other than a TIFF scan (PDF, audio, video, text…), preserved as it is. */
export interface PreservedFile {
  /** The file in the collection folder (never modified). */
  sourcePath: string;
  name: string;
  /** Its component id (`xxxx_xxxx`), also its name inside the object. */
  componentId: string;
  /** Its path inside the OCFL object: `<folder prefix><file name>/<component id>.<ext>`. */
  logicalPath: string;
  bytes: number;
  digests: { sha512: string; sha256: string; md5: string };
  /** What ArchivesSpace is told about its format (from exiftool). */
  format: { name?: string; version: string; caption?: string; useStatement: string };
  componentUri: string;
  recordedCopies?: FileVersion[];
}

/** The OCFL object version that holds a folder's preservation files. */
export interface PreservationPackage {
  storageRoot: string;
  objectId: string;
  /** Path of the object root relative to the storage root (from the layout extension). */
  objectPath: string;
  /** The version this run made or found, e.g. "v2". */
  version: string;
  /** True when the payload files of earlier versions are still on local disk. */
  payloadLocal: boolean;
}

/** A folder ready for its destinations: metadata resolved, images converted and verified, packaged. */
export interface PreparedFolder {
  name: string;
  path: string;
  record: FolderRecord & { digitalObjectUri: string };
  arrangement: Arrangement;
  images: PreservedImage[];
  /** The folder's other files, preserved as they are (in the object, each with a component). */
  files?: PreservedFile[];
  package?: PreservationPackage;
  /** Folder JSON and collection JSON as the original saved them, for destinations that send them. */
  folderJsonPath?: string;
  collectionJsonPath?: string;
  /** Scans of the folder that could not be converted and verified (so `images` is not the whole folder). */
  incomplete?: { path: string; reason: string }[];
}

/**
 * A destination could not take this one folder (an unpublished record, an incomplete set of
 * scans, links that point elsewhere…): the run says why, and the other folders go on.
 */
export class FolderNotDelivered extends PermanentError {}

export interface CheckResult {
  ok: boolean;
  /** One line for `distillery check`, e.g. "s3: bucket distillery-preservation reachable". Never a secret. */
  detail: string;
}

export interface Destination {
  readonly process: DestinationProcess;
  /** The module name from settings, e.g. "s3", "tape", "islandora". */
  readonly platform: string;
  /** Reachability and versions, for `distillery check`. */
  check(): Promise<CheckResult>;
  /** Once per run before the first folder (e.g. check the bucket, position the tape). */
  begin?(run: RunScope): Promise<void>;
  /**
   * Sends one folder and records its locations in ArchivesSpace. Must be idempotent: a rerun
   * sends and records nothing twice. Must verify what it sent before it returns (or defer to
   * finish, which then verifies). Throws with a message that says what to do.
   */
  deliver(run: RunScope, folder: PreparedFolder): Promise<void>;
  /** Once per run after the last folder (e.g. write the tape file and read it back). */
  finish?(run: RunScope): Promise<void>;
}
