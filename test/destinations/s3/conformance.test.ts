/**
 * The cloud destination (S3) held to the destination conformance suite (../conformance.ts):
 * fauxqs on loopback (test/support/s3server.ts, a separate process) behind the fault proxy
 * (faultProxy.ts), which drops answers, stalls, refuses and damages checksums as S3's failures do.
 * ArchivesSpace is the recording implementation of the calls the destination makes (fixture.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { ArchivesSpace } from '../../../src/archivesspace/types.js';
import { S3Destination } from '../../../src/destinations/s3/index.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { destinationConformance, type ArmedFault, type ConformanceHarness } from '../conformance.js';
import { addVersion, makeStorageRoot, OBJECT_PATH, preparedFolder, RecordingArchivesSpace } from './fixture.js';
import { startFaultProxy, type Fault, type SeenRequest } from './faultProxy.js';
import { fauxqsTarget } from './targets.js';

const IMG1 = 'DEMO_001_02_0001.jp2';
const IMG2 = 'DEMO_001_02_0002.jp2';

async function s3Harness(): Promise<ConformanceHarness> {
  const t = await fauxqsTarget();
  const dir = await mkdtemp(join(tmpdir(), 'distillery-s3conf-'));
  const root = join(dir, 'root');
  await makeStorageRoot(root);
  const aspace = new RecordingArchivesSpace();
  let rule: ((r: SeenRequest) => Fault | undefined) | undefined;
  const proxy = await startFaultProxy(t.connection.endpoint!, (r) => rule?.(r));
  const contentPut = (r: SeenRequest) => r.method === 'PUT' && r.key.includes('/content/');
  /** Arms `fault` for requests matching `when`, counting how often it fired. */
  const arm = (when: (r: SeenRequest) => boolean, fault: Fault, times = Infinity): ArmedFault => {
    let n = 0;
    rule = (r) => (when(r) && n < times ? (n++, fault) : undefined);
    return { fired: () => n };
  };
  const bucket = t.connection.bucket;

  // The large file goes straight to the server: the proxy buffers each request in this process.
  let direct = false;
  return {
    destination: () => new S3Destination({ ...t.connection, endpoint: direct ? t.connection.endpoint : proxy.endpoint, storageRoot: root, partSizeBytes: 8 * 1024 * 1024, queueSize: 4 }),
    scope: (signal) => ({ runId: 'r', collectionId: 'DEMO', user: { email: 'a@example.org', name: 'A' }, processes: ['cloud'], reporter: new MemoryReporter(), aspace: aspace as unknown as ArchivesSpace, signal }),
    async folder() {
      const { version } = await addVersion(root, 'DEMO_001_02', [{ logicalPath: IMG1, content: randomBytes(4000) }, { logicalPath: IMG2, content: randomBytes(5000) }]);
      return preparedFolder(root, version, [IMG1, IMG2], join(dir, 'json'));
    },
    async bigFolder(bytes) {
      direct = true;
      const { version } = await addVersion(root, 'DEMO_001_02', [{ logicalPath: IMG1, sparse: bytes }]);
      return preparedFolder(root, version, [IMG1]);
    },
    async held() {
      // Every object once; an unfinished multipart upload counts as one more copy of its key.
      const out = new Map<string, number>();
      for (let token: string | undefined; ;) {
        const page = await t.client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
        for (const o of page.Contents ?? []) out.set(o.Key!, (out.get(o.Key!) ?? 0) + 1);
        if (!page.IsTruncated) break;
        token = page.NextContinuationToken;
      }
      for (const u of (await t.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []) out.set(u.Key!, (out.get(u.Key!) ?? 0) + 1);
      return out;
    },
    async recorded() {
      return new Map([...aspace.versions].map(([uri, fvs]) => [uri, fvs.length]));
    },
    loseAnswer: async () => arm(contentPut, { kind: 'dropAnswer' }, 1),
    breakVerification: async () => arm((r) => r.method === 'HEAD' && r.key === `ocfl/${OBJECT_PATH}/v1/content/${IMG1}`, { kind: 'corruptChecksumHeader' }),
    refuse: async () => arm((r) => r.method === 'PUT', { kind: 'respond', status: 403, code: 'AccessDenied', message: 'Access Denied' }),
    stall: async () => arm(contentPut, { kind: 'hang' }),
    clearFaults: async () => { rule = undefined; },
    refusalMessage: /S3 refused to let Distillery send .*\(403 AccessDenied\).*s3:PutObject.*A retry will not help/s,
    async cleanup() {
      await proxy.close();
      await t.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

destinationConformance('S3', s3Harness);
