/**
 * ACCESS_PLATFORM=iiif: each folder becomes a static IIIF Presentation 3.0 Manifest whose canvases
 * show IIIF Image API 3.0 level-0 services, listed in the archival collection's IIIF Collection.
 *
 * Published layout under IIIF_BASE_URL (the same under the folder or bucket prefix):
 *   images/<image id>-<sha512 prefix>/…            one image service per preserved image's bytes
 *   <collection>/<folder>/manifest.json            the folder's Manifest (the access link)
 *   <collection>/<folder>/distillery.json          what the Manifest was made from (freshness)
 *   <collection>/collection.json                   the IIIF Collection (series, subseries nested)
 *   <collection>/collection-index.json             the entries it is built from
 *
 * All or nothing: image services are complete and verified before the Manifest that shows them
 * is written, and the Manifest is read back and checked before the links count. A rescanned image
 * gets a new service (its digest differs), so the Manifest already public stays whole until the
 * new one replaces it; services no longer shown are removed afterwards.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeForAccess } from '../../images/accessPixels.js';
import { timePhase } from '../../runs/reporter.js';
import { xmpFields, xmpPacket } from '../../images/xmp.js';
import { PermanentError } from '../../policies.js';
import type { CheckResult, PreparedFolder, PreservedImage, RunScope } from '../destination.js';
import type { CollectionInfo } from '../access/collectionInfo.js';
import type { AccessEdition, AccessLinks, AccessPlatform, PublishedCopy } from '../access/platform.js';
import { makeImageService, thumbnailSize, type ImageInfo } from './imageService.js';
import { buildCollection, buildManifest, folderTitle, thumbnailOf, type CollectionEntry, type PublishedImage } from './presentation.js';
import type { Publisher } from './publisher.js';

export interface IiifOptions {
  /** Public URL of the published tree, e.g. https://iiif.example.edu/iiif (no trailing slash). */
  baseUrl: string;
  publisher: Publisher;
  tileSize: number;
  thumbnailSize: number;
  opjDecompressCommand: string;
  /** Base of the archival objects' public pages (ArchivesSpace's public URL). */
  recordLinkBase?: string;
  /** A viewer URL to which the Manifest's URL is appended (encoded); each run links to it. */
  viewerUrl?: string;
}

/** What a published Manifest was made from: the pages' bytes and the descriptive metadata. */
export interface PublishedRecord {
  format: 'distillery-iiif/1';
  folder: string;
  manifest: string;
  thumbnail: string;
  pages: { componentId: string; sha512: string; service: string }[];
  metadataDigest: string;
  published: string;
}

const serviceName = (img: PreservedImage) => `${img.componentId}-${img.digests.sha512.slice(0, 16)}`;

export class IiifPlatform implements AccessPlatform {
  readonly name = 'IIIF';
  /** A new Manifest replaces the public one whole (services first), so nothing is removed before. */
  readonly updatesInPlace = true;

  constructor(private readonly o: IiifOptions) {
    this.o = { ...o, baseUrl: o.baseUrl.replace(/\/+$/, '') };
  }

