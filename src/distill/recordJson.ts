/** The ArchivesSpace record JSON kept beside the images (collection.json, folder JSON). */

/**
 * Bookkeeping that changes whenever anyone (including Distillery itself) saves a record. Left out
 * of the preserved copy, with the instances that only say where copies are, so a rerun that
 * changes nothing descriptive makes no new OCFL version.
 */
const VOLATILE = new Set(['lock_version', 'system_mtime', 'user_mtime', 'last_modified_by']);

/** The record as preserved: descriptive metadata without volatile bookkeeping and instances. */
export function preservedRecordJson(record: Record<string, unknown>): string {
  const strip = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(strip) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([k]) => !VOLATILE.has(k)).map(([k, x]) => [k, strip(x)])) : v;
  const { instances: _locations, ...rest } = record;
  return sortedJson(strip(rest));
}

/** The original saved record JSON with sorted keys and a 4-space indent. */
export function sortedJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(sort(value), null, 4) + '\n';
}
