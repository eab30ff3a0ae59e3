/**
 * The access process for any platform, folder by folder:
 *   1. publication rules: a folder whose archival object or an ancestor is unpublished is refused;
 *   2. all or nothing: only a complete, verified set of scans is published;
 *   3. the links already on the digital object must be this folder's own (or replacing is chosen);
 *   4. freshness: what the platform holds is read back and compared with what it must be made
 *      from (each page's preservation image sha512, the descriptive metadata digest); a current
 *      copy is left alone ("already published"), anything else is replaced and the run says what
 *      changed; regenerate replaces even a current copy;
 *   5. after publishing, the copy is read back again and must match exactly, or it is removed and
 *      nothing of the folder stays published;
 *   6. the links are recorded on the digital object, which is published (ACCESS_DIGITAL_OBJECT_PUBLISH).
 * Platform-specific work (staging, ingest, look-up, removal) is the AccessPlatform's.
 */
import type { FileVersion } from '../../archivesspace/types.js';
import { PermanentError } from '../../policies.js';
import { FolderNotDelivered, type CheckResult, type Destination, type PreparedFolder, type RunScope } from '../destination.js';
import { readCollectionInfo, type CollectionInfo } from './collectionInfo.js';
import { accessEdition, differences } from './edition.js';
import type { AccessLinks, AccessPlatform } from './platform.js';
import { completenessProblem, publicationProblem } from './rules.js';
import { DEFAULT_ACCESS_OPTIONS, type AccessOptions } from './settings.js';

export function accessFileVersions(links: AccessLinks): FileVersion[] {
  return [
    { file_uri: links.objectUrl, publish: true },
    { file_uri: links.thumbnailUrl, publish: true, xlink_show_attribute: 'embed' },
  ];
}

/** True when a file version points at this object on the platform (the object or one of its parts). */
export function pointsAt(links: AccessLinks, uri: string): boolean {
  return uri === links.objectUrl || uri.startsWith(`${links.objectUrl}/`) || uri === links.thumbnailUrl;
}

export class AccessDestination implements Destination {
  readonly process = 'access' as const;
  protected readonly options: AccessOptions;

  constructor(
    protected readonly access: AccessPlatform,
    options: Partial<AccessOptions> = {},
  ) {
    this.options = { ...DEFAULT_ACCESS_OPTIONS, ...options };
  }

  get platform(): string {
    return this.access.name;
  }

  check(): Promise<CheckResult> {
    return this.access.check();
  }

  async deliver(run: RunScope, folder: PreparedFolder): Promise<void> {
    const refused = publicationProblem(folder.record, (uri) => run.aspace.staffUrl(uri)) ?? completenessProblem(folder);
    if (refused) throw new FolderNotDelivered(refused);
    const collection = await readCollectionInfo(run.collectionId, folder);
    this.access.validate(collection, folder);
    const links = this.access.linksFor(collection, folder);
    const own = (uri: string) => pointsAt(links, uri) || (this.access.owns?.(collection, folder, uri) ?? false);
    const doUri = folder.record.digitalObjectUri;
    await this.checkExistingLinks(run, doUri, own);

    const edition = accessEdition(collection, folder);
    const current = await this.access.inspect(collection, folder, run);
    const changes = current ? differences(current, edition) : [];
    let published: AccessLinks;
    if (current && changes.length === 0 && !run.regenerate) {
      published = current.links;
      run.reporter.line(`↩️ ${folder.name} is already published and current: ${current.links.objectUrl}`);
      for (const image of folder.images) run.reporter.file({ path: image.sourcePath, outcome: 'skipped', why: `already published and current at ${current.links.objectUrl}` });
    } else {
      if (current) {
        const why = changes.length ? changes.join('; ') : 'regenerate was chosen';
        run.reporter.line(`🔄 ${folder.name}: the published copy is replaced: ${why}.`);
        if (!this.access.updatesInPlace || !current.complete) await this.access.remove(collection, folder, run);
      }
      const pages = `${edition.pages.length} page${edition.pages.length === 1 ? '' : 's'}`;
      run.reporter.line(`⏳ Making access copies of ${folder.name} (${pages}) for ${this.access.name}`);
      published = await this.publishVerified(collection, folder, edition, run, own);
      run.reporter.line(`${current ? '✅ Updated' : '✅ Published'} ${folder.name}: ${published.objectUrl} (${pages}, each checked against its preservation image)`);
      for (const image of folder.images) run.reporter.file({ path: image.sourcePath, outcome: 'done' });
    }
    await this.recordLinks(run, doUri, published, own);
    const viewer = this.access.viewerUrl?.(published);
    if (viewer) run.reporter.line(`👁️ View ${folder.name}: ${viewer}`);
    run.reporter.folder?.({ folder: folder.name, state: 'done', counts: { pages: edition.pages.length }, where: { access: { url: published.objectUrl } } });
  }

