/**
 * The network's state of each object version, kept as a record per collection in the status
 * folder (`network/<collection>.json`), replaced atomically: what was registered (bag id), how far
 * the bag got (DEPOSITED … PRESERVED), each node's replication status, and deprecations.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { replaceFile } from '../../ocfl/fsutil.js';
import type { BagStatus, ReplicationStatus } from './client.js';

export const NETWORK_FORMAT = 'distillery-network/1';

export interface VersionInNetwork {
  bagName: string;
  bagId?: number;
  status: BagStatus | 'NOT REGISTERED';
  replications: { node: string; status: ReplicationStatus }[];
  updatedAt: string;
  /** Why it stopped, and what to do. */
  problem?: string;
  /** DEPRECATED: why (e.g. the object was purged and registered again). */
  reason?: string;
}

export interface NetworkRecord {
  format: typeof NETWORK_FORMAT;
  collectionId: string;
  updatedAt: string;
  /** objectId → version → state. */
  objects: Record<string, Record<string, VersionInNetwork>>;
}

function path(statusDir: string, collectionId: string): string {
  return join(statusDir, 'network', `${collectionId}.json`);
}

/** The collection's network record (for the collection overview); undefined when nothing was registered. */
export async function networkRecordOf(statusDir: string, collectionId: string): Promise<NetworkRecord | undefined> {
  try {
    return JSON.parse(await readFile(path(statusDir, collectionId), 'utf8')) as NetworkRecord;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Read, change, write back atomically (one run per collection at a time holds the claim). */
export async function updateNetworkRecord(statusDir: string, collectionId: string, objectId: string, version: string, change: Partial<VersionInNetwork> & { bagName: string }): Promise<VersionInNetwork> {
  const rec = (await networkRecordOf(statusDir, collectionId)) ?? { format: NETWORK_FORMAT, collectionId, updatedAt: '', objects: {} };
  const versions = (rec.objects[objectId] ??= {});
  // A change with `problem: undefined` clears an earlier problem (JSON leaves undefined out).
  const base: VersionInNetwork = { bagName: change.bagName, status: 'NOT REGISTERED', replications: [], updatedAt: '' };
  const next: VersionInNetwork = Object.assign(base, versions[version], change, { updatedAt: new Date().toISOString() });
  versions[version] = next;
  rec.updatedAt = next.updatedAt;
  await mkdir(join(statusDir, 'network'), { recursive: true });
  await replaceFile(`${path(statusDir, collectionId)}.${process.pid}.tmp`, path(statusDir, collectionId), `${JSON.stringify(rec, null, 2)}\n`);
  return next;
}
