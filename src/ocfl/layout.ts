/**
 * The storage root and where objects sit in it. Distillery uses the registered extension
 * 0004-hashed-n-tuple-storage-layout (sha256 of the id, three 3-character directories, then the
 * whole digest): any id (a URI with `/` and `:`) maps to a safe path, objects spread evenly over
 * directories, and rocfl, ocfl-java and ocfl-go read the same layout.
 */
import { mkdir, readFile, writeFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex } from './digest.js';
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
 * extension's config.json), or checks an existing one uses this layout. Safe to call every run.
 */
export async function ensureStorageRoot(rootPath: string): Promise<void> {
  await mkdir(rootPath, { recursive: true });
  const entries = await readdir(rootPath);
  const declarations = entries.filter((e) => e.startsWith('0=ocfl_'));
  if (declarations.length === 0) {
    const others = entries.filter((e) => !e.startsWith('.'));
    if (others.length > 0) {
      throw new PermanentError(
        `${rootPath} is not empty and is not an OCFL storage root (no 0=ocfl_1.1 file). ` +
          `Point the preservation folder setting at an empty folder or an existing storage root.`,
      );
    }
    await mkdir(join(rootPath, 'extensions', LAYOUT_EXTENSION), { recursive: true });
    await writeFile(join(rootPath, 'extensions', LAYOUT_EXTENSION, 'config.json'), JSON.stringify(LAYOUT_CONFIG, null, 2) + '\n');
    await writeFile(
      join(rootPath, 'ocfl_layout.json'),
      JSON.stringify({ extension: LAYOUT_EXTENSION, description: 'Hashed n-tuple storage layout: sha256 of the object id, 3 tuples of 3 characters, then the full digest.' }, null, 2) + '\n',
    );
    // The declaration last: a root is only a root once it describes itself.
    await writeFile(join(rootPath, ROOT_NAMASTE), ROOT_NAMASTE_CONTENT);
    return;
  }
  const layout = await readFile(join(rootPath, 'ocfl_layout.json'), 'utf8').then((t) => JSON.parse(t) as { extension?: string }, () => undefined);
  if (layout && layout.extension !== LAYOUT_EXTENSION) {
    throw new PermanentError(
      `${rootPath} uses the storage layout ${layout.extension}, but Distillery writes ${LAYOUT_EXTENSION}. Use a separate storage root.`,
    );
  }
}

export async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}
