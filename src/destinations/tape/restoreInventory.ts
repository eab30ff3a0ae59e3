/**
 * Versions from the inventory alone, from the tape copy: the tape catalogue's copy of the object's
 * declaration, inventories, sidecars and token stores (src/destinations/tape/inventoryCopy.ts),
 * each checked against the sha512 a verified tape file holds — the tape itself is not read, so
 * no payload passes through the drive. Checking and installing them is the one restore
 * (src/destinations/restoreInventory.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha512Hex } from '../../hash.js';
import { objectPath } from '../../ocfl/index.js';
import { PermanentError } from '../../policies.js';
import type { RunScope } from '../destination.js';
import { restoreInventories, type InventorySource, type RestoreResult } from '../restoreInventory.js';
import { loadCatalogue, type Catalogue } from './catalogue.js';
import { inventoryCopyDir } from './inventoryCopy.js';
import { tokenStoreMember } from './runFile.js';

function versionNumber(v: string): number {
  return Number(v.replace(/^v0*/, '')) || 0;
}

/** The verified tape files holding the object: which sha512 each member name may have, and the newest (by head). */
function onTape(cat: Catalogue, objectId: string) {
  const recorded = new Map<string, Set<string>>();
  let newest: { indicator: string; file: number; head: string; rootSha512?: string } | undefined;
  for (const tape of cat.tapes) {
    if (tape.erasedAt) continue;
    for (const file of tape.files) {
      if (file.state !== 'verified') continue;
      for (const o of file.objects) {
        if (o.objectId !== objectId) continue;
        for (const f of o.files) {
          const set = recorded.get(f.path) ?? new Set<string>();
          set.add(f.sha512.toLowerCase());
          recorded.set(f.path, set);
        }
        const root = o.files.find((f) => f.path === `${o.objectPath}/inventory.json`);
        if (root && (!newest || versionNumber(o.head) > versionNumber(newest.head))) newest = { indicator: tape.indicator, file: file.number, head: o.head, rootSha512: root.sha512.toLowerCase() };
      }
    }
  }
  return { recorded, newest };
}

/**
 * Restores the object from the tape catalogue's copy. Returns undefined when no verified tape file
 * holds the object; throws when one does but the copy is missing or differs from the tape.
 */
export async function restoreInventoriesFromTape(cataloguePath: string, storageRoot: string, objectId: string, run: Pick<RunScope, 'reporter' | 'signal'>): Promise<RestoreResult | undefined> {
  const { recorded, newest } = onTape(await loadCatalogue(cataloguePath), objectId);
  if (!newest) return undefined;
  const op = objectPath(objectId);
  const dir = inventoryCopyDir(cataloguePath);
  const where = `the tape catalogue's copy ${dir}/${op}/ (verified against tape ${newest.indicator}, file ${newest.file})`;
  const byTape = `Restore the object from tape ${newest.indicator}, file ${newest.file} with mt and tar (docs/tape.md, "Restoring from tape"), or from the S3 copy.`;
  const member = async (name: string): Promise<Buffer | undefined> => {
    const data = await readFile(join(dir, name)).catch(() => undefined);
    if (!data) return undefined;
    if (!recorded.get(name)?.has(sha512Hex(data))) {
      throw new PermanentError(`${join(dir, name)} differs from the ${name.split('/').pop()} every verified tape file holds: the tape catalogue's copy of ${objectId} is damaged; nothing was written locally. ${byTape}`);
    }
    return data;
  };
  const source: InventorySource = {
    where,
    otherwise: byTape,
    async read(rel) {
      const data = await member(`${op}/${rel}`);
      // Building on an older inventory than the tapes hold would make a version number twice.
      if (data && rel === 'inventory.json' && sha512Hex(data) !== newest.rootSha512) {
        throw new PermanentError(`${join(dir, op, 'inventory.json')} is not the newest inventory of ${objectId} on tape (${newest.head}, tape ${newest.indicator} file ${newest.file}); nothing was written locally. ${byTape}`);
      }
      return data;
    },
    async tokenStore(version) {
      const store = await member(tokenStoreMember(op, version));
      return store ? { store } : undefined;
    },
  };
  const restored = await restoreInventories(source, storageRoot, objectId, run);
  if (!restored) {
    throw new PermanentError(`${objectId} is on tape ${newest.indicator} (file ${newest.file}, ${newest.head}), but the tape catalogue keeps no copy of its inventory (that tape file was written before Distillery kept one); nothing was written locally. ${byTape}`);
  }
  return restored;
}
