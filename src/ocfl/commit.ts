/**
 * Adding a version to an object (creating it with v1). The version is assembled in a workspace
 * outside the storage root, then installed in the order of the OCFL implementation notes
 * (§3.7.2.3): rename the version directory into the object, rename a new root inventory over the
 * old one, then the root sidecar last. Payload already in the object is referenced by digest and
 * never read again, so a version can be added when only the inventories are on this disk. A file
 * whose digests the caller computed when it made it (a JP2) is not read either: it is hard-linked
 * into the version where it shares the storage root's file system, and copied with its digests
 * verified where it does not (docs/ocfl.md, "Installing without reading").
 * An object continues in its own digest algorithm: a sha256 object made by another tool gets
 * sha256 manifest keys and an inventory.json.sha256 sidecar, never a mixture. The new inventory
 * is checked against the specification before anything is installed.
 */
import type { Stats } from 'node:fs';
import { link, mkdir, mkdtemp, open, rename, rm, stat } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { copyWithDigests, DigestMismatchError, hashFile } from '../hash.js';
import {
  CONTENT_DIRECTORY,
  INVENTORY_TYPE_1_1,
  OBJECT_NAMASTE,
  OBJECT_NAMASTE_CONTENT,
  readObjectInventory,
  rfc3339,
  serializeInventory,
  sidecarText,
  stateOf,
  manifestIndex,
  type Inventory,
  type LogicalState,
} from './inventory.js';
import { ensureStorageRoot, objectPath } from './layout.js';
import { workspacePath } from './companion.js';
import { withObjectLock, type LockOptions } from './lock.js';
import { recoverObject } from './recover.js';
import { findConflict, pathProblem, versionNumber } from './paths.js';
import { pruneEmptyDirs } from './fsutil.js';
import { syncDir, writeFileAtomic, writeFileSynced } from '../atomicWrite.js';
import { PermanentError } from '../policies.js';
import { Collector } from './validate/result.js';
import { checkInventory } from './validate/inventoryCheck.js';

export interface IncomingFile {
  /** Path inside the object's state, e.g. `images/HaleGE_001_01_0001.jp2`. */
  logicalPath: string;
  /** Where the file is on disk now. */
  sourcePath: string;
  /** Digests computed when the file was made; a mismatch aborts the version and names the file. */
  digests?: { sha512?: string; sha256?: string };
  /**
   * The file as it was when `digests` were computed (Distillery's own JP2s). Given with both
   * digests, the file is not read again: new content is hard-linked into the version (copied with
   * its digests verified where a link cannot be made), unchanged content is referenced; a file
   * whose size, modification time or inode differs from this is refused, nothing installed.
   */
  made?: MadeFile;
}

/** Size, modification time and inode of a file when its digests were computed (from `stat`). */
export interface MadeFile {
  bytes: number;
  mtimeMs: number;
  ino: number;
}

export interface CommitMeta {
  message: string;
  user: { name: string; address?: string };
  created?: Date;
}

/** Points between install steps where a test can simulate a crash (by throwing). */
export type InstallStep = 'assembled' | 'version-installed' | 'root-inventory-installed' | 'sidecar-installed';

export interface CommitOptions {
  /** replace (default): the new state is exactly `files`. merge: `files` are added to (or replace paths in) the head state. */
  mode?: 'replace' | 'merge';
  /** Logical paths to drop from the state (merge mode). */
  remove?: string[];
  /** Where versions are assembled; defaults to `<root>-distillery/workspace` (must be on the root's file system). */
  workspace?: string;
  lock?: LockOptions;
  /** Make a version even when the state is unchanged (purge uses this to keep version numbers). */
  force?: boolean;
  /** The content-addressing algorithm of a new object (default sha512); an existing object keeps its own. */
  digestAlgorithm?: 'sha512' | 'sha256';
  /** Test hook, called after each install step; a throw there leaves the object as a crash would. */
  onStep?: (step: InstallStep) => void | Promise<void>;
}

export interface CommitResult {
  objectId: string;
  objectPath: string;
  version: string;
  changed: boolean;
  /** Content files this version added, relative to the object root, e.g. `v2/content/a.jp2`. */
  newContentPaths: string[];
}

