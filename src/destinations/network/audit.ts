/**
 * The network's copies in an audit: each registered version's bag, and every node's replication
 * of it as Ingest reports it (the nodes audit their own copies with ACE). The collection's network
 * record is brought up to date on the way (a bag that was still replicating when its run ended).
 */
import type { CopyResult } from '../../audit/copies.js';
import { FAILED_REPLICATION, type IngestClient } from './client.js';
import { networkRecordOf, updateNetworkRecord } from './records.js';

export async function auditNetworkCopies(client: IngestClient, statusDir: string, collectionId: string, objectIds: string[]): Promise<CopyResult> {
  const r: CopyResult = { copy: 'network', checked: 0, intact: 0, notes: [], findings: [] };
  const rec = await networkRecordOf(statusDir, collectionId);
  for (const objectId of objectIds) {
    const versions = rec?.objects[objectId];
    if (!versions) {
      r.notes.push(`${objectId} is not registered with the network.`);
      continue;
    }
    for (const [version, v] of Object.entries(versions)) {
      if (v.bagId === undefined || v.status === 'DEPRECATED') continue;
      let bag;
      let reps;
      try {
        bag = await client.bag(v.bagId);
        reps = await client.replications(v.bagId);
      } catch (err) {
        r.notes.push(`${v.bagName}: Ingest could not be asked (${(err as Error).message}).`);
        continue;
      }
      await updateNetworkRecord(statusDir, collectionId, objectId, version, { bagName: v.bagName, status: bag.status, replications: reps.map((x) => ({ node: x.node, status: x.status })) });
      if (bag.status !== 'PRESERVED' && !reps.some((x) => FAILED_REPLICATION.has(x.status))) {
        r.notes.push(`${v.bagName} is ${bag.status} (not yet preserved).`);
        continue;
      }
      for (const x of reps) {
        r.checked++;
        if (x.status === 'SUCCESS') r.intact++;
        else if (FAILED_REPLICATION.has(x.status)) {
          r.findings.push({
            copy: 'network', objectId, path: `${v.bagName} on ${x.node}`, state: x.status === 'FAILURE_ACE_AUDIT' ? 'corrupt' : 'missing',
            message: `The replication of ${v.bagName} (${objectId} ${version}) on node ${x.node} is ${x.status}. Ask the network administrators to repair it from another node; the local and cloud copies are audited separately.`,
          });
        } else r.notes.push(`${v.bagName} on ${x.node}: ${x.status}.`);
      }
    }
  }
  return r;
}
