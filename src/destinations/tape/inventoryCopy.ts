/**
 * The tape catalogue's copy of each object's inventories: when a tape file has been read back and
 * verified, its small members — the object declaration, the root and version inventories with
 * their sidecars, and the ACE token store of every version written — are also kept beside the
 * catalogue on the shared mount (`<catalogue>.inventories/<member name>`), each checked against
 * the sha512 the verified tape file holds. A worker whose local disk no longer holds an object
 * builds its next version on this copy (src/destinations/tape/restoreInventory.ts) without
 * reading the tape: reading one inventory off a tape means reading every byte before it.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { sha512Hex } from '../../hash.js';
import { writeFileAtomic } from '../../atomicWrite.js';
import { tokenStorePath } from '../../ocfl/index.js';
import type { Reporter } from '../../runs/reporter.js';
import type { ObjectOnTape } from './catalogue.js';
import { isTokenStoreMember } from './runFile.js';

/** The folder beside the catalogue holding the copies, e.g. `tape-catalogue.json.inventories/`. */
export function inventoryCopyDir(cataloguePath: string): string {
  return join(dirname(cataloguePath), `${basename(cataloguePath)}.inventories`);
}

const METADATA = /^(0=ocfl_object_[\d.]+|inventory\.json(\.[a-z0-9]+)?|v\d+\/inventory\.json(\.[a-z0-9]+)?)$/;

/** Whether a member of a run file is one the catalogue keeps a copy of (never payload). */
export function isCopiedMember(object: Pick<ObjectOnTape, 'objectPath'>, path: string): boolean {
  if (isTokenStoreMember(path)) return true;
  return path.startsWith(`${object.objectPath}/`) && METADATA.test(path.slice(object.objectPath.length + 1));
}

function headNumber(inventory: Buffer): number {
  try {
    return Number(String((JSON.parse(inventory.toString('utf8')) as { head?: string }).head ?? '').replace(/^v0*/, '')) || 0;
  } catch {
    return 0;
  }
}

/**
 * Keeps the copies of a verified tape file's small members. Each is read from the local disk and
 * kept only if its sha512 is the one the tape file verified; a root inventory never replaces one
 * of a later version. Returns how many were kept; anything not kept is said on the reporter.
 */
export async function keepInventoryCopies(cataloguePath: string, storageRoot: string, objects: ObjectOnTape[], reporter: Reporter): Promise<number> {
  const dir = inventoryCopyDir(cataloguePath);
  let kept = 0;
  for (const o of objects) {
    const members = o.files.filter((f) => isCopiedMember(o, f.path));
    const root = `${o.objectPath}/inventory.json`;
    const rootMember = members.find((f) => f.path === root);
    let rootSkipped = false;
    if (rootMember) {
      const existing = await readFile(join(dir, root)).catch(() => undefined);
      const local = await readFile(join(storageRoot, root)).catch(() => undefined);
      rootSkipped = existing !== undefined && local !== undefined && headNumber(existing) > headNumber(local);
    }
    for (const f of members) {
      const isRootFile = f.path === root || f.path.startsWith(`${root}.`);
      if (isRootFile && rootSkipped) continue;
      const local = isTokenStoreMember(f.path)
        ? tokenStorePath(storageRoot, o.objectId, basename(f.path).replace(/\.tokens$/, ''))
        : join(storageRoot, f.path);
      const data = await readFile(local).catch(() => undefined);
      if (!data || sha512Hex(data) !== f.sha512.toLowerCase()) {
        reporter.line(`⚠️ ${f.path} of ${o.objectId} changed on local disk after it was written to tape, so the tape catalogue keeps no copy of it; the tape itself holds it.`);
        continue;
      }
      const dest = join(dir, f.path);
      await mkdir(dirname(dest), { recursive: true });
      await writeFileAtomic(dest, data);
      kept++;
    }
  }
  return kept;
}
