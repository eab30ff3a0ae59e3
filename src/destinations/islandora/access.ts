/**
 * The access process for any platform: validate, skip what is already published, publish, then
 * record the links on the folder's digital object in ArchivesSpace (merged, once per folder).
 */
import type { FileVersion } from '../../archivesspace/types.js';
import type { CheckResult, Destination, PreparedFolder, RunScope } from '../destination.js';
import { readCollectionInfo } from './collectionInfo.js';
import type { AccessLinks, AccessPlatform } from './platform.js';

export function accessFileVersions(links: AccessLinks): FileVersion[] {
  return [
    { file_uri: links.objectUrl, publish: true },
    { file_uri: links.thumbnailUrl, publish: true, xlink_show_attribute: 'embed' },
  ];
}

export class AccessDestination implements Destination {
  readonly process = 'access' as const;

  constructor(protected readonly access: AccessPlatform) {}

  get platform(): string {
    return this.access.name;
  }

  check(): Promise<CheckResult> {
    return this.access.check();
  }

  async deliver(run: RunScope, folder: PreparedFolder): Promise<void> {
    const collection = await readCollectionInfo(run.collectionId, folder);
    this.access.validate(collection, folder);
    let links = await this.access.find(collection, folder, run);
    if (links) {
      run.reporter.line(`↩️ ${folder.name} is already published: ${links.objectUrl}`);
      for (const image of folder.images) run.reporter.file({ path: image.sourcePath, outcome: 'skipped', why: `already published at ${links.objectUrl}` });
    } else {
      run.reporter.line(`⏳ Making access copies of ${folder.name} (${folder.images.length} pages) for ${this.access.name}`);
      links = await this.access.publish(collection, folder, run);
      run.reporter.line(`✅ Published ${folder.name}: ${links.objectUrl}`);
      for (const image of folder.images) run.reporter.file({ path: image.sourcePath, outcome: 'done' });
    }
    await run.aspace.upsertFileVersions(folder.record.digitalObjectUri, accessFileVersions(links));
    run.reporter.line(`✅ Recorded the access links in ArchivesSpace: ${run.aspace.staffUrl(folder.record.digitalObjectUri)}`);
    run.reporter.folder?.({ folder: folder.name, state: 'done', counts: { pages: folder.images.length }, where: { access: { url: links.objectUrl } } });
  }
}
