/**
 * The storage root and where objects sit in it. Distillery uses the registered extension
 * 0004-hashed-n-tuple-storage-layout (sha256 of the id, three 3-character directories, then the
 * whole digest): any id (a URI with `/` and `:`) maps to a safe path, objects spread evenly over
 * directories, and rocfl, ocfl-java and ocfl-go read the same layout.
 */
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from '../hash.js';
import { writeFileAtomic } from '../atomicWrite.js';
import { PermanentError } from '../policies.js';

export const LAYOUT_EXTENSION = '0004-hashed-n-tuple-storage-layout';
export const ROOT_NAMASTE = '0=ocfl_1.1';
export const ROOT_NAMASTE_CONTENT = 'ocfl_1.1\n';
export const OCFL_SPEC_URL = 'https://ocfl.io/1.1/spec/';

export interface Layout0004Config {
  extensionName: typeof LAYOUT_EXTENSION;
  digestAlgorithm: 'sha256';
  tupleSize: number;
  numberOfTuples: number;
  shortObjectRoot: boolean;
}

export const LAYOUT_CONFIG: Layout0004Config = {
  extensionName: LAYOUT_EXTENSION,
  digestAlgorithm: 'sha256',
  tupleSize: 3,
  numberOfTuples: 3,
  shortObjectRoot: false,
};

/** The object root of `objectId`, relative to the storage root, e.g. `3c0/ff4/240/3c0ff424…`. */
export function objectPath(objectId: string, config: Layout0004Config = LAYOUT_CONFIG): string {
  const digest = sha256Hex(Buffer.from(objectId, 'utf8'));
  const parts: string[] = [];
  for (let i = 0; i < config.numberOfTuples; i++) parts.push(digest.slice(i * config.tupleSize, (i + 1) * config.tupleSize));
  parts.push(config.shortObjectRoot ? digest.slice(config.numberOfTuples * config.tupleSize) : digest);
  return parts.join('/');
}

/**
 * Creates the storage root if needed (NAMASTE `0=ocfl_1.1`, `ocfl_layout.json`, the 0004
 * extension's config.json), or checks an existing one uses this layout. Safe to call every run,
 * from several writers at once, and after a crash halfway through creating the root: a folder
 * holding only what this function writes first is a root still being created, and is completed.
 */
export async function ensureStorageRoot(rootPath: string): Promise<void> {
  await mkdir(rootPath, { recursive: true });
  const entries = await readdir(rootPath);
  const declarations = entries.filter((e) => e.startsWith('0=ocfl_'));
  if (declarations.length === 0) {
    if (!(await onlyRootInTheMaking(rootPath, entries))) {
      throw new PermanentError(
        `${rootPath} is not empty and is not an OCFL storage root (no 0=ocfl_1.1 file). ` +
          `Point the preservation folder setting at an empty folder or an existing storage root.`,
      );
    }
    // Each file is written under a hidden temporary name and renamed into place, so writers
    // racing here write the same bytes and none sees a half-written file.
    const put = (dir: string, name: string, data: string) => writeFileAtomic(join(dir, name), data);
    const extensionDir = join(rootPath, 'extensions', LAYOUT_EXTENSION);
    await mkdir(extensionDir, { recursive: true });
    await put(extensionDir, 'config.json', JSON.stringify(LAYOUT_CONFIG, null, 2) + '\n');
    await put(rootPath, 'ocfl_layout.json', JSON.stringify({ extension: LAYOUT_EXTENSION, description: LAYOUT_DESCRIPTION }, null, 2) + '\n');
    // The declaration last: a root is only a root once it describes itself.
    await put(rootPath, ROOT_NAMASTE, ROOT_NAMASTE_CONTENT);
    return;
  }
  const layout = await readFile(join(rootPath, 'ocfl_layout.json'), 'utf8').then((t) => JSON.parse(t) as { extension?: string }, () => undefined);
  if (layout && layout.extension !== LAYOUT_EXTENSION) {
    throw new PermanentError(
      `${rootPath} uses the storage layout ${layout.extension}, but Distillery writes ${LAYOUT_EXTENSION}. Use a separate storage root.`,
    );
  }
}

const LAYOUT_DESCRIPTION = 'Hashed n-tuple storage layout: sha256 of the object id, 3 tuples of 3 characters, then the full digest.';

/** True when a folder without a declaration holds nothing but what ensureStorageRoot writes before it. */
async function onlyRootInTheMaking(rootPath: string, entries: string[]): Promise<boolean> {
  for (const e of entries.filter((n) => !n.startsWith('.'))) {
    if (e === 'ocfl_layout.json') continue;
    if (e !== 'extensions') return false;
    const inside = await readdir(join(rootPath, 'extensions')).catch(() => undefined);
    if (!inside || inside.some((n) => n !== LAYOUT_EXTENSION)) return false;
  }
  return true;
}

export async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}
