/**
 * `distillery network status <collection>` — each object version's bag and every node's replication
 * status, from the collection's record, brought up to date from Ingest;
 * `distillery network purge <collection> <object-id> [--purged-id <id>] --reason "…"` — after
 * `distillery ocfl purge`: deprecate the old bags and register the purged history afresh.
 */
import { createLogger } from '../../log.js';
import { commandSettings } from '../../settings/index.js';
import { MemoryReporter } from '../../runs/reporter.js';
import type { ArchivesSpace } from '../../archivesspace/types.js';
import { networkFor, storageRootOf } from '../../wiring.js';
import { auditNetworkCopies } from './audit.js';
import { networkRecordOf } from './records.js';

const USAGE = 'Usage: distillery network status <collection>\n       distillery network purge <collection> <object-id> [--purged-id <id>] --reason "…"';

export interface NetworkIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: NetworkIo = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

export async function networkCommand(args: string[], io: NetworkIo = defaultIo): Promise<number> {
  const [sub, ...rest] = args;
  const flag = (name: string) => {
    const i = rest.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = rest[i + 1];
    rest.splice(i, 2);
    return v;
  };
  const reason = flag('reason');
  const purgedId = flag('purged-id');
  if (sub === 'status' ? rest.length !== 1 : sub === 'purge' ? rest.length !== 2 || !reason?.trim() : true) {
    io.err(`${USAGE}\n`);
    return 2;
  }
  const settings = await commandSettings(io.err);
  if (!settings) return 2;
  const network = networkFor(settings);
  if (!network) {
    io.err('The preservation network is off: set NETWORK_INGEST_URL and the other NETWORK_ keys in settings.ini.\n');
    return 2;
  }
  const statusDir = settings.folders.statusFiles;
  const collectionId = rest[0];
  if (sub === 'status') {
    const before = await networkRecordOf(statusDir, collectionId);
    if (!before) {
      io.out(`Nothing of ${collectionId} is registered with the network.\n`);
      return 0;
    }
    await auditNetworkCopies(network.client, statusDir, collectionId, Object.keys(before.objects));
    const rec = (await networkRecordOf(statusDir, collectionId))!;
    for (const [objectId, versions] of Object.entries(rec.objects)) {
      io.out(`${objectId}\n`);
      for (const [v, s] of Object.entries(versions)) {
        io.out(`  ${v}: ${s.bagName} ${s.status}${s.replications.length ? ` (${s.replications.map((r) => `${r.node} ${r.status}`).join(', ')})` : ''}${s.reason ? ` — ${s.reason}` : ''}${s.problem ? `\n    ${s.problem}` : ''}\n`);
      }
    }
    return 0;
  }
  const reporter = new MemoryReporter();
  const log = createLogger({ file: settings.folders.logFile, level: settings.logLevel, name: 'network' });
  try {
    await network.purge(
      { runId: `network-purge-${Date.now()}`, collectionId, user: { email: '', name: 'distillery network purge' }, processes: [], reporter, aspace: {} as ArchivesSpace },
      { storageRoot: storageRootOf(settings), objectId: rest[1], purgedObjectId: purgedId ?? rest[1], reason: reason! },
    );
  } finally {
    for (const l of reporter.lines) io.out(`${l}\n`);
  }
  log.info({ collection: collectionId, object: rest[1], reason }, 'purged object redistributed in the network');
  return 0;
}
