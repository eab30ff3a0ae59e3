/**
 * Reading an object for people and destinations: its inventory, the files of one version a
 * destination must send (payload first, sidecar last), export of a version's logical state, the
 * difference between two versions, and removal of the local payload once it is held elsewhere.
 */
import { copyFile, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { objectPath } from './layout.js';
import { elsewhereMarkerPath } from './companion.js';
import { readObjectInventory, stateOf, manifestIndex, OBJECT_NAMASTE, type Inventory } from './inventory.js';
import { withObjectLock } from './lock.js';
import { versionNumber } from './paths.js';
import { PermanentError } from '../policies.js';

export async function readInventory(rootPath: string, objectId: string): Promise<Inventory | undefined> {
  return readObjectInventory(join(rootPath, objectPath(objectId)));
}

async function mustRead(rootPath: string, objectId: string): Promise<Inventory> {
  const inv = await readInventory(rootPath, objectId);
  if (!inv) throw new PermanentError(`There is no OCFL object ${objectId} in ${rootPath}.`);
  return inv;
}

export interface FileToSend {
  /** Relative to the object root. */
  path: string;
  bytes: number;
  sha512?: string;
  sha256?: string;
  kind: 'payload' | 'metadata';
  /** A payload file removed from this disk after it was sent (KEEP_LOCAL_PAYLOAD=false); bytes unknown. */
  heldElsewhere?: boolean;
}

/**
 * The files of `version` a destination must send, relative to the object root: the version's new
 * payload, then `vN/inventory.json` and its sidecar, the object declaration, the root inventory
 * and the root sidecar LAST — a copy is only complete (and valid) once its sidecar arrives.
 */
export async function filesToSend(rootPath: string, objectId: string, version: string, opts: { includeHeldElsewhere?: boolean } = {}): Promise<FileToSend[]> {
  const objectRoot = join(rootPath, objectPath(objectId));
  const inv = await mustRead(rootPath, objectId);
  if (!inv.versions[version]) throw new PermanentError(`${objectId} has no version ${version} (head is ${inv.head}).`);
  const sha256Of = new Map<string, string>();
  for (const [d, paths] of Object.entries(inv.fixity?.sha256 ?? {})) for (const p of paths) sha256Of.set(p, d.toLowerCase());
  const out: FileToSend[] = [];
  const payload: [string, string][] = [];
  for (const [d, paths] of Object.entries(inv.manifest)) for (const p of paths) if (p.startsWith(`${version}/`)) payload.push([p, d.toLowerCase()]);
  payload.sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [p, d] of payload) {
    const s = await stat(join(objectRoot, p)).catch(() => undefined);
    if (!s && opts.includeHeldElsewhere && (await payloadHeldElsewhere(rootPath, objectId))) {
      out.push({ path: p, bytes: 0, sha512: d, sha256: sha256Of.get(p), kind: 'payload', heldElsewhere: true });
      continue;
    }
    if (!s) throw new PermanentError(`${p} of ${objectId} is not on this disk (its payload was removed after it was sent); it cannot be sent again from here.`);
    out.push({ path: p, bytes: s.size, sha512: d, sha256: sha256Of.get(p), kind: 'payload' });
  }
  const meta = async (p: string) => {
    const s = await stat(join(objectRoot, p)).catch(() => undefined);
    if (s) out.push({ path: p, bytes: s.size, kind: 'metadata' });
  };
  await meta(`${version}/inventory.json`);
  await meta(`${version}/inventory.json.${inv.digestAlgorithm}`);
  await meta(OBJECT_NAMASTE);
  await meta('inventory.json');
  await meta(`inventory.json.${inv.digestAlgorithm}`);
  return out;
}

