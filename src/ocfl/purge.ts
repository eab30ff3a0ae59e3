/**
 * Purge: removing files from every version of an object, e.g. for legal reasons. OCFL versions are
 * immutable, so (Implementation Notes §3.3) a new object is built whose history omits the files —
 * every version replayed without them, version numbers kept, each affected version's message
 * saying so — validated, and only then put in place of the old one. With `stub`, the new object
 * gets a new id and the old id keeps a one-version stub object that points to it and gives the
 * reason. Nothing is removed before the new object validates. The object's logs/ folder (earlier
 * purges, other tools' records) goes with its history, with this purge's record added; with a
 * stub, the stub gets the record too, and its REDIRECT.json gets an ACE token like any payload.
 */
import { cp, mkdir, mkdtemp, rename, rm, writeFile, readdir } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { commitVersion } from './commit.js';
import { objectPath } from './layout.js';
import { workspacePath, tokenStorePath, elsewhereMarkerPath } from './companion.js';
import { readObjectInventory, stateOf, manifestIndex, rfc3339 } from './inventory.js';
import { withObjectLock } from './lock.js';
import { validateObject } from './validate/object.js';
import { tokenizeVersion } from './ace/tokenize.js';
import type { Ims } from './ace/ims.js';
import { PermanentError } from '../policies.js';
import { stat } from 'node:fs/promises';

export interface PurgeOptions {
  reason: string;
  user: { name: string; address?: string };
  /** Leave a stub object at the old id pointing to the purged object, which then gets `newId`. */
  stub?: boolean;
  /** Id of the purged object when `stub` is set (default `<id>/purged-<timestamp>`). */
  newId?: string;
  /** When given, token stores are made again for every version of the purged object. */
  ims?: Ims;
  now?: Date;
}

export interface PurgeResult {
  objectId: string;
  /** Where the purged history now lives (the same id unless a stub was asked for). */
  purgedObjectId: string;
  stubObjectId?: string;
  /** Versions whose state lost files. */
  affectedVersions: string[];
  removedContentFiles: number;
}

