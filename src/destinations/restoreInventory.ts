/**
 * Versions from the inventory alone, whatever copy they come from: when the local storage root
 * does not hold an object (its payload released, a new worker host, a lost disk), only the
 * object's declaration, its inventories with their sidecars and the ACE token store of every
 * version are read from a preservation copy — never payload. Each inventory is checked against
 * its sidecar, each token store against its recorded digest and the inventory, and the object is
 * put in place locally as one whose payload is held elsewhere, its token stores back in the
 * companion folder (so later audits and the network's "only new files and their tokens" work).
 * The next version is then built on it: new files are copied in, unchanged ones only referenced.
 *
 * What differs between copies is only how a file is fetched (`InventorySource`): the S3 copy
 * (src/destinations/s3/restoreInventory.ts) and the tape catalogue's copy
 * (src/destinations/tape/restoreInventory.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { elsewhereMarkerPath, tokenStorePath, workspacePath } from '../ocfl/companion.js';
import { sha256Hex, sha512Hex } from '../hash.js';
import { writeFileAtomic } from '../atomicWrite.js';
import { ensureStorageRoot, objectPath, readInventory, validateObject, type Inventory } from '../ocfl/index.js';
import { withObjectLock } from '../ocfl/lock.js';
import { parseTokenStore } from '../ocfl/ace/tokenStore.js';
import { OBJECT_NAMASTE } from '../ocfl/inventory.js';
import { PermanentError } from '../policies.js';
import type { RunScope } from './destination.js';

/** One preservation copy, as far as a restore needs it: small metadata files, fetched one by one. */
export interface InventorySource {
  /** Where the copy is, for messages (never a secret), e.g. `s3://bucket/ocfl/`. */
  where: string;
  /** What to do instead when this copy is damaged (said in the error). */
  otherwise: string;
  /**
   * A file of the object relative to its root (declaration, inventories, sidecars); undefined when
   * the copy does not hold it. A source that records its own digest of the file checks it here
   * and throws a PermanentError on a mismatch.
   */
  read(rel: string): Promise<Buffer | undefined>;
  /** The ACE token store of `version` and the sha256 recorded for it (if the copy keeps one); undefined when absent. */
  tokenStore(version: string): Promise<{ store: Buffer; sha256?: string } | undefined>;
}

export interface RestoreResult {
  objectId: string;
  head: string;
  /** Files read from the copy (metadata only), as the source names them. */
  read: string[];
  /** Versions whose token store was restored and checked. */
  tokenStores: string[];
  /** Versions the copy holds no token store for. */
  withoutTokens: string[];
}

type Checked = { inventory: Buffer; sidecar: Buffer };

