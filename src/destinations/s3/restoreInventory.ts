/**
 * Versions from the inventory alone, from the S3 copy: only the object's declaration, its
 * inventories with their sidecars and every version's token store (with its sha256) are read from
 * the bucket — metadata kept in a class readable at once, never payload. Checking and installing
 * them is the one restore (src/destinations/restoreInventory.ts).
 */
import { objectPath } from '../../ocfl/index.js';
import type { RunScope } from '../destination.js';
import { restoreInventories, type InventorySource, type RestoreResult } from '../restoreInventory.js';
import type { S3Destination } from './index.js';

export type { RestoreResult } from '../restoreInventory.js';

export function s3InventorySource(s3: S3Destination, objectId: string, run: Pick<RunScope, 'reporter' | 'signal'>): InventorySource {
  const op = objectPath(objectId);
  return {
    where: `${s3.where}${op}/`,
    otherwise: 'Restore the object from tape instead.',
    read: (rel) => s3.readMetadata(`${op}/${rel}`, run),
    async tokenStore(version) {
      const key = s3.tokenStoreKey(op, version);
      const store = await s3.readKey(key, run);
      if (!store) return undefined;
      const sha256 = (await s3.readKey(`${key}.sha256`, run))?.toString('utf8').split(/\s+/)[0];
      return { store, sha256 };
    },
  };
}

/** Returns undefined when the bucket does not hold the object either. */
export function restoreInventoriesFromS3(s3: S3Destination, storageRoot: string, objectId: string, run: Pick<RunScope, 'reporter' | 'signal'>): Promise<RestoreResult | undefined> {
  return restoreInventories(s3InventorySource(s3, objectId, run), storageRoot, objectId, run);
}