export async function commitVersion(
  rootPath: string,
  objectId: string,
  files: IncomingFile[],
  meta: CommitMeta,
  opts: CommitOptions = {},
): Promise<CommitResult> {
  checkIncoming(files);
  await ensureStorageRoot(rootPath);
  const relPath = objectPath(objectId);
  const objectRoot = join(rootPath, relPath);
  return withObjectLock(rootPath, objectId, async () => {
    await recoverObject(rootPath, objectRoot);
    const inv = await readObjectInventory(objectRoot);
    if (!inv) await refuseIfOccupied(objectRoot);
    if (inv && inv.id !== objectId) {
      throw new PermanentError(`The object at ${objectRoot} has id ${inv.id}, not ${objectId}: two ids map to one path, which the layout should make impossible. Check the storage root.`);
    }
    if (inv && inv.type !== INVENTORY_TYPE_1_1) {
      throw new PermanentError(`${objectId} is an OCFL object of type ${inv.type}; Distillery adds versions to OCFL 1.1 objects only.`);
    }
    const alg = inv?.digestAlgorithm ?? opts.digestAlgorithm ?? 'sha512';
    if (alg !== 'sha512' && alg !== 'sha256') {
      throw new PermanentError(`${objectId} uses the digest algorithm ${JSON.stringify(alg)}, which OCFL does not allow for content addressing; run "distillery ocfl validate" on it.`);
    }
    const version = nextVersion(inv?.head);
    const wsBase = opts.workspace ?? workspacePath(rootPath);
    await mkdir(wsBase, { recursive: true });
    const ws = await mkdtemp(join(wsBase, 'commit-'));
    try {
      const versionDir = join(ws, version);
      const cdName = inv?.contentDirectory ?? CONTENT_DIRECTORY;
      const contentDir = join(versionDir, cdName);
      const known = inv ? manifestIndex(inv) : new Map<string, string[]>();
      const added = new Map<string, { contentPath: string; sha256: string; sha512: string }>();
      const incoming: LogicalState = new Map();
      for (const f of files) {
        const want = f.digests?.[alg]?.toLowerCase();
        if (want && (known.has(want) || added.has(want))) {
          // Unchanged content (or the same bytes twice): referenced by the digest given, not copied.
          await checkMade(f);
          incoming.set(f.logicalPath, want);
          continue;
        }
        const dst = join(contentDir, ...f.logicalPath.split('/'));
        const sha512 = f.digests?.sha512?.toLowerCase();
        const sha256 = f.digests?.sha256?.toLowerCase();
        if (want && sha512 && sha256 && f.made && (await linkMade(f, f.made, dst))) {
          incoming.set(f.logicalPath, want);
          added.set(want, { contentPath: `${version}/${cdName}/${f.logicalPath}`, sha256, sha512 });
          continue;
        }
        const got = await copyWithDigests(f.sourcePath, dst, f.digests);
        incoming.set(f.logicalPath, got[alg]);
        if (known.has(got[alg]) || added.has(got[alg])) {
          await rm(dst); // the same bytes are already stored: reference them
        } else {
          added.set(got[alg], { contentPath: `${version}/${cdName}/${f.logicalPath}`, sha256: got.sha256, sha512: got.sha512 });
        }
      }
      await pruneEmptyDirs(contentDir);

      const state: LogicalState = opts.mode === 'merge' && inv ? stateOf(inv) : new Map();
      for (const p of opts.remove ?? []) state.delete(p);
      for (const [p, d] of incoming) state.set(p, d);
      const conflict = findConflict(state.keys());
      if (conflict) throw new PermanentError(`Logical paths ${conflict[0]} and ${conflict[1]} conflict (one is a folder of the other); rename one.`);

      if (inv && !opts.force && sameState(stateOf(inv), state)) {
        return { objectId, objectPath: relPath, version: inv.head, changed: false, newContentPaths: [] };
      }

      const next = buildInventory(inv, objectId, version, state, added, meta, alg);
      checkBeforeInstall(next, objectId);
      const { bytes, digest } = serializeInventory(next);
      const sidecarName = `inventory.json.${alg}`;
      await mkdir(versionDir, { recursive: true });
      await writeFileSynced(join(versionDir, 'inventory.json'), bytes);
      await writeFileSynced(join(versionDir, sidecarName), sidecarText(digest));
      await opts.onStep?.('assembled');

      if (!inv) {
        // A new object is assembled whole and appears with one rename.
        const objDir = join(ws, 'object');
        await mkdir(objDir);
        await writeFileSynced(join(objDir, OBJECT_NAMASTE), OBJECT_NAMASTE_CONTENT);
        await rename(versionDir, join(objDir, version));
        await writeFileSynced(join(objDir, 'inventory.json'), bytes);
        await writeFileSynced(join(objDir, sidecarName), sidecarText(digest));
        await mkdir(dirname(objectRoot), { recursive: true });
        await rename(objDir, objectRoot);
        await syncDir(dirname(objectRoot));
        await opts.onStep?.('version-installed');
        await opts.onStep?.('root-inventory-installed');
        await opts.onStep?.('sidecar-installed');
      } else {
        await rename(versionDir, join(objectRoot, version));
        await syncDir(objectRoot);
        await opts.onStep?.('version-installed');
        await writeFileAtomic(join(objectRoot, 'inventory.json'), bytes, { tmpDir: ws });
        await opts.onStep?.('root-inventory-installed');
        await writeFileAtomic(join(objectRoot, sidecarName), sidecarText(digest), { tmpDir: ws });
        await opts.onStep?.('sidecar-installed');
      }
      return { objectId, objectPath: relPath, version, changed: true, newContentPaths: [...added.values()].map((a) => a.contentPath).sort() };
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  }, opts.lock);
}

/** Link errors that mean "no link here" (another file system, links not allowed or supported): copy instead. */
const NO_LINK = new Set(['EXDEV', 'EPERM', 'EACCES', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/**
 * Installs a file Distillery made by a hard link (no byte is read), when the file system allows;
 * false when it does not, so the caller copies with digests verified. The link is checked after
 * it is made, against the file it names: same inode, size and modification time as when the
 * digests were computed, or it is removed and the version refused. The data is flushed (fsync
 * writes what is not yet on disk; it reads nothing) before the version can be installed.
 */
async function linkMade(f: IncomingFile, made: MadeFile, dst: string): Promise<boolean> {
  await mkdir(dirname(dst), { recursive: true });
  try {
    await link(f.sourcePath, dst);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOENT') throw missing(f.sourcePath);
    if (NO_LINK.has(code)) return false;
    throw err;
  }
  try {
    changedSinceMade(f.sourcePath, made, await stat(dst));
    const fh = await open(dst, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    await rm(dst, { force: true });
    throw err;
  }
  return true;
}

/**
 * Refuses a file that is not what its digests say: by how it was when they were computed, when the
 * caller says (a file Distillery made, not read again), otherwise by reading it (an archivist's file).
 */
async function checkMade(f: IncomingFile): Promise<void> {
  const s = await stat(f.sourcePath).catch((err: NodeJS.ErrnoException) => {
    throw err.code === 'ENOENT' ? missing(f.sourcePath) : err;
  });
  if (f.made) return changedSinceMade(f.sourcePath, f.made, s);
  const { digests } = await hashFile(f.sourcePath, ['sha512', 'sha256']);
  for (const alg of ['sha512', 'sha256'] as const) {
    const w = f.digests?.[alg]?.toLowerCase();
    if (w && w !== digests[alg]) throw new DigestMismatchError(f.sourcePath, alg, w, digests[alg]);
  }
}

function changedSinceMade(path: string, made: MadeFile, now: Stats): void {
  const what =
    now.size !== made.bytes ? `it has ${now.size} bytes, ${made.bytes} when it was verified`
    : now.ino !== made.ino ? 'another file has replaced it since it was verified'
    : now.mtimeMs !== made.mtimeMs ? `modified at ${new Date(now.mtimeMs).toISOString()}, after it was verified at ${new Date(made.mtimeMs).toISOString()}`
    : undefined;
  if (what) {
    throw new PermanentError(
      `${path} changed after its digests were computed (${what}), so it is not the file that was verified; nothing was installed. ` +
        'Run the folder again: the image is converted and verified again. A retry alone cannot help.',
    );
  }
}

function missing(path: string): PermanentError {
  return new PermanentError(`${path} does not exist; it was moved or deleted before it could be preserved. Run the folder again.`);
}

/**
 * The new inventory must pass the validator's inventory rules (the same code `ocfl validate`
 * runs) before it is installed: a writer bug or an object this writer cannot continue stops here,
 * with the object untouched.
 */
function checkBeforeInstall(next: Inventory, objectId: string): void {
  const c = new Collector();
  const checked = checkInventory(JSON.parse(JSON.stringify(next)), `${objectId} ${next.head}/inventory.json`, c, '1.1');
  if (!checked.usable || c.errors.length > 0) {
    throw new PermanentError(
      `The new version ${next.head} of ${objectId} would not be valid OCFL (${c.errors.map((e) => `${e.code}: ${e.message}`).join('; ')}); nothing was installed. ` +
        'Run "distillery ocfl validate" on the object.',
    );
  }
}

function checkIncoming(files: IncomingFile[]): void {
  const seen = new Set<string>();
  for (const f of files) {
    const problem = pathProblem(f.logicalPath);
    if (problem) throw new PermanentError(`"${f.logicalPath}" cannot be a path in an OCFL object (${problem}); use a relative path with / between non-empty names.`);
    if (seen.has(f.logicalPath)) throw new PermanentError(`"${f.logicalPath}" is given twice; each logical path can hold one file.`);
    seen.add(f.logicalPath);
  }
  const conflict = findConflict(seen);
  if (conflict) throw new PermanentError(`Logical paths ${conflict[0]} and ${conflict[1]} conflict (one is a folder of the other); rename one.`);
}

async function refuseIfOccupied(objectRoot: string): Promise<void> {
  const exists = await stat(objectRoot).then(() => true, () => false);
  if (exists) {
    throw new PermanentError(`${objectRoot} exists but holds no inventory.json; it is not an OCFL object Distillery can add to. Run "distillery ocfl validate" on it and move it aside.`);
  }
}

function nextVersion(head: string | undefined): string {
  if (!head) return 'v1';
  const n = versionNumber(head)!;
  // Keep an existing object's zero-padding; Distillery itself never pads.
  const width = head.startsWith('v0') ? head.length - 1 : 0;
  if (width > 0 && String(n + 1).length >= width) {
    throw new PermanentError(`Version ${head} is the last its zero-padded names can hold (E011); this object cannot take another version. Make a new object.`);
  }
  return `v${String(n + 1).padStart(width, '0')}`;
}

function sameState(a: LogicalState, b: LogicalState): boolean {
  if (a.size !== b.size) return false;
  for (const [p, d] of a) if (b.get(p) !== d) return false;
  return true;
}

export function mailto(address: string | undefined): string | undefined {
  if (!address) return undefined;
  return /^[a-z][a-z0-9+.-]*:/i.test(address) ? address : `mailto:${address}`;
}

function buildInventory(
  prev: Inventory | undefined,
  id: string,
  version: string,
  state: LogicalState,
  added: Map<string, { contentPath: string; sha256: string; sha512: string }>,
  meta: CommitMeta,
  alg: 'sha512' | 'sha256',
): Inventory {
  const manifest: Record<string, string[]> = { ...(prev?.manifest ?? {}) };
  const fixity: Record<string, Record<string, string[]>> = {};
  for (const [alg, block] of Object.entries(prev?.fixity ?? {})) fixity[alg] = { ...block };
  // The other algorithm goes in the fixity block: sha256 is what ACE and Chronopolis use, and
  // a sha256 object gains the sha512 OCFL recommends.
  const other = alg === 'sha512' ? 'sha256' : 'sha512';
  fixity[other] ??= {};
  for (const [digest, a] of added) {
    manifest[digest] = [a.contentPath];
    const value = a[other];
    const existing = Object.keys(fixity[other]).find((k) => k.toLowerCase() === value);
    if (existing) fixity[other][existing] = [...fixity[other][existing], a.contentPath];
    else fixity[other][value] = [a.contentPath];
  }
  const blockState: Record<string, string[]> = {};
  // State digests use the manifest's spelling (case) of each digest.
  const spelling = new Map(Object.keys(manifest).map((d) => [d.toLowerCase(), d]));
  for (const [p, d] of [...state].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    const key = spelling.get(d) ?? d;
    (blockState[key] ??= []).push(p);
  }
  const user: { name: string; address?: string } = { name: meta.user.name };
  const address = mailto(meta.user.address);
  if (address) user.address = address;
  return {
    id,
    type: INVENTORY_TYPE_1_1,
    digestAlgorithm: alg,
    head: version,
    // Set in v1 and never changed (E019/E108); an object made elsewhere without it keeps the default.
    contentDirectory: prev ? prev.contentDirectory : CONTENT_DIRECTORY,
    manifest,
    versions: {
      ...(prev?.versions ?? {}),
      [version]: { created: rfc3339(meta.created ?? new Date()), state: blockState, message: meta.message, user },
    },
    ...(Object.values(fixity).some((b) => Object.keys(b).length > 0) ? { fixity } : {}),
  };
}