/** Returns undefined when the copy does not hold the object either. */
export async function restoreInventories(source: InventorySource, storageRoot: string, objectId: string, run: Pick<RunScope, 'reporter' | 'signal'>): Promise<RestoreResult | undefined> {
  if (await readInventory(storageRoot, objectId)) throw new PermanentError(`${objectId} is already in ${storageRoot}; nothing to restore.`);
  const op = objectPath(objectId);
  const read: string[] = [];
  const damaged = (what: string) => new PermanentError(`The copy of ${objectId} in ${source.where}: ${what}; nothing was written locally. ${source.otherwise}`);
  const get = async (rel: string) => {
    const data = await source.read(rel);
    if (data) read.push(rel);
    return data;
  };
  const withSidecar = async (prefix: string, inventory: Buffer, alg: string): Promise<Checked> => {
    const sidecar = await get(`${prefix}inventory.json.${alg}`);
    const recorded = sidecar?.toString('utf8').split(/\s+/)[0]?.toLowerCase();
    const actual = alg === 'sha256' ? sha256Hex(inventory) : sha512Hex(inventory);
    if (!sidecar || recorded !== actual) throw damaged(`${prefix}inventory.json does not match its sidecar (${sidecar ? 'different digest' : 'no sidecar'})`);
    return { inventory, sidecar };
  };

  const rootText = await get('inventory.json');
  if (!rootText) return undefined;
  let inv: Inventory;
  try {
    inv = JSON.parse(rootText.toString('utf8')) as Inventory;
  } catch (err) {
    throw damaged(`inventory.json is not JSON (${(err as Error).message})`);
  }
  // The root inventory names the digest algorithm, and so the sidecar's name.
  const alg = inv.digestAlgorithm === 'sha256' ? 'sha256' : 'sha512';
  const root = await withSidecar('', rootText, alg);
  if (inv.id !== objectId) throw damaged(`inventory.json is the inventory of ${inv.id}, not ${objectId} (the copy's layout does not match)`);
  const declaration = await get(OBJECT_NAMASTE);
  if (!declaration) throw damaged(`${OBJECT_NAMASTE} is missing (the copy is incomplete)`);
  const versions = new Map<string, Checked>();
  for (const v of Object.keys(inv.versions)) {
    const text = await get(`${v}/inventory.json`);
    if (text) versions.set(v, await withSidecar(`${v}/`, text, alg));
  }

  // Every version's token store: checked against its recorded sha256, readable by ACE's rules,
  // and naming only payload that version added.
  const stores = new Map<string, Buffer>();
  const withoutTokens: string[] = [];
  const added = (v: string) => new Set(Object.values(inv.manifest).flat().filter((p) => p.startsWith(`${v}/`)));
  for (const v of Object.keys(inv.versions)) {
    const got = await source.tokenStore(v);
    if (!got) {
      if (added(v).size > 0) withoutTokens.push(v); // a version that added no payload has no tokens to hold
      continue;
    }
    read.push(`${v}.tokens`);
    if (got.sha256 !== undefined && got.sha256.toLowerCase() !== sha256Hex(got.store)) throw damaged(`the token store of ${v} does not match its recorded sha256`);
    let ids: string[];
    try {
      ids = parseTokenStore(got.store.toString('utf8')).flatMap((e) => e.identifiers);
    } catch (err) {
      throw damaged(`the token store of ${v} cannot be read (${(err as Error).message})`);
    }
    const own = added(v);
    const stray = ids.find((id) => !own.has(id));
    if (stray) throw damaged(`the token store of ${v} names ${stray}, which is not payload ${v} added`);
    stores.set(v, got.store);
  }

  // Assemble outside the storage root, check, then move into place by rename; the token stores
  // go to the companion folder first, so the object never appears without them. Under the
  // object's lock: another process putting the same object back meanwhile is not disturbed.
  await ensureStorageRoot(storageRoot);
  const installed = await withObjectLock(storageRoot, objectId, async () => {
    if (await readInventory(storageRoot, objectId)) return false;
    const ws = join(workspacePath(storageRoot), `restore-${randomUUID()}`);
    const written: string[] = [];
    try {
      await mkdir(ws, { recursive: true });
      await writeFile(join(ws, OBJECT_NAMASTE), declaration);
      await writeFile(join(ws, 'inventory.json'), root.inventory);
      await writeFile(join(ws, `inventory.json.${alg}`), root.sidecar);
      for (const [v, got] of versions) {
        await mkdir(join(ws, v), { recursive: true });
        await writeFile(join(ws, v, 'inventory.json'), got.inventory);
        await writeFile(join(ws, v, `inventory.json.${alg}`), got.sidecar);
      }
      for (const [v, store] of stores) {
        const path = tokenStorePath(storageRoot, objectId, v);
        const same = await readFile(path).then((b) => b.equals(store), () => false);
        if (same) continue;
        await mkdir(dirname(path), { recursive: true });
        await writeFileAtomic(path, store, { tmpDir: ws });
        written.push(path);
        // The same digest file tokenizeVersion writes beside each store.
        await writeFileAtomic(`${path}.sha256`, `${sha256Hex(store)}  ${basename(path)}\n`, { tmpDir: ws });
        written.push(`${path}.sha256`);
      }
      const contentPaths = Object.values(inv.manifest).flat().sort();
      const marker = elsewhereMarkerPath(storageRoot, objectId);
      await mkdir(dirname(marker), { recursive: true });
      await writeFile(marker, `${JSON.stringify({ objectId, objectPath: op, removedAt: new Date().toISOString(), contentPaths }, null, 2)}\n`);
      written.push(marker);
      await mkdir(dirname(join(storageRoot, op)), { recursive: true });
      await rename(ws, join(storageRoot, op));
    } catch (err) {
      for (const p of written) await rm(p, { force: true });
      throw err;
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
    const validation = await validateObject(join(storageRoot, op));
    if (!validation.valid) {
      await rm(join(storageRoot, op), { recursive: true, force: true });
      for (const p of written) await rm(p, { force: true });
      throw new PermanentError(`The inventories of ${objectId} read from ${source.where} do not make a valid object (${validation.errors.slice(0, 3).map((e) => `${e.code} ${e.message}`).join('; ')}); nothing was kept locally. ${source.otherwise}`);
    }
    return true;
  });
  if (!installed) {
    run.reporter.line(`↩️ ${objectId}: another process put it back on this disk meanwhile; nothing more written.`);
    return { objectId, head: (await readInventory(storageRoot, objectId))!.head, read, tokenStores: [], withoutTokens: [] };
  }
  const tokens = stores.size ? `, with the token stores of ${[...stores.keys()].join(', ')}` : '';
  run.reporter.line(`📥 ${objectId}: not on this disk; its inventories (${inv.head})${tokens} were read from ${source.where} and checked — no payload downloaded.`);
  if (withoutTokens.length) {
    run.reporter.line(`⚠️ ${objectId}: ${source.where} holds no ACE token store for ${withoutTokens.join(', ')}; make ${withoutTokens.length === 1 ? 'it' : 'them'} with \`distillery ocfl tokens ${storageRoot} ${objectId} --version <v>\` once the payload is at hand.`);
  }
  return { objectId, head: inv.head, read, tokenStores: [...stores.keys()], withoutTokens };
}
