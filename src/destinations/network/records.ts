/**
 * The network's state of each object version, kept as a record per collection in the status
 * folder (`network/<collection>.json`), replaced atomically: what was registered (bag id), how far
 * the bag got (DEPOSITED … PRESERVED), each node's replication status, and deprecations.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../atomicWrite.js';
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
  /**
   * objectId → version → state. After a purge, the deprecated registrations stay under
   * `g<generation>/<version>` and the purged object's versions are registered afresh.
   */
  objects: Record<string, Record<string, VersionInNetwork>>;
  /** objectId → how many times it was purged (0 when absent): part of its bag names. */
  generations?: Record<string, number>;
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
  await writeFileAtomic(path(statusDir, collectionId), `${JSON.stringify(rec, null, 2)}\n`);
  return next;
}

/** The generation an object's bags are registered under (raised by each purge). */
export async function generationOf(statusDir: string, collectionId: string, objectId: string): Promise<number> {
  return (await networkRecordOf(statusDir, collectionId))?.generations?.[objectId] ?? 0;
}

/** Moves an object's current registrations aside as deprecated (with the reason) and raises its generation. */
export async function deprecateInRecord(statusDir: string, collectionId: string, objectId: string, reason: string): Promise<number> {
  const rec = (await networkRecordOf(statusDir, collectionId)) ?? { format: NETWORK_FORMAT, collectionId, updatedAt: '', objects: {} };
  const generation = (rec.generations?.[objectId] ?? 0) + 1;
  const versions = rec.objects[objectId] ?? {};
  const at = new Date().toISOString();
  for (const [v, state] of Object.entries(versions)) {
    if (v.includes('/')) continue;
    versions[`g${generation - 1}/${v}`] = { ...state, status: 'DEPRECATED', reason, updatedAt: at };
    delete versions[v];
  }
  rec.objects[objectId] = versions;
  rec.generations = { ...rec.generations, [objectId]: generation };
  rec.updatedAt = at;
  await mkdir(join(statusDir, 'network'), { recursive: true });
  await writeFileAtomic(path(statusDir, collectionId), `${JSON.stringify(rec, null, 2)}\n`);
  return generation;
}
