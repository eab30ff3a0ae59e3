/**
 * Moves a collection folder between stages (STAGE_1 → STAGE_2 → STAGE_3) without ever losing a
 * file: a plain rename when possible; a merge when the destination already exists (a file that
 * is already there with the same bytes is dropped from the source, a different one stops the move
 * with both left in place); a verified copy-then-delete across file systems.
 */
import { lstat, mkdir, readdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { syncDir, tempPathFor } from '../atomicWrite.js';
import { copyWithDigests, hashFile } from '../hash.js';

export class MoveConflict extends Error {
  override readonly name = 'MoveConflict';
}

export interface MoveResult {
  moved: number;
  alreadyThere: number;
}

export async function moveCollection(source: string, destination: string): Promise<MoveResult> {
  const dstExists = await stat(destination).then(() => true, () => false);
  if (!dstExists) {
    await mkdir(join(destination, '..'), { recursive: true });
    try {
      await rename(source, destination);
      return { moved: await countFiles(destination), alreadyThere: 0 };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    }
  }
  // First pass: find conflicts before touching anything, so a conflict leaves both trees as they were.
  const conflicts: string[] = [];
  for await (const file of walk(source)) {
    const rel = relative(source, file);
    const target = join(destination, rel);
    const st = await lstat(target).catch(() => undefined);
    if (st && (!st.isFile() || !(await sameContent(file, target)))) conflicts.push(rel);
  }
  if (conflicts.length) {
    throw new MoveConflict(
      `Cannot merge ${source} into ${destination}: ${conflicts.length} file(s) exist in both with different content ` +
        `(${conflicts.slice(0, 5).join(', ')}${conflicts.length > 5 ? ', …' : ''}). Compare them, keep the right one, then run again.`,
    );
  }
  const result: MoveResult = { moved: 0, alreadyThere: 0 };
  for await (const file of walk(source)) {
    const target = join(destination, relative(source, file));
    if (await lstat(target).then(() => true, () => false)) {
      await unlink(file); // identical bytes already at the destination (checked above)
      result.alreadyThere++;
      continue;
    }
    await mkdir(join(target, '..'), { recursive: true });
    try {
      await rename(file, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
      await copyVerified(file, target);
      await unlink(file);
    }
    result.moved++;
  }
  await removeEmptyDirs(source);
  return result;
}

async function* walk(dir: string): AsyncGenerator<string> {
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

async function countFiles(dir: string): Promise<number> {
  let n = 0;
  for await (const _ of walk(dir)) n++;
  return n;
}

async function removeEmptyDirs(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await removeEmptyDirs(join(dir, entry.name));
  }
  await rmdir(dir).catch(() => undefined); // not empty: something arrived meanwhile; leave it
}

async function sha256(path: string): Promise<string> {
  return (await hashFile(path, ['sha256'])).digests.sha256;
}

async function sameContent(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b)]);
  if (sa.size !== sb.size) return false;
  const [ha, hb] = await Promise.all([sha256(a), sha256(b)]);
  return ha === hb;
}

/**
 * Copies with a digest computed while copying, fsyncs, re-reads the copy and compares, then
 * renames it into place (a hidden temporary name of its own, so two movers never share one).
 */
async function copyVerified(src: string, dst: string): Promise<void> {
  const tmp = tempPathFor(dst);
  const copied = await copyWithDigests(src, tmp);
  if ((await sha256(tmp)) !== copied.sha256) {
    await unlink(tmp);
    throw new Error(`Copy of ${src} did not verify; the original is untouched. Check the disk and run again.`);
  }
  await rename(tmp, dst);
  await syncDir(dirname(dst));
}
