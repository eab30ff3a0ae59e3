/** Small durable-write helpers: a file is fsynced before it is renamed into place. */
import { open, readdir, rmdir, rename } from 'node:fs/promises';
import { join } from 'node:path';

export async function writeFileSynced(path: string, data: Buffer | string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `data` to `tmpPath` (outside the object), fsyncs, then renames it over `path`. */
export async function replaceFile(tmpPath: string, path: string, data: Buffer | string): Promise<void> {
  await writeFileSynced(tmpPath, data);
  await rename(tmpPath, path);
}

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