export async function purgeFiles(rootPath: string, objectId: string, logicalPaths: string[], opts: PurgeOptions): Promise<PurgeResult> {
  if (!opts.reason?.trim()) throw new PermanentError('A purge needs a reason (--reason "…"); it is recorded in the object.');
  if (logicalPaths.length === 0) throw new PermanentError('Name at least one logical path to purge.');
  const now = opts.now ?? new Date();
  const stamp = rfc3339(now).replace(/[-:]/g, '');
  const purgedId = opts.stub ? (opts.newId ?? `${objectId}/purged-${stamp}`) : objectId;
  const objectRoot = join(rootPath, objectPath(objectId));

  return withObjectLock(rootPath, objectId, async () => {
    const inv = await readObjectInventory(objectRoot);
    if (!inv) throw new PermanentError(`There is no OCFL object ${objectId} in ${rootPath}.`);
    if (await stat(elsewhereMarkerPath(rootPath, objectId)).then(() => true, () => false)) {
      throw new PermanentError(`The payload of ${objectId} is held elsewhere, not on this disk; restore the object from a destination before purging.`);
    }
    const purge = new Set(logicalPaths);
    const everSeen = new Set<string>();
    for (const v of Object.keys(inv.versions)) for (const p of stateOf(inv, v).keys()) everSeen.add(p);
    const unknown = logicalPaths.filter((p) => !everSeen.has(p));
    if (unknown.length) throw new PermanentError(`${objectId} never held ${unknown.join(', ')}; check the logical paths with "distillery ocfl show".`);
    if (opts.stub && (await readObjectInventory(join(rootPath, objectPath(purgedId))))) {
      throw new PermanentError(`An object ${purgedId} already exists; choose another id for the purged object.`);
    }

    await mkdir(workspacePath(rootPath), { recursive: true });
    const ws = await mkdtemp(join(workspacePath(rootPath), 'purge-'));
    try {
      // 1. Replay every version without the purged files into a scratch storage root.
      const scratch = join(ws, 'root');
      const index = manifestIndex(inv);
      const versions = Object.keys(inv.versions).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
      const affected: string[] = [];
      for (const v of versions) {
        const block = inv.versions[v];
        const state = stateOf(inv, v);
        const kept = [...state].filter(([p]) => !purge.has(p));
        const lost = state.size - kept.length;
        if (lost > 0) affected.push(v);
        const note = lost > 0 ? ` [Purged on ${rfc3339(now)}: ${lost} file(s) removed from this version. Reason: ${opts.reason}]` : '';
        await commitVersion(
          scratch,
          purgedId,
          kept.map(([p, d]) => ({ logicalPath: p, sourcePath: join(objectRoot, index.get(d)![0]), digests: { [inv.digestAlgorithm]: d } })),
          { message: (block.message ?? '') + note, user: block.user ?? opts.user, created: new Date(block.created) },
          { force: true, workspace: join(ws, 'scratch-workspace'), digestAlgorithm: inv.digestAlgorithm },
        );
      }
      const newRoot = join(scratch, objectPath(purgedId));
      const newInv = (await readObjectInventory(newRoot))!;
      const removedContentFiles = Object.values(inv.manifest).flat().length - Object.values(newInv.manifest).flat().length;
      // The object's logs (earlier purges, other tools' records) stay with its history.
      if (await stat(join(objectRoot, 'logs')).then((s) => s.isDirectory(), () => false)) {
        await cp(join(objectRoot, 'logs'), join(newRoot, 'logs'), { recursive: true, errorOnExist: true, force: false });
      }
      const record = JSON.stringify({ action: 'purge', at: rfc3339(now), by: opts.user, reason: opts.reason, previousId: objectId, affectedVersions: affected, logicalPathsRemoved: logicalPaths.length }, null, 2) + '\n';
      const logName = await addLog(newRoot, `purge-${stamp}`, record);
      // 2. Validate before anything is removed.
      const check = await validateObject(newRoot);
      if (!check.valid) {
        throw new PermanentError(`The purged copy of ${objectId} did not validate (${check.errors.map((e) => `${e.code} ${e.message}`).join('; ')}); the original is untouched.`);
      }

      // 3. Put it in place.
      let stubId: string | undefined;
      let replacement = newRoot;
      if (opts.stub) {
        const dest = join(rootPath, objectPath(purgedId));
        await mkdir(dirname(dest), { recursive: true });
        await rename(newRoot, dest);
        stubId = objectId;
        const redirect = join(ws, 'REDIRECT.json');
        await writeFile(redirect, JSON.stringify({ redirectTo: purgedId, reason: opts.reason, purgedAt: rfc3339(now), by: opts.user.name }, null, 2) + '\n');
        const stubScratch = join(ws, 'stub-root');
        await commitVersion(stubScratch, objectId, [{ logicalPath: 'REDIRECT.json', sourcePath: redirect }], {
          message: `Stub: the content of this object was purged and moved to ${purgedId}. Reason: ${opts.reason}`,
          user: opts.user,
          created: now,
        }, { workspace: join(ws, 'stub-workspace') });
        replacement = join(stubScratch, objectPath(objectId));
        await addLog(replacement, logName.replace(/\.json$/, ''), record);
        if (!(await validateObject(replacement)).valid) throw new PermanentError('The stub object did not validate; the purged object is in place under its new id, the original untouched.');
      }
      const old = join(ws, 'old-object');
      await rename(objectRoot, old);
      await rename(replacement, objectRoot);
      await rm(old, { recursive: true, force: true });

      // 4. Token stores of the old object no longer describe it.
      const tokenDir = dirname(tokenStorePath(rootPath, objectId, 'v1'));
      await rm(tokenDir, { recursive: true, force: true });
      if (opts.ims) {
        for (const v of versions) if (Object.values(newInv.manifest).flat().some((p) => p.startsWith(`${v}/`))) await tokenizeVersion(rootPath, purgedId, v, opts.ims);
        // The stub's REDIRECT.json is payload like any other: without a token, an audit of the old id fails.
        if (stubId) await tokenizeVersion(rootPath, objectId, 'v1', opts.ims);
      }
      return { objectId, purgedObjectId: purgedId, stubObjectId: stubId, affectedVersions: affected, removedContentFiles };
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });
}

/** Writes `<name>.json` in the object's logs/ folder, never over an existing record; returns the file name. */
async function addLog(objectRoot: string, name: string, text: string): Promise<string> {
  await mkdir(join(objectRoot, 'logs'), { recursive: true });
  for (let i = 1; ; i++) {
    const file = i === 1 ? `${name}.json` : `${name}-${i}.json`;
    try {
      await writeFile(join(objectRoot, 'logs', file), text, { flag: 'wx' });
      return file;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

export async function listObjectIds(rootPath: string): Promise<string[]> {
  const ids: string[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    if (entries.some((e) => e.name.startsWith('0=ocfl_object_'))) {
      const inv = await readObjectInventory(dir).catch(() => undefined);
      if (inv) ids.push(inv.id);
      return;
    }
    for (const e of entries) if (e.isDirectory() && e.name !== 'extensions') await walk(join(dir, e.name));
  }
  await walk(rootPath);
  return ids.sort();
}
