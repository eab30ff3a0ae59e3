/**
 * Versions from the inventory alone: when the local storage root does not hold an object (its
 * payload released, a new worker host, a lost disk), only the object's declaration and its
 * inventories with their sidecars are read from the S3 copy — never payload — each inventory
 * checked against its sidecar, and the object is put in place locally as one whose payload is
 * held elsewhere. The next version is then built on it: new files are copied in, unchanged ones
 * only referenced.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { elsewhereMarkerPath, workspacePath } from '../../ocfl/companion.js';
import { sha512Hex } from '../../hash.js';
import { ensureStorageRoot, objectPath, readInventory, validateObject, type Inventory } from '../../ocfl/index.js';
import { OBJECT_NAMASTE } from '../../ocfl/inventory.js';
import { PermanentError } from '../../policies.js';
import type { RunScope } from '../destination.js';
import type { S3Destination } from './index.js';

export interface RestoreResult {
  objectId: string;
  head: string;
  /** Keys read from the bucket (metadata only). */
  read: string[];
}

/** Returns undefined when the bucket does not hold the object either. */
export async function restoreInventoriesFromS3(s3: S3Destination, storageRoot: string, objectId: string, run: Pick<RunScope, 'reporter' | 'signal'>): Promise<RestoreResult | undefined> {
  if (await readInventory(storageRoot, objectId)) throw new PermanentError(`${objectId} is already in ${storageRoot}; nothing to restore.`);
  const op = objectPath(objectId);
  const read: string[] = [];
  const get = async (rel: string) => {
    const data = await s3.readMetadata(`${op}/${rel}`, run);
    if (data) read.push(`${op}/${rel}`);
    return data;
  };
  const checked = async (dir: string): Promise<{ inventory: Buffer; sidecar: Buffer } | undefined> => {
    const prefix = dir ? `${dir}/` : '';
    const inventory = await get(`${prefix}inventory.json`);
    if (!inventory) return undefined;
    const sidecar = await get(`${prefix}inventory.json.sha512`);
    const recorded = sidecar?.toString('utf8').split(/\s+/)[0];
    if (!sidecar || recorded !== sha512Hex(inventory)) {
      throw new PermanentError(`The S3 copy of ${objectId}: ${prefix}inventory.json does not match its sidecar (${sidecar ? 'different digest' : 'no sidecar'}): the copy in ${s3.where}${op}/ is damaged. Restore the object from tape instead; nothing was written locally.`);
    }
    return { inventory, sidecar };
  };

  const root = await checked('');
  if (!root) return undefined;
  const inv = JSON.parse(root.inventory.toString('utf8')) as Inventory;
  if (inv.id !== objectId) throw new PermanentError(`${s3.where}${op}/inventory.json is the inventory of ${inv.id}, not ${objectId}: the bucket's layout does not match; nothing was written locally.`);
  const declaration = await get(OBJECT_NAMASTE);
  if (!declaration) throw new PermanentError(`${s3.where}${op}/${OBJECT_NAMASTE} is missing: the S3 copy of ${objectId} is incomplete; nothing was written locally.`);
  const versions = new Map<string, { inventory: Buffer; sidecar: Buffer }>();
  for (const v of Object.keys(inv.versions)) {
    const got = await checked(v);
    if (got) versions.set(v, got);
  }

  // Assemble outside the storage root, check, then move into place by rename.
  await ensureStorageRoot(storageRoot);
  const ws = join(workspacePath(storageRoot), `restore-${randomUUID()}`);
  try {
    await mkdir(ws, { recursive: true });
    await writeFile(join(ws, OBJECT_NAMASTE), declaration);
    await writeFile(join(ws, 'inventory.json'), root.inventory);
    await writeFile(join(ws, 'inventory.json.sha512'), root.sidecar);
    for (const [v, got] of versions) {
      await mkdir(join(ws, v), { recursive: true });
      await writeFile(join(ws, v, 'inventory.json'), got.inventory);
      await writeFile(join(ws, v, 'inventory.json.sha512'), got.sidecar);
    }
    const contentPaths = Object.values(inv.manifest).flat().sort();
    const marker = elsewhereMarkerPath(storageRoot, objectId);
    await mkdir(dirname(marker), { recursive: true });
    await writeFile(marker, `${JSON.stringify({ objectId, objectPath: op, removedAt: new Date().toISOString(), contentPaths }, null, 2)}\n`);
    await mkdir(dirname(join(storageRoot, op)), { recursive: true });
    await rename(ws, join(storageRoot, op));
  } finally {
    await rm(ws, { recursive: true, force: true });
  }
  const validation = await validateObject(join(storageRoot, op));
  if (!validation.valid) {
    await rm(join(storageRoot, op), { recursive: true, force: true });
    throw new PermanentError(`The inventories of ${objectId} read from S3 do not make a valid object (${validation.errors.slice(0, 3).map((e) => `${e.code} ${e.message}`).join('; ')}); nothing was kept locally.`);
  }
  run.reporter.line(`📥 ${objectId}: not on this disk; its inventories (${inv.head}) were read from ${s3.where} and checked — no payload downloaded.`);
  return { objectId, head: inv.head, read };
}
