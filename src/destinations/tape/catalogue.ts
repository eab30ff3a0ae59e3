/**
 * The tape catalogue: which tapes exist, and for each tape file its number, what it holds (OCFL
 * objects and versions, every file with bytes and sha512), when it was written and whether it was
 * read back and verified. Kept as one JSON file on the shared mount, replaced atomically; a copy
 * of a tape's own part travels inside every run file written to that tape.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

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
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(cat, null, 2)}\n`);
  await rename(tmp, path);
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