  /** Publishes, reads the copy back and checks it page by page; removes it when it does not match. */
  private async publishVerified(
    collection: CollectionInfo,
    folder: PreparedFolder,
    edition: ReturnType<typeof accessEdition>,
    run: RunScope,
    own: (uri: string) => boolean,
  ): Promise<AccessLinks> {
    let problems: string[];
    let links: AccessLinks;
    try {
      links = await this.access.publish(collection, folder, edition, run);
      const copy = await this.access.inspect(collection, folder, run);
      problems = copy ? differences(copy, edition) : ['nothing of it is on the platform after the ingest'];
    } catch (err) {
      await this.removePartial(collection, folder, run, own);
      // The platform itself failed (unreachable, refused…): stop sending to it, saying why and what to do. Anything else fails this folder only.
      if (err instanceof FolderNotDelivered) throw err;
      if (!(err instanceof PermanentError)) throw this.platformFailed(folder, err);
      throw new FolderNotDelivered(`publishing to ${this.access.name} failed (${err.message}); nothing of ${folder.name} is published. Run access again.`);
    }
    if (problems.length === 0) return links;
    await this.removePartial(collection, folder, run, own);
    throw new FolderNotDelivered(
      `the ingest into ${this.access.name} did not give the complete copy (${problems.join('; ')}); what it left was removed, so nothing of ${folder.name} is published. Run access again.`,
    );
  }

  /** The platform failed (not the folder): why, that nothing of the folder is published, and what to do. */
  private platformFailed(folder: PreparedFolder, err: unknown): Error {
    const why = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: string }).code;
    const todo = code === 'EACCES' || code === 'EPERM' || code === 'EROFS'
      ? `give the Distillery user write access where ${this.access.name} publishes`
      : `check that ${this.access.name} is reachable and working`;
    return new Error(`${this.access.name} failed while publishing ${folder.name} (${why}); nothing of ${folder.name} is published, and access stops for this run: ${todo}, then run access again.`, { cause: err });
  }

  /** Removes what a failed ingest left, and withdraws this folder's links from the digital object. */
  private async removePartial(collection: CollectionInfo, folder: PreparedFolder, run: RunScope, own: (uri: string) => boolean): Promise<void> {
    try {
      if (await this.access.inspect(collection, folder, run)) {
        await this.access.remove(collection, folder, run);
        run.reporter.line(`🧹 Removed the partial copy of ${folder.name} from ${this.access.name}: nothing of it is published.`);
      }
    } catch (err) {
      run.reporter.line(`⚠️ Could not remove the partial copy of ${folder.name} (${(err as Error).message}); the next access run removes it before publishing.`);
    }
    try {
      const withdrawn = await run.aspace.rewriteFileVersions(folder.record.digitalObjectUri, (current) =>
        current.map((fv) => (own(fv.file_uri) && fv.publish ? { ...fv, publish: false, is_representative: false } : fv)),
      );
      if (withdrawn) run.reporter.line(`🧹 Unpublished the access links of ${folder.name} in ArchivesSpace until it is published again.`);
    } catch (err) {
      run.reporter.line(`⚠️ Could not unpublish the access links of ${folder.name} in ArchivesSpace: ${(err as Error).message}`);
    }
  }

  /** Published links to anything but this folder's object are refused unless replacing them is chosen. */
  private async checkExistingLinks(run: RunScope, doUri: string, own: (uri: string) => boolean): Promise<void> {
    if (this.options.replaceOtherLinks) return;
    const elsewhere = (await run.aspace.fileVersionsOf(doUri)).filter((fv) => fv.publish === true && !own(fv.file_uri));
    if (elsewhere.length === 0) return;
    throw new FolderNotDelivered(
      `not published: its digital object (${run.aspace.staffUrl(doUri)}) already has published links elsewhere: ` +
        `${elsewhere.map((fv) => fv.file_uri).join(', ')}. Nothing was sent. Remove or unpublish them in ArchivesSpace, ` +
        'or set ACCESS_REPLACE_OTHER_LINKS=true to unpublish them and record the new links, then run access again.',
    );
  }

  /** This folder's links replace the ones to the same object; others are kept (unpublished when replacing is chosen). */
  private async recordLinks(run: RunScope, doUri: string, links: AccessLinks, own: (uri: string) => boolean): Promise<void> {
    const replaceOthers = this.options.replaceOtherLinks;
    const unpublished: string[] = [];
    const changed = await run.aspace.rewriteFileVersions(
      doUri,
      (current) => [
        ...accessFileVersions(links),
        ...current
          .filter((fv) => !own(fv.file_uri) && !pointsAt(links, fv.file_uri))
          .map((fv) => {
            if (!replaceOthers || fv.publish !== true) return fv;
            unpublished.push(fv.file_uri);
            return { ...fv, publish: false, is_representative: false };
          }),
      ],
      { publish: this.options.publishDigitalObject ? true : undefined },
    );
    if (unpublished.length) run.reporter.line(`🔕 Unpublished the earlier links on the digital object: ${[...new Set(unpublished)].join(', ')}`);
    run.reporter.line(
      changed
        ? `✅ Recorded the access links in ArchivesSpace${this.options.publishDigitalObject ? ' and published the digital object' : ''}: ${run.aspace.staffUrl(doUri)}`
        : `↩️ The access links in ArchivesSpace were already recorded: ${run.aspace.staffUrl(doUri)}`,
    );
  }
}
