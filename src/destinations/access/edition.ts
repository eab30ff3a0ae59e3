/**
 * Freshness of access copies, whatever the platform: what a copy must be made from (the folder's
 * verified images and a digest of its descriptive metadata), and how a published copy differs.
 */
import { sha256Hex } from '../../hash.js';
import type { PreparedFolder } from '../destination.js';
import type { CollectionInfo } from './collectionInfo.js';
import type { AccessEdition, EditionPage, PublishedCopy } from './platform.js';

/** The descriptive metadata an access copy shows: title, dates, extent, rights, arrangement. */
export function descriptiveMetadata(collection: CollectionInfo, folder: PreparedFolder): Record<string, unknown> {
  const ao = folder.record.archivalObject as Record<string, unknown>;
  return {
    title: ao.title ?? folder.arrangement.folderTitle,
    dates: ao.dates ?? folder.record.dates,
    extents: ao.extents ?? [],
    extentNumber: folder.record.extentNumber ?? null,
    rights: collection.useRestriction ?? null,
    collection: { id: collection.id, title: collection.title },
    arrangement: folder.arrangement,
    record: folder.record.archivalObjectUri,
    componentId: folder.record.componentId,
  };
}

/** Canonical JSON (sorted keys) so that equal metadata always gives the same digest. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(sort(value));
}

export function metadataDigest(collection: CollectionInfo, folder: PreparedFolder): string {
  return sha256Hex(canonical(descriptiveMetadata(collection, folder)));
}

export function accessEdition(collection: CollectionInfo, folder: PreparedFolder): AccessEdition {
  const images = [...folder.images].sort((x, y) => x.sequence.localeCompare(y.sequence, 'en', { numeric: true }));
  return {
    pages: images.map((image, i) => ({ page: String(i + 1).padStart(4, '0'), sourceSha512: image.digests.sha512, image })),
    metadataDigest: metadataDigest(collection, folder),
  };
}

/** How a published copy differs from what it must be; [] when it is current. */
export function differences(copy: PublishedCopy, edition: AccessEdition): string[] {
  const out: string[] = [];
  if (!copy.complete) out.push('the copy is incomplete (parts of an earlier ingest without their book)');
  const have = new Map<string, EditionPage>(copy.pages.map((p) => [p.page, p]));
  const want = new Map<string, EditionPage>(edition.pages.map((p) => [p.page, p]));
  const added = [...want.keys()].filter((k) => !have.has(k));
  const removed = [...have.keys()].filter((k) => !want.has(k));
  const replaced = [...want.keys()].filter((k) => have.has(k) && have.get(k)!.sourceSha512 !== want.get(k)!.sourceSha512);
  if (copy.pages.length !== have.size) out.push(`${copy.pages.length - have.size} page(s) appear twice`);
  if (added.length) out.push(`${added.length} page(s) to add (${list(added)})`);
  if (removed.length) out.push(`${removed.length} page(s) to remove (${list(removed)})`);
  if (replaced.length) out.push(`${replaced.length} page(s) to replace, their preservation images changed (${list(replaced)})`);
  if (copy.complete && copy.metadataDigest !== edition.metadataDigest) out.push('descriptive metadata changed in ArchivesSpace (title, dates, extent, rights or arrangement)');
  return out;
}

function list(pages: string[]): string {
  return pages.length > 5 ? `${pages.slice(0, 5).join(', ')}, …` : pages.join(', ');
}
