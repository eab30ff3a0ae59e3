/**
 * What an access platform does for the access destination. Islandora 7 (books over SSH and drush)
 * is one; Islandora 2 over its REST API or a static IIIF site would be others, beside it, reusing
 * the same orchestration and ArchivesSpace recording (access.ts).
 */
import type { CheckResult, PreparedFolder, RunScope } from '../destination.js';
import type { CollectionInfo } from './collectionInfo.js';

/** Where the public finds a published folder; recorded as the digital object's file versions. */
export interface AccessLinks {
  objectUrl: string;
  thumbnailUrl: string;
}

export interface AccessPlatform {
  readonly name: string;
  check(): Promise<CheckResult>;
  /** Throws, before anything is sent, when the folder cannot be published (naming rules…). */
  validate(collection: CollectionInfo, folder: PreparedFolder): void;
  /** The links of the folder when it is already published; undefined when it is not. */
  find(collection: CollectionInfo, folder: PreparedFolder, run: RunScope): Promise<AccessLinks | undefined>;
  /** Makes the access copies, publishes them (creating the collection when missing), verifies. */
  publish(collection: CollectionInfo, folder: PreparedFolder, run: RunScope): Promise<AccessLinks>;
}
