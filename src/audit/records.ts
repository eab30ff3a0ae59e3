/**
 * Audit results kept as records in the shared status folder, never parsed from logs:
 *
 *   audits/<collection>.json   the last audit of each copy of the collection's objects
 *   audits/tape-cursor.json    where the nightly tape read-back continues
 *   audit-status.json          every collection whose last audit failed (the form shows it)
 *
 * Files are replaced atomically (temp file + rename), so a reader never sees half of one.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomicWrite.js';

export const AUDIT_FORMAT = 'distillery-audit/1';

/** Which copy was audited. */
export type CopyName = 'local' | 's3' | 'tape' | 'network';

/**
 * ACE's item states (intact, corrupt, missing, missing token, invalid token) and, for media that
 * could not be read at all, unreadable.
 */
export type ItemState = 'intact' | 'corrupt' | 'missing' | 'missing token' | 'invalid token' | 'unreadable';

/** One file (or tape file, or network node) that is not intact: what was found and what to do. */
export interface Finding {
  copy: CopyName;
  objectId: string;
  /** Content path relative to the object root (tape: relative to the storage root; network: the node). */
  path: string;
  state: Exclude<ItemState, 'intact'>;
  /** What was found and what to do about it. */
  message: string;
}

export interface CopySummary {
  copy: CopyName;
  /** Files (or tape files, or nodes) checked. */
  checked: number;
  intact: number;
  /** Not checked, with why (no copy configured, tape not loaded, object not on this host…). */
  notes: string[];
}

export interface AuditRecord {
  format: typeof AUDIT_FORMAT;
  collectionId: string;
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  objects: string[];
  copies: CopySummary[];
  findings: Finding[];
}

export interface AuditStatus {
  updatedAt: string;
  ok: boolean;
  /** Collections whose last audit failed, with the first few findings. */
  failed: { collectionId: string; auditedAt: string; findings: number; first: Finding[] }[];
}

export function auditsDir(statusDir: string): string {
  return join(statusDir, 'audits');
}

export function auditStatusPath(statusDir: string): string {
  return join(statusDir, 'audit-status.json');
}

function recordPath(statusDir: string, collectionId: string): string {
  return join(auditsDir(statusDir), `${collectionId}.json`);
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path} cannot be read (${(err as Error).message}): remove it; the next audit writes it anew.`);
  }
}

export async function saveAuditRecord(statusDir: string, record: AuditRecord): Promise<void> {
  await mkdir(auditsDir(statusDir), { recursive: true });
  await writeJsonAtomic(recordPath(statusDir, record.collectionId), record);
}

/** The last audit of a collection (undefined when it was never audited): for the collection overview. */
export async function auditRecordOf(statusDir: string, collectionId: string): Promise<AuditRecord | undefined> {
  return readJson<AuditRecord>(recordPath(statusDir, collectionId));
}

/** Every collection's last audit. */
export async function allAuditRecords(statusDir: string): Promise<AuditRecord[]> {
  const names = await readdir(auditsDir(statusDir)).catch(() => [] as string[]);
  const out: AuditRecord[] = [];
  for (const n of names.filter((n) => n.endsWith('.json') && n !== 'tape-cursor.json').sort()) {
    const r = await readJson<AuditRecord>(join(auditsDir(statusDir), n)).catch(() => undefined);
    if (r?.format === AUDIT_FORMAT) out.push(r);
  }
  return out;
}

/** Rebuilds audit-status.json from the records (so two audits never overwrite each other's news). */
export async function refreshAuditStatus(statusDir: string): Promise<AuditStatus> {
  const records = await allAuditRecords(statusDir);
  const failed = records.filter((r) => !r.ok).map((r) => ({ collectionId: r.collectionId, auditedAt: r.finishedAt, findings: r.findings.length, first: r.findings.slice(0, 5) }));
  const status: AuditStatus = { updatedAt: new Date().toISOString(), ok: failed.length === 0, failed };
  await writeJsonAtomic(auditStatusPath(statusDir), status);
  return status;
}

/** What the form shows: undefined when no audit has run yet. */
export async function readAuditStatus(statusDir: string): Promise<AuditStatus | undefined> {
  return readJson<AuditStatus>(auditStatusPath(statusDir)).catch(() => undefined);
}

export interface TapeCursor {
  /** The last tape file read back, in catalogue order. */
  indicator: string;
  file: number;
  at: string;
}

export async function readTapeCursor(statusDir: string): Promise<TapeCursor | undefined> {
  return readJson<TapeCursor>(join(auditsDir(statusDir), 'tape-cursor.json')).catch(() => undefined);
}

export async function saveTapeCursor(statusDir: string, cursor: TapeCursor): Promise<void> {
  await mkdir(auditsDir(statusDir), { recursive: true });
  await writeJsonAtomic(join(auditsDir(statusDir), 'tape-cursor.json'), cursor);
}
