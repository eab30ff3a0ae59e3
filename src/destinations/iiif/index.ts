/** The access destination for ACCESS_PLATFORM=iiif (static IIIF; see platform.ts). */
import { AccessDestination } from '../islandora/access.js';
import { IiifPlatform } from './platform.js';
import { FolderPublisher, S3Publisher, type Publisher } from './publisher.js';
import type { IiifSettings } from './settings.js';

export { IiifPlatform } from './platform.js';
export { readIiifSettings, type IiifSettings } from './settings.js';

export function publisherFromSettings(s: IiifSettings): Publisher {
  const p = s.publishTo;
  return p.kind === 'folder' ? new FolderPublisher(p.path) : new S3Publisher({ bucket: p.bucket, prefix: p.prefix, ...s.s3! });
}

export function iiifDestinationFromSettings(s: IiifSettings, opjDecompressCommand: string): AccessDestination {
  return new AccessDestination(new IiifPlatform({
    baseUrl: s.baseUrl,
    publisher: publisherFromSettings(s),
    tileSize: s.tileSize,
    thumbnailSize: s.thumbnailSize,
    opjDecompressCommand,
    recordLinkBase: s.recordLinkBase,
    viewerUrl: s.viewerUrl,
  }));
}
