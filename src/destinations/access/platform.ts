/**
 * What an access platform does for the access destination. Islandora 7 (books over SSH and drush)
 * is one; a static IIIF site or Islandora 2 would be others, beside it. The rules that do not
 * depend on the platform — which folders may be published, all or nothing, freshness, regenerate,
 * the ArchivesSpace links — live in the generic orchestration (destination.ts), not here.
 */
import type { CheckResult, PreparedFolder, PreservedImage, RunScope } from '../destination.js';
import type { CollectionInfo } from './collectionInfo.js';

/** Where the public finds a published folder; recorded as the digital object's file versions. */
export interface AccessLinks {
  objectUrl: string;
  thumbnailUrl: string;
}

/** One page of an access copy and the preservation image it was made from. */
export interface EditionPage {
  /** 1-based position in the published copy, zero-padded: "0001". */
  page: string;
  /** sha512 of the preservation JP2 the page was made from. */
  sourceSha512: string;
}

/**
 * What a published copy must be made from: the folder's complete, verified set of images in
 * order, and a digest of the descriptive metadata used (title, dates, extent, rights, arrangement).
 */
export interface AccessEdition {
  pages: (EditionPage & { image: PreservedImage })[];
  metadataDigest: string;
}

/** What the platform holds of a folder, as read back from the platform itself. */
export interface PublishedCopy {
  links: AccessLinks;
  /** False when only parts are there (pages without their book, a book left hidden). */
  complete: boolean;
  /** The pages found, in order, with the source each records ("" when it records none). */
  pages: EditionPage[];
  /** The metadata digest the copy records, if any. */
  metadataDigest?: string;
}

export interface AccessPlatform {
  readonly name: string;
  check(): Promise<CheckResult>;
  /** Throws, before anything is sent, when the folder cannot be published (naming rules…). */
  validate(collection: CollectionInfo, folder: PreparedFolder): void;
  /** The links the folder's copy has (or would have) on this platform. */
  linksFor(collection: CollectionInfo, folder: PreparedFolder): AccessLinks;
  /** Whether a link points at this folder's copy on the platform; default: the object URL or anything under it. */
  owns?(collection: CollectionInfo, folder: PreparedFolder, uri: string): boolean;
  /**
   * True when publish() replaces an outdated copy whole by itself (the public one stays until the
   * new one is complete); false when the outdated copy must be removed first.
   */
  readonly updatesInPlace?: boolean;
  /** Where a person sees the published copy in a viewer, when the platform has one (IIIF). */
  viewerUrl?(links: AccessLinks): string | undefined;
  /** Reads what the platform holds of the folder; undefined when nothing of it is there. */
  inspect(collection: CollectionInfo, folder: PreparedFolder, run: RunScope): Promise<PublishedCopy | undefined>;
  /** Makes the access copies of the edition and publishes them (creating the collection when missing). */
  publish(collection: CollectionInfo, folder: PreparedFolder, edition: AccessEdition, run: RunScope): Promise<AccessLinks>;
  /** Removes everything the platform holds of the folder (a partial or outdated copy). */
  remove(collection: CollectionInfo, folder: PreparedFolder, run: RunScope): Promise<void>;
}
