/**
 * Which folders may be published, whatever the platform. As the 2024 original did when access was
 * chosen ("archival object not published", "has unpublished ancestor"), a folder whose archival
 * object, series, subseries or collection is unpublished in ArchivesSpace is not published; and a
 * folder is published only from its complete, verified set of images.
 */
import type { FolderRecord } from '../../archivesspace/types.js';
import type { PreparedFolder } from '../destination.js';

type Json = Record<string, any>;

/** A record that keeps a folder from being published: the folder's own or one of its ancestors. */
export interface UnpublishedRecord {
  uri: string;
  /** "archival object", "series", "subseries", "collection", … */
  level: string;
  title: string;
  /** True when it is the folder's own archival object. */
  own: boolean;
}

/**
 * The unpublished records above and at a folder, nearest first, read from the archival object as
 * ArchivesSpace returns it with resolve[]=ancestors (each ancestor's `_resolved.publish`), falling
 * back to `has_unpublished_ancestor` when the ancestors are not resolved.
 */
export function unpublishedRecords(archivalObject: Json, uri: string): UnpublishedRecord[] {
  const out: UnpublishedRecord[] = [];
  if (archivalObject.publish !== true) {
    out.push({ uri, level: 'archival object', title: String(archivalObject.title ?? archivalObject.display_string ?? uri), own: true });
  }
  let named = false;
  for (const a of (archivalObject.ancestors ?? []) as Json[]) {
    const r = a?._resolved;
    if (!r || r.publish === true) continue;
    named = true;
    out.push({
      uri: String(a.ref ?? r.uri),
      level: String(r.level === 'otherlevel' ? r.other_level ?? 'record' : r.level ?? a.level ?? 'record'),
      title: String(r.title ?? r.display_string ?? a.ref),
      own: false,
    });
  }
  if (!named && archivalObject.has_unpublished_ancestor === true) {
    out.push({ uri, level: 'ancestor', title: 'a series, subseries or the collection above it', own: false });
  }
  return out;
}

/** Why a folder may not be published because of unpublished records; undefined when it may. */
export function publicationProblem(record: Pick<FolderRecord, 'archivalObject' | 'archivalObjectUri'>, staffUrl: (uri: string) => string): string | undefined {
  const records = unpublishedRecords(record.archivalObject, record.archivalObjectUri);
  if (records.length === 0) return undefined;
  const which = records.map((r) =>
    r.own
      ? `its archival object "${r.title}" is unpublished (${staffUrl(r.uri)})`
      : r.level === 'ancestor'
        ? `it has an unpublished ancestor (${staffUrl(r.uri)})`
        : `its ${r.level} "${r.title}" is unpublished (${staffUrl(r.uri)})`,
  );
  const publish = records.filter((r) => r.level !== 'ancestor').map((r) => `the ${r.level} "${r.title}"`);
  return (
    `not published: ${which.join('; ')}. Nothing of it was sent to the access platform or linked in ArchivesSpace. ` +
    `${publish.length ? `Publish ${publish.join(' and ')} in ArchivesSpace` : 'Publish the records above it in ArchivesSpace'} if it may be public, then run access again.`
  );
}

/** Why a folder's images are not a complete, verified set; undefined when they are. */
export function completenessProblem(folder: PreparedFolder): string | undefined {
  const failed = folder.incomplete ?? [];
  if (failed.length === 0 && folder.images.length > 0) return undefined;
  if (folder.images.length === 0 && failed.length === 0) return 'not published: the folder has no preserved images.';
  const total = folder.images.length + failed.length;
  const listed = failed.slice(0, 3).map((f) => `${f.path.split('/').pop()}: ${f.reason}`).join('; ');
  return (
    `not published: ${failed.length} of its ${total} scans could not be converted and verified (${listed}${failed.length > 3 ? '; …' : ''}). ` +
    'A book is published only from all of its scans, so nothing was sent. Replace or fix the scan, then run access again.'
  );
}
