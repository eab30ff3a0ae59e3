/**
 * The one way to replace a whole file so that a reader (another process, or the next run after a
 * power cut) sees either the old contents or the new, never half: write a temporary file with a
 * name unique to this writer and call, fsync it, rename it over the target, fsync the folder so
 * the rename itself survives a crash. A temporary file left by a crash matches TEMP_FILE, so
 * readers can skip it and cleaners can recognise it.
 */
import { randomUUID } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** A temporary name writeFileAtomic uses: `.<name>.<pid>.<8 hex>.tmp` (hidden, so listings and web servers pass it over). */
export const TEMP_FILE = /^\..+\.\d+\.[0-9a-f]{8}\.tmp$/;

/** A name beside `path` (or in `dir`) no other writer, in this process or another, will use. */
export function tempPathFor(path: string, dir = dirname(path)): string {
  return join(dir, `.${basename(path)}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
}

/** Writes `data` to `path` (a new file, or replacing one) and fsyncs it before returning. */
export async function writeFileSynced(path: string, data: Buffer | string, opts: { mode?: number; exclusive?: boolean } = {}): Promise<void> {
  const fh = await open(path, opts.exclusive ? 'wx' : 'w', opts.mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Makes a rename or a new name in `dir` durable. Some file systems cannot fsync a folder; they need not. */
export async function syncDir(dir: string): Promise<void> {
  let fh;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM' && code !== 'ENOTSUP') throw err;
  } finally {
    await fh?.close();
  }
}

/**
 * Replaces `path` with `data` atomically and durably. `tmpDir` puts the temporary file elsewhere on
 * the same file system (an OCFL object must never hold a file its inventory does not list, even
 * for a moment a crash could freeze). `mode` is the new file's permission bits.
 */
export async function writeFileAtomic(path: string, data: Buffer | string, opts: { tmpDir?: string; mode?: number } = {}): Promise<void> {
  const tmp = tempPathFor(path, opts.tmpDir);
  try {
    await writeFileSynced(tmp, data, { mode: opts.mode, exclusive: true });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDir(dirname(path));
}
