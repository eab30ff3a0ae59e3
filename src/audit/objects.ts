/**
 * Which OCFL objects an audit covers, and the collection each belongs to: the collection's
 * record is preserved in every object at the logical path `<collection>.json` (folder records sit
 * one level down), so the inventory alone says which collection an object is part of.
 */
import { listObjectIds, objectPath, readInventory, type Inventory } from '../ocfl/index.js';

export interface AuditedObject {
  objectId: string;
  objectPath: string;
  collectionId: string;
  inventory: Inventory;
}

const COLLECTION_RECORD = /^([A-Za-z0-9\-.~_]+)\.json$/;

export function collectionOf(inv: Inventory): string | undefined {
  for (const paths of Object.values(inv.versions[inv.head]?.state ?? {})) {
    for (const p of paths) {
      const m = COLLECTION_RECORD.exec(p);
      if (m) return m[1];
    }
  }
  return undefined;
}

/** Objects in the local storage root, of one collection or all (objects of no known collection go under "(none)"). */
export async function objectsToAudit(storageRoot: string, collectionId?: string): Promise<AuditedObject[]> {
  const out: AuditedObject[] = [];
  for (const objectId of await listObjectIds(storageRoot).catch(() => [] as string[])) {
    const inventory = await readInventory(storageRoot, objectId);
    if (!inventory) continue;
    const c = collectionOf(inventory) ?? '(none)';
    if (collectionId !== undefined && c !== collectionId) continue;
    out.push({ objectId, objectPath: objectPath(objectId), collectionId: c, inventory });
  }
  return out;
}
