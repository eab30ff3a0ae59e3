/**
 * Walks a collection folder the way the original did: every subfolder that holds files is one
 * archival object's scans, in sorted order; its TIFFs are the images, sorted. Anything that does
 * not fit (a stray file, a folder of another collection, an empty folder) is returned as a
 * problem rather than thrown, so a run or a report can list them all at once.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { componentIdFromFolderName } from './componentId.js';

export { componentIdFromFolderName, FolderNameError } from './componentId.js';

export interface DiscoveredImage {
  path: string;
  name: string;
  /** File name without extension, e.g. HBF_001_02_0003. */
  stem: string;
  /** Last `_` part of the stem, zero-padded to 4, e.g. "0003". */
  sequence: string;
  bytes: number;
}

export interface DiscoveredFolder {
  name: string;
  path: string;
  componentId: string;
  images: DiscoveredImage[];
  /** Paths of the folder's other files (PDF, audio, video, text…): preserved as they are. */
  otherFiles: string[];
  /** System junk left by file browsers (JUNK_FILES): not preserved, each named here. */
  skipped: string[];
}

/** What file browsers leave behind; JUNK_FILES replaces the list (`*` matches any characters). */
export const DEFAULT_JUNK_FILES = ['Thumbs.db', '.DS_Store', '._*', 'desktop.ini', 'ehthumbs.db'];

/** Whether a file name matches one of the junk patterns (`*` = any characters; case ignored). */
export function isJunk(name: string, patterns: readonly string[] = DEFAULT_JUNK_FILES): boolean {
  return patterns.some((p) => new RegExp(`^${p.split('*').map((x) => x.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i').test(name));
}

export interface DiscoveryProblem {
  path: string;
  message: string;
}

const TIFF = new Set(['.tif', '.tiff']);
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export async function discoverFolders(
  collectionPath: string,
  collectionId: string,
  opts: { junk?: readonly string[] } = {},
): Promise<{ folders: DiscoveredFolder[]; problems: DiscoveryProblem[] }> {
  const junk = opts.junk ?? DEFAULT_JUNK_FILES;
  let entries;
  try {
    entries = await readdir(collectionPath, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `The collection folder ${collectionPath} does not exist. Check the collection ID (case matters) and that the folder was copied to the originals folder.`
        : `Cannot read the collection folder ${collectionPath} (${code}). Check its permissions.`,
    );
  }
  const folders: DiscoveredFolder[] = [];
  const problems: DiscoveryProblem[] = [];
  for (const entry of entries.sort((a, b) => byName(a.name, b.name))) {
    const path = join(collectionPath, entry.name);
    if (entry.name.startsWith('.')) continue;
    if (!entry.isDirectory()) {
      problems.push({ path, message: `File "${entry.name}" is outside any folder and is ignored; move it into its folder.` });
      continue;
    }
    const all = (await readdir(path, { withFileTypes: true })).sort((a, b) => byName(a.name, b.name));
    const skipped = all.filter((e) => e.isFile() && isJunk(e.name, junk)).map((e) => join(path, e.name));
    // Hidden folders (.git, .Trash…) are not scans; a hidden file that is not junk is kept.
    const inside = all.filter((e) => !(e.isFile() && isJunk(e.name, junk)) && !(e.isDirectory() && e.name.startsWith('.')));
    const files = inside.filter((e) => e.isFile());
    for (const sub of inside.filter((e) => e.isDirectory())) {
      problems.push({ path: join(path, sub.name), message: `Subfolder "${sub.name}" inside folder ${entry.name} is ignored; folders hold files only.` });
    }
    if (files.length === 0) {
      problems.push({ path, message: `Folder "${entry.name}" is empty and is skipped.` });
      continue;
    }
    let componentId: string;
    try {
      componentId = componentIdFromFolderName(entry.name, collectionId);
    } catch (err) {
      problems.push({ path, message: (err as Error).message });
      continue;
    }
    const images: DiscoveredImage[] = [];
    const otherFiles: string[] = [];
    for (const f of files) {
      const filePath = join(path, f.name);
      const ext = extname(f.name);
      if (!TIFF.has(ext.toLowerCase())) {
        otherFiles.push(filePath);
        continue;
      }
      const stem = f.name.slice(0, -ext.length);
      const last = stem.slice(stem.lastIndexOf('_') + 1);
      if (!stem.startsWith(`${entry.name}_`) || !/^\d+$/.test(last)) {
        problems.push({ path: filePath, message: `Image "${f.name}" is not named ${entry.name}_<sequence>${ext}; its sequence is taken as "${last}".` });
      }
      images.push({ path: filePath, name: f.name, stem, sequence: last.padStart(4, '0'), bytes: (await stat(filePath)).size });
    }
    folders.push({ name: entry.name, path, componentId, images, otherFiles, skipped });
  }
  return { folders, problems };
}
