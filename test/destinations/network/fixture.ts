/**
 * A network test bed: a real OCFL storage root (commitVersion, ACE tokens from the local IMS), the
 * Ingest stand-in on loopback with two simulated nodes, and the network destination pointed at it.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArchivesSpace } from '../../../src/archivesspace/types.js';
import type { PreparedFolder } from '../../../src/destinations/destination.js';
import { IngestClient } from '../../../src/destinations/network/client.js';
import { NetworkDestination } from '../../../src/destinations/network/destination.js';
import { IngestStandin } from '../../../src/destinations/network/standin/ingest.js';
import { commitVersion, companionPath, ensureStorageRoot, LocalIms, objectPath, tokenizeVersion } from '../../../src/ocfl/index.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';

export const NODES = ['ucsd', 'umiacs'];

export interface NetBed {
  dir: string;
  root: string;
  statusDir: string;
  ims: LocalIms;
  ingest: IngestStandin;
  dest: NetworkDestination;
  /** Commits a version of object `name` with these files (logical path → size or bytes), makes its tokens. */
  version(name: string, files: Record<string, number | Buffer>): Promise<PreparedFolder>;
  scope(): { runId: string; collectionId: string; user: { email: string; name: string }; processes: string[]; reporter: MemoryReporter; aspace: ArchivesSpace };
  cleanup(): Promise<void>;
}

export async function netBed(opts: { failingAuditNodes?: string[]; timeoutMs?: number } = {}): Promise<NetBed> {
  const dir = await mkdtemp(join(tmpdir(), 'distillery-network-'));
  const root = join(dir, 'ocfl');
  const statusDir = join(dir, 'status');
  const stagingDir = join(dir, 'staging');
  await mkdir(statusDir, { recursive: true });
  const ims = new LocalIms(join(dir, 'ims-ledger.jsonl'));
  const ingest = new IngestStandin({ username: 'distillery', password: 'test-password', depositors: ['caltech-archives'], stagingDir, nodesDir: join(dir, 'nodes'), nodes: NODES, ims, failingAuditNodes: opts.failingAuditNodes });
  const url = await ingest.start();
  const settings = { ingestUrl: url, username: 'distillery', password: 'test-password', depositor: 'caltech-archives', stagingDir, storageRegion: 1, followMinutes: 1, pollSeconds: 0.05, statusDir };
  const dest = new NetworkDestination(settings, new IngestClient({ baseUrl: url, username: 'distillery', password: 'test-password', timeoutMs: opts.timeoutMs }));
  return {
    dir, root, statusDir, ims, ingest, dest,
    async version(name, files) {
      await ensureStorageRoot(root);
      const src = join(dir, 'src', name, String(Date.now()));
      await mkdir(src, { recursive: true });
      const incoming = [];
      for (const [logical, content] of Object.entries(files)) {
        const p = join(src, logical.replaceAll('/', '_'));
        await writeFile(p, typeof content === 'number' ? randomBytes(content) : content);
        incoming.push({ logicalPath: logical, sourcePath: p });
      }
      const objectId = `https://archives.example.edu/repositories/2/archival_objects/${name}`;
      const commit = await commitVersion(root, objectId, incoming, { message: 'test', user: { name: 'Test', address: 'mailto:test@example.org' } }, { mode: 'merge' });
      await tokenizeVersion(root, objectId, commit.version, ims);
      return {
        name, path: src, images: [], record: {} as never, arrangement: {} as never,
        package: { storageRoot: root, objectId, objectPath: objectPath(objectId), version: commit.version, payloadLocal: true },
      };
    },
    scope: () => ({ runId: 'r1', collectionId: 'C1', user: { email: 'a@example.org', name: 'A' }, processes: ['cloud'], reporter: new MemoryReporter(), aspace: {} as ArchivesSpace }),
    async cleanup() {
      await ingest.stop();
      await rm(dir, { recursive: true, force: true });
      await rm(companionPath(root), { recursive: true, force: true });
    },
  };
}
