/**
 * The tape catalogue: which tapes exist, and for each tape file its number, what it holds (OCFL
 * objects and versions, every file with bytes and sha512), when it was written and whether it was
 * read back and verified. Kept as one JSON file on the shared mount, replaced atomically; a copy
 * of a tape's own part travels inside every run file written to that tape.
 *
 * Several hosts share it: a run writes one tape's record only while it holds that drive's lock
 * (`withDriveLock`), and saves it with `saveTapeRecord`, which re-reads the file under the
 * catalogue's own lock and replaces only that tape's record, so no other entry is lost.
 */
import { writeFileAtomic } from '../../atomicWrite.js';
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { withFileLock } from '../../fileLock.js';
import { policies } from '../../policies.js';

export const CATALOGUE_FORMAT = 'distillery-tape-catalogue/1';

export interface FileOnTape {
  /** Path inside the tar file (relative to the OCFL storage root). */
  path: string;
  bytes: number;
  sha512: string;
}

export interface ObjectOnTape {
  objectId: string;
  /** Object root relative to the storage root. */
  objectPath: string;
  /** The versions whose directories are in this tape file, oldest first. */
  versions: string[];
  /** The version the object was at (its root inventory's head). */
  head: string;
  files: FileOnTape[];
}

/**
 * verified: read back and every file matched. failed: written but did not verify (or the write
 * failed). incomplete: the tape ran out while writing it. unknown: found on the tape but not written
 * by a run this catalogue knows (e.g. after a crash); never counted as holding anything.
 */
export type TapeFileState = 'verified' | 'failed' | 'incomplete' | 'unknown';

export interface TapeFileRecord {
  number: number;
  kind: 'label' | 'run' | 'unknown';
  state: TapeFileState;
  runId?: string;
  collectionId?: string;
  writtenAt?: string;
  verifiedAt?: string;
  /** Payload bytes (the tar file is a little larger). */
  bytes: number;
  objects: ObjectOnTape[];
  problem?: string;
}

export interface TapeRecord {
  indicator: string;
  labelledAt: string;
  blockingFactor: number;
  /** When the tape ran out of space; nothing more is written to it. */
  fullAt?: string;
  /** When it was relabelled with --force: everything it held is gone. */
  erasedAt?: string;
  files: TapeFileRecord[];
}

export interface Catalogue {
  format: typeof CATALOGUE_FORMAT;
  updatedAt: string;
  tapes: TapeRecord[];
}

export function emptyCatalogue(): Catalogue {
  return { format: CATALOGUE_FORMAT, updatedAt: new Date().toISOString(), tapes: [] };
}

export async function loadCatalogue(path: string): Promise<Catalogue> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyCatalogue();
    throw err;
  }
  let parsed: Catalogue;
  try {
    parsed = JSON.parse(text) as Catalogue;
  } catch (err) {
    throw new Error(`The tape catalogue ${path} is not valid JSON (${(err as Error).message}): restore it from backup or rebuild it from each tape with \`distillery tape catalogue --rebuild\`.`);
  }
  if (parsed.format !== CATALOGUE_FORMAT) throw new Error(`${path} is not a Distillery tape catalogue (format "${String(parsed.format)}").`);
  return parsed;
}