/** Copies the logical state of `version` (default head) into `destDir` (which must not exist or be empty). */
export async function exportVersion(rootPath: string, objectId: string, destDir: string, version?: string): Promise<string[]> {
  const inv = await mustRead(rootPath, objectId);
  const objectRoot = join(rootPath, objectPath(objectId));
  const index = manifestIndex(inv);
  const written: string[] = [];
  for (const [logicalPath, digest] of stateOf(inv, version ?? inv.head)) {
    const src = index.get(digest)?.[0];
    const dst = join(destDir, ...logicalPath.split('/'));
    await mkdir(dirname(dst), { recursive: true });
    try {
      await copyFile(join(objectRoot, src!), dst);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new PermanentError(`${src} is not on this disk (payload held elsewhere); fetch the object from a destination first.`);
      throw err;
    }
    written.push(logicalPath);
  }
  return written.sort();
}

export interface VersionDiff {
  added: string[];
  removed: string[];
  modified: string[];
  renamed: { from: string; to: string }[];
}

/** What changed between two versions, by logical path; a file that only moved is a rename. */
export function diffVersions(inv: Inventory, from: string, to: string): VersionDiff {
  const a = stateOf(inv, from);
  const b = stateOf(inv, to);
  const diff: VersionDiff = { added: [], removed: [], modified: [], renamed: [] };
  const addedPaths: string[] = [];
  for (const [p, d] of b) {
    if (!a.has(p)) addedPaths.push(p);
    else if (a.get(p) !== d) diff.modified.push(p);
  }
  const removedPaths = [...a.keys()].filter((p) => !b.has(p));
  const removedByDigest = new Map<string, string[]>();
  for (const p of removedPaths) {
    const d = a.get(p)!;
    if (!removedByDigest.has(d)) removedByDigest.set(d, []);
    removedByDigest.get(d)!.push(p);
  }
  for (const p of addedPaths) {
    const from = removedByDigest.get(b.get(p)!)?.shift();
    if (from) diff.renamed.push({ from, to: p });
    else diff.added.push(p);
  }
  for (const list of removedByDigest.values()) diff.removed.push(...list);
  diff.added.sort();
  diff.removed.sort();
  diff.modified.sort();
  return diff;
}

export interface ElsewhereMarker {
  objectId: string;
  objectPath: string;
  removedAt: string;
  /** Content paths (relative to the object root) removed from this disk. */
  contentPaths: string[];
}

/**
 * Removes the payload (every version's content directory) of an object whose versions every
 * destination has verified, keeping the declaration and all inventories so the next version can
 * still be built. A marker in the companion folder records what was removed, so validation knows
 * those files are held elsewhere rather than missing. The marker is written first: a crash
 * part-way leaves it describing at least every file already gone.
 */
export async function removeLocalPayload(rootPath: string, objectId: string): Promise<void> {
  await withObjectLock(rootPath, objectId, async () => {
    const objectRoot = join(rootPath, objectPath(objectId));
    const inv = await mustRead(rootPath, objectId);
    const markerPath = elsewhereMarkerPath(rootPath, objectId);
    const previous = await readFile(markerPath, 'utf8').then((t) => JSON.parse(t) as ElsewhereMarker, () => undefined);
    const paths = new Set(previous?.contentPaths ?? []);
    for (const list of Object.values(inv.manifest)) for (const p of list) paths.add(p);
    const marker: ElsewhereMarker = { objectId, objectPath: objectPath(objectId), removedAt: new Date().toISOString(), contentPaths: [...paths].sort() };
    await mkdir(dirname(markerPath), { recursive: true });
    await writeFile(markerPath, JSON.stringify(marker, null, 2) + '\n');
    const contentDir = inv.contentDirectory ?? 'content';
    for (const name of await readdir(objectRoot)) {
      if (versionNumber(name) !== undefined) await rm(join(objectRoot, name, contentDir), { recursive: true, force: true });
    }
  });
}

/** Whether this object's payload (or part of it) has been removed from this disk. */
export async function payloadHeldElsewhere(rootPath: string, objectId: string): Promise<boolean> {
  return stat(elsewhereMarkerPath(rootPath, objectId)).then(() => true, () => false);
}