  private url(key: string): string {
    return `${this.o.baseUrl}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  private keys(collectionId: string, folder: string) {
    return {
      manifest: `${collectionId}/${folder}/manifest.json`,
      record: `${collectionId}/${folder}/distillery.json`,
      collection: `${collectionId}/collection.json`,
      index: `${collectionId}/collection-index.json`,
    };
  }

  async check(): Promise<CheckResult> {
    try {
      await this.o.publisher.has('.distillery-check');
      return { ok: true, detail: `iiif: publishing to ${this.o.publisher.where}, public at ${this.o.baseUrl}` };
    } catch (err) {
      return { ok: false, detail: `iiif: cannot reach ${this.o.publisher.where}: ${(err as Error).message}` };
    }
  }

  validate(_collection: CollectionInfo, folder: PreparedFolder): void {
    if (!folder.images.length) throw new PermanentError(`${folder.name} has no preserved images to publish.`);
  }

  private homepage(folder: PreparedFolder): string | undefined {
    return this.o.recordLinkBase ? `${this.o.recordLinkBase.replace(/\/+$/, '')}${folder.record.archivalObjectUri}` : undefined;
  }

  private async readRecord(key: string, run?: RunScope): Promise<PublishedRecord | undefined> {
    const raw = await this.o.publisher.read(key, run?.signal);
    if (!raw) return undefined;
    try {
      const r = JSON.parse(raw.toString('utf8')) as PublishedRecord;
      return r.format === 'distillery-iiif/1' && Array.isArray(r.pages) ? r : undefined;
    } catch {
      return undefined;
    }
  }


  linksFor(collection: CollectionInfo, folder: PreparedFolder): AccessLinks {
    const manifest = this.url(this.keys(collection.id, folder.name).manifest);
    return { objectUrl: manifest, thumbnailUrl: manifest };
  }

  /** The Manifest, and the thumbnails of the folder's image services (`images/<image id>-…`). */
  owns(collection: CollectionInfo, folder: PreparedFolder, uri: string): boolean {
    if (uri === this.linksFor(collection, folder).objectUrl) return true;
    const images = `${this.o.baseUrl}/images/`;
    return uri.startsWith(images) && folder.images.some((img) => uri.startsWith(`${images}${encodeURIComponent(img.componentId)}-`));
  }

  /** What is published of the folder, read back: the record of what the Manifest was made from. */
  async inspect(collection: CollectionInfo, folder: PreparedFolder, run: RunScope): Promise<PublishedCopy | undefined> {
    const k = this.keys(collection.id, folder.name);
    const record = await this.readRecord(k.record, run);
    const manifest = await this.o.publisher.has(k.manifest, run.signal);
    if (!record && !manifest) return undefined;
    const links = record ? { objectUrl: record.manifest, thumbnailUrl: record.thumbnail } : this.linksFor(collection, folder);
    return {
      links,
      complete: Boolean(record && manifest),
      pages: (record?.pages ?? []).map((p, i) => ({ page: String(i + 1).padStart(4, '0'), sourceSha512: p.sha512 })),
      metadataDigest: record?.metadataDigest,
    };
  }

  /** The viewer page of a published Manifest (IIIF_VIEWER_URL), when one is set. */
  viewerUrl(links: AccessLinks): string | undefined {
    return this.o.viewerUrl ? `${this.o.viewerUrl}${encodeURIComponent(links.objectUrl)}` : undefined;
  }

  async publish(collection: CollectionInfo, folder: PreparedFolder, edition: AccessEdition, run: RunScope): Promise<AccessLinks> {
    const k = this.keys(collection.id, folder.name);
    const previous = await this.readRecord(k.record, run);

    // 1. Every image service, complete and verified, before any Manifest shows it.
    const images: PublishedImage[] = [];
    for (const [i, img] of folder.images.entries()) {
      run.signal?.throwIfAborted();
      images.push(await this.ensureImageService(collection, folder, img, run));
      run.reporter.progress(i + 1, folder.images.length, `${i + 1} of ${folder.images.length} images`);
    }

    // 2. The Manifest, read back and checked; then what it was made from.
    const manifestId = this.url(k.manifest);
    const collectionUrl = this.url(k.collection);
    const manifest = buildManifest({ manifestId, collectionUrl, collection, folder, homepage: this.homepage(folder), images });
    await this.o.publisher.publishBytes(`${JSON.stringify(manifest, null, 2)}\n`, k.manifest, run);
    await this.verifyManifest(k.manifest, images, run);
    const record: PublishedRecord = {
      format: 'distillery-iiif/1',
      folder: folder.name,
      manifest: manifestId,
      thumbnail: thumbnailOf(images[0]).id,
      pages: edition.pages.map(({ image }) => ({ componentId: image.componentId, sha512: image.digests.sha512, service: serviceName(image) })),
      metadataDigest: edition.metadataDigest,
      published: new Date().toISOString(),
    };
    await this.o.publisher.publishBytes(`${JSON.stringify(record, null, 2)}\n`, k.record, run);

    // 3. The collection's IIIF Collection lists the folder.
    await this.updateCollection(collection, folder, manifestId, images[0], run);

    // 4. Services the new Manifest no longer shows.
    const shown = new Set(record.pages.map((p) => p.service));
    for (const old of previous?.pages ?? []) {
      if (!shown.has(old.service)) await this.o.publisher.removeTree(`images/${old.service}`, run);
    }
    return { objectUrl: manifestId, thumbnailUrl: record.thumbnail };
  }

  private async ensureImageService(collection: CollectionInfo, folder: PreparedFolder, img: PreservedImage, run: RunScope): Promise<PublishedImage> {
    const name = serviceName(img);
    const key = `images/${name}`;
    const serviceId = this.url(key);
    const existing = await this.o.publisher.read(`${key}/info.json`, run.signal);
    if (existing) {
      const info = JSON.parse(existing.toString('utf8')) as ImageInfo;
      const thumb = thumbnailSize(info.width, info.height, this.o.thumbnailSize);
      return { sequence: img.sequence, serviceId, width: info.width, height: info.height, thumbnail: { ...thumb, path: `full/${thumb.width},${thumb.height}/0/default.jpg` } };
    }
    const work = await mkdtemp(join(tmpdir(), 'distillery-iiif-'));
    try {
      const px = await timePhase(run.reporter, 'access decode', () => decodeForAccess(img, this.o.opjDecompressCommand, work, run.signal));
      const xmp = xmpPacket(xmpFields({
        collection: { useRestriction: collection.useRestriction },
        folder: folder.record, sequence: img.sequence, imageId: img.componentId,
      }));
      const made = await timePhase(run.reporter, 'access derivatives', () => makeImageService(px, join(work, name), serviceId, { tileSize: this.o.tileSize, thumbnailSize: this.o.thumbnailSize, xmp }));
      await timePhase(run.reporter, 'publish', () => this.o.publisher.publishDir(join(work, name), key, run));
      return { sequence: img.sequence, serviceId, width: made.info.width, height: made.info.height, thumbnail: made.thumbnail };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  private async verifyManifest(key: string, images: PublishedImage[], run: RunScope): Promise<void> {
    const raw = await this.o.publisher.read(key, run.signal);
    const m = raw ? (JSON.parse(raw.toString('utf8')) as { items?: { items?: { items?: { body?: { service?: { id: string }[] } }[] }[] }[] }) : undefined;
    const services = (m?.items ?? []).map((c) => c.items?.[0]?.items?.[0]?.body?.service?.[0]?.id);
    const expected = images.map((i) => i.serviceId);
    if (services.join('\n') !== expected.join('\n')) {
      throw new Error(`The published Manifest ${this.url(key)} does not show the ${images.length} images it was made from (it shows ${services.length}); nothing was recorded. A rerun publishes it again.`);
    }
    for (const img of images) {
      const rel = img.serviceId.slice(this.o.baseUrl.length + 1).split('/').map(decodeURIComponent).join('/');
      if (!(await this.o.publisher.has(`${rel}/info.json`, run.signal))) throw new Error(`The image service ${img.serviceId} is missing its info.json; nothing was recorded. A rerun publishes it again.`);
    }
  }

  private async updateCollection(collection: CollectionInfo, folder: PreparedFolder, manifestId: string, first: PublishedImage, run: RunScope): Promise<void> {
    const k = this.keys(collection.id, folder.name);
    const raw = await this.o.publisher.read(k.index, run.signal);
    let entries: CollectionEntry[] = [];
    try {
      entries = raw ? (JSON.parse(raw.toString('utf8')) as { entries: CollectionEntry[] }).entries ?? [] : [];
    } catch {
      entries = [];
    }
    const entry: CollectionEntry = {
      folder: folder.name, manifestId, label: folderTitle(folder),
      series: folder.arrangement.seriesDisplay, subseries: folder.arrangement.subseriesDisplay, thumbnail: thumbnailOf(first),
    };
    entries = [...entries.filter((e) => e.folder !== folder.name), entry];
    await this.o.publisher.publishBytes(`${JSON.stringify({ entries }, null, 2)}\n`, k.index, run);
    const doc = buildCollection(this.url(k.collection), collection, entries);
    await this.o.publisher.publishBytes(`${JSON.stringify(doc, null, 2)}\n`, k.collection, run);
  }

  /** Removes a folder's Manifest from the collection, and its image services. */
  async remove(collection: CollectionInfo, folder: Pick<PreparedFolder, 'name'>, run: RunScope): Promise<void> {
    await this.unpublish(collection, folder, run);
  }

  /** Removes a folder's Manifest from the collection (the folder may no longer be published). */
  async unpublish(collection: CollectionInfo, folder: Pick<PreparedFolder, 'name'>, run: RunScope): Promise<boolean> {
    const k = this.keys(collection.id, folder.name);
    const record = await this.readRecord(k.record, run);
    if (!record) {
      // A Manifest without its record (an interrupted publish): remove what is there.
      if (!(await this.o.publisher.has(k.manifest, run.signal))) return false;
      await this.o.publisher.removeTree(`${collection.id}/${folder.name}`, run);
      return true;
    }
    const raw = await this.o.publisher.read(k.index, run.signal);
    const entries = raw ? ((JSON.parse(raw.toString('utf8')) as { entries: CollectionEntry[] }).entries ?? []).filter((e) => e.folder !== folder.name) : [];
    await this.o.publisher.publishBytes(`${JSON.stringify({ entries }, null, 2)}\n`, k.index, run);
    await this.o.publisher.publishBytes(`${JSON.stringify(buildCollection(this.url(k.collection), collection, entries), null, 2)}\n`, k.collection, run);
    await this.o.publisher.removeTree(`${collection.id}/${folder.name}`, run);
    for (const p of record.pages) await this.o.publisher.removeTree(`images/${p.service}`, run);
    return true;
  }
}