/** Writes the catalogue atomically (temp file + rename), so a reader on the mount never sees half of it. */
export async function saveCatalogue(path: string, cat: Catalogue): Promise<void> {
  cat.updatedAt = new Date().toISOString();
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(cat, null, 2)}\n`);
}

/** The catalogue's own lock: held only while it is re-read, merged and written (moments). */
function catalogueLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  return withFileLock(`${path}.lock`, `The tape catalogue ${path}`, fn, { waitMs: policies.localDisk.timeoutMs, waitSetting: policies.localDisk.setting });
}

/** Saves one tape's record: the catalogue is re-read under its lock and only this tape's entry replaced. */
export async function saveTapeRecord(path: string, tape: TapeRecord): Promise<void> {
  await catalogueLock(path, async () => {
    const fresh = await loadCatalogue(path);
    const i = fresh.tapes.findIndex((t) => t.indicator === tape.indicator && !t.erasedAt);
    if (i >= 0) fresh.tapes[i] = tape;
    else fresh.tapes.push(tape);
    await saveCatalogue(path, fresh);
  });
}

/** Applies `change` to the catalogue as it is now on disk, under its lock, and saves it. */
export async function updateCatalogue<T>(path: string, change: (cat: Catalogue) => Promise<T> | T): Promise<T> {
  return catalogueLock(path, async () => {
    const fresh = await loadCatalogue(path);
    const out = await change(fresh);
    await saveCatalogue(path, fresh);
    return out;
  });
}

/** Where the lock of a tape drive is: beside the catalogue on the shared mount, one per device name. */
export function driveLockPath(cataloguePath: string, device: string): string {
  return join(dirname(cataloguePath), `${basename(cataloguePath)}.drives`, `${device.replace(/[^A-Za-z0-9._-]/g, '_')}.lock`);
}

/**
 * Runs `fn` holding the tape drive's lock, across hosts: nobody else positions, writes or reads the
 * tape meanwhile, nor writes its catalogue record. Waits (saying so once) while another run holds
 * it, up to the tapeDriveLock policy; a dead holder's lock is taken over. `fn` gets a signal that
 * aborts if the lock is lost (this process was paused past the stale threshold and another took it).
 */
export function withDriveLock<T>(
  cataloguePath: string,
  device: string,
  fn: (held: AbortSignal) => Promise<T>,
  opts: { signal?: AbortSignal; onWait?: (holder: string) => void; onTakeOver?: (previous: string) => void; waitMs?: number } = {},
): Promise<T> {
  return withFileLock(driveLockPath(cataloguePath, device), `The tape drive ${device}`, fn, {
    waitMs: opts.waitMs ?? policies.tapeDriveLock.timeoutMs,
    waitSetting: policies.tapeDriveLock.setting,
    signal: opts.signal,
    onWait: opts.onWait,
    onTakeOver: opts.onTakeOver,
  });
}

export function findTape(cat: Catalogue, indicator: string): TapeRecord | undefined {
  return cat.tapes.find((t) => t.indicator === indicator && !t.erasedAt);
}

/** Where a given object version is held: verified tape files, on any tape still in use. */
export function locationsOf(cat: Catalogue, objectId: string, version: string): { tape: TapeRecord; file: TapeFileRecord; object: ObjectOnTape }[] {
  const out: { tape: TapeRecord; file: TapeFileRecord; object: ObjectOnTape }[] = [];
  for (const tape of cat.tapes) {
    if (tape.erasedAt) continue;
    for (const file of tape.files) {
      if (file.state !== 'verified') continue;
      for (const object of file.objects) if (object.objectId === objectId && object.versions.includes(version)) out.push({ tape, file, object });
    }
  }
  return out;
}

/** The versions of an object a tape already holds (verified). */
export function versionsOnTape(tape: TapeRecord, objectId: string): Set<string> {
  const s = new Set<string>();
  for (const f of tape.files) if (f.state === 'verified') for (const o of f.objects) if (o.objectId === objectId) for (const v of o.versions) s.add(v);
  return s;
}

/** The next indicator after the highest numbered one with this prefix, e.g. LTO-000124. */
export function nextIndicator(cat: Catalogue, prefix: string, after?: string): string {
  let max = 0;
  let width = 6;
  for (const ind of [...cat.tapes.map((t) => t.indicator), ...(after ? [after] : [])]) {
    if (!ind.startsWith(prefix)) continue;
    const m = /^(\d+)$/.exec(ind.slice(prefix.length));
    if (m) {
      max = Math.max(max, Number(m[1]));
      width = Math.max(width, m[1].length);
    }
  }
  return `${prefix}${String(max + 1).padStart(width, '0')}`;
}
