/** Small folder helpers of the OCFL code (durable writes are src/atomicWrite.ts). */
import { readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Removes empty directories below `dir` (and `dir` itself if it ends up empty). Returns true if `dir` was removed. */
export async function pruneEmptyDirs(dir: string): Promise<boolean> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  let remaining = entries.length;
  for (const e of entries) {
    if (e.isDirectory() && (await pruneEmptyDirs(join(dir, e.name)))) remaining--;
  }
  if (remaining === 0) {
    await rmdir(dir);
    return true;
  }
  return false;
}

/** Every regular file below `dir`, as `/`-separated paths relative to it. */
export async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out;
}
