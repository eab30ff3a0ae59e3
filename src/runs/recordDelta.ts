/**
 * What changed between two versions of a run record, so a status page is sent the change and not
 * the whole record each time (a run of thousands of folders has a record of hundreds of KB; one
 * folder's step result is a few hundred bytes). The page applies a delta with the same rules as
 * `applyRecordDelta` (public/status.js keeps its copy in step with this one).
 *
 * - `set` / `unset`: top-level fields (state, reason, finishedAt, attachments, …) that changed;
 * - `steps` / `folders`: the entries (by name) that are new or changed; new ones go at the end;
 * - `stepOrder` / `folderOrder`: only when entries were removed or reordered: the full list of names.
 *
 * Per-file results are never part of what pages are sent (they live in `<C>-files.jsonl`; a record
 * written before that keeps them in `files`, which pages do not use).
 */
import type { FolderResult, RunRecord, StepRecord } from './types.js';

export interface RecordDelta {
  set?: Record<string, unknown>;
  unset?: string[];
  steps?: StepRecord[];
  stepOrder?: string[];
  folders?: FolderResult[];
  folderOrder?: string[];
}

const LISTS = new Set(['steps', 'folders', 'files']);

/** The record as status pages are sent it: without the per-file results of older records. */
export function forPages(record: RunRecord): RunRecord {
  if (record.files === undefined) return record;
  const { files: _files, ...rest } = record;
  return rest;
}

/** What turns `prev` into `next`; undefined when nothing changed. */
export function recordDelta(prev: RunRecord, next: RunRecord): RecordDelta | undefined {
  const delta: RecordDelta = {};
  const p = prev as unknown as Record<string, unknown>;
  const n = next as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(p), ...Object.keys(n)])) {
    if (LISTS.has(key)) continue;
    if (n[key] === undefined) {
      if (p[key] !== undefined) (delta.unset ??= []).push(key);
    } else if (p[key] === undefined || JSON.stringify(p[key]) !== JSON.stringify(n[key])) {
      (delta.set ??= {})[key] = n[key];
    }
  }
  const steps = listDelta(prev.steps ?? [], next.steps ?? [], (s) => s.name);
  if (steps.changed.length) delta.steps = steps.changed;
  if (steps.order) delta.stepOrder = steps.order;
  const folders = listDelta(prev.folders ?? [], next.folders ?? [], (f) => f.name);
  if (folders.changed.length) delta.folders = folders.changed;
  if (folders.order) delta.folderOrder = folders.order;
  return Object.keys(delta).length ? delta : undefined;
}

/** `record` with `delta` applied (a new object; `record` is left as it was). */
export function applyRecordDelta(record: RunRecord, delta: RecordDelta): RunRecord {
  const r = { ...record } as unknown as Record<string, unknown>;
  for (const key of delta.unset ?? []) delete r[key];
  Object.assign(r, delta.set ?? {});
  const out = r as unknown as RunRecord;
  if (delta.steps || delta.stepOrder) out.steps = mergeList(record.steps ?? [], delta.steps ?? [], delta.stepOrder, (s) => s.name);
  if (delta.folders || delta.folderOrder) out.folders = mergeList(record.folders ?? [], delta.folders ?? [], delta.folderOrder, (f) => f.name);
  return out;
}

function listDelta<T>(prev: T[], next: T[], key: (x: T) => string): { changed: T[]; order?: string[] } {
  const before = new Map(prev.map((x) => [key(x), JSON.stringify(x)]));
  const changed = next.filter((x) => before.get(key(x)) !== JSON.stringify(x));
  // Appends need no order: the page adds new entries at the end.
  const appendOnly = prev.length <= next.length && prev.every((x, i) => key(next[i]) === key(x));
  return { changed, order: appendOnly ? undefined : next.map(key) };
}

function mergeList<T>(list: T[], changed: T[], order: string[] | undefined, key: (x: T) => string): T[] {
  const byKey = new Map(list.map((x) => [key(x), x]));
  const added: string[] = [];
  for (const x of changed) {
    if (!byKey.has(key(x))) added.push(key(x));
    byKey.set(key(x), x);
  }
  const keys = order ?? [...list.map(key), ...added];
  return keys.map((k) => byKey.get(k)).filter((x): x is T => x !== undefined);
}
