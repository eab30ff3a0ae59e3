/**
 * Large files: multipart with bounded memory, composite SHA-256 verified, and an upload cut off
 * by the server dying is cleaned up and completed on rerun. Server: fauxqs on loopback
 * (test/support/s3server.ts), which keeps its storage across kill() and restart() and answers
 * ListMultipartUploads as S3 does.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ArchivesSpace } from '../../../src/archivesspace/types.js';
import type { RunScope } from '../../../src/destinations/destination.js';
import { S3Destination } from '../../../src/destinations/s3/index.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { addVersion, makeStorageRoot, OBJECT_PATH, preparedFolder, RecordingArchivesSpace } from './fixture.js';
import { fauxqsTarget, spyOn, type Target } from './targets.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';

const MiB = 1024 * 1024;
const BIG = 'DEMO_001_02_0001.jp2';

/** S3's COMPOSITE SHA-256 of a file cut in parts, computed independently of the code under test. */
async function composite(path: string, partSize: number): Promise<string> {
  const fh = await open(path, 'r');
  const digests: Buffer[] = [];
  const buf = Buffer.alloc(partSize);
  for (let pos = 0; ; pos += partSize) {
    const { bytesRead } = await fh.read(buf, 0, partSize, pos);
    if (bytesRead === 0) break;
    digests.push(createHash('sha256').update(buf.subarray(0, bytesRead)).digest());
  }
  await fh.close();
  return `${createHash('sha256').update(Buffer.concat(digests)).digest('base64')}-${digests.length}`;
}

describe('S3 destination with large files', () => {
  let t: Target;
  let dir: string;
  let root: string;

  beforeEach(async () => {
    t = await fauxqsTarget();
    dir = await mkdtemp(join(tmpdir(), 'distillery-s3big-'));
    root = join(dir, 'root');
    await makeStorageRoot(root);
  });
  afterEach(async () => {
    await t.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const run = (reporter: MemoryReporter): RunScope => ({ runId: 'r', collectionId: 'DEMO', user: { email: 'a@example.org', name: 'A' }, processes: ['cloud'], reporter, aspace: new RecordingArchivesSpace() as unknown as ArchivesSpace });
  const bigKey = `ocfl/${OBJECT_PATH}/v1/content/${BIG}`;
  const orphans = async () => (await t.client.send(new ListMultipartUploadsCommand({ Bucket: t.connection.bucket, Prefix: 'ocfl/' }))).Uploads ?? [];

  test('a 200 MB file goes multipart in parallel parts with bounded memory, composite SHA-256 verified', async () => {
    const { version } = await addVersion(root, 'DEMO_001_02', [{ logicalPath: BIG, size: 200 * 1000 * 1000 }]);
    const folder = await preparedFolder(root, version, [BIG]);
    const partSize = 8 * MiB;
    const dest = new S3Destination({ ...t.connection, storageRoot: root, partSizeBytes: partSize, queueSize: 4 });
    const sent = spyOn(dest, t.connection.bucket);
    let inflight = 0;
    let maxInflight = 0;
    dest.client.middlewareStack.add((next) => async (args) => {
      inflight += 1;
      maxInflight = Math.max(maxInflight, inflight);
      try { return await next(args); } finally { inflight -= 1; }
    }, { step: 'finalizeRequest', name: 'inflight' });

    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
    const reporter = new MemoryReporter();
    try {
      await dest.deliver(run(reporter), folder);
    } finally {
      clearInterval(sampler);
    }
    const growth = (peak - baseline) / MiB;
    // Buffers are 4 × 8 MiB; allow for the SDK and the test runner, far below the 190 MiB file.
    expect(growth, `RSS grew by ${growth.toFixed(0)} MiB`).toBeLessThan(110);

    const parts = sent.filter((r) => r.method === 'PUT' && 'partNumber' in r.query && r.key === bigKey);
    expect(parts).toHaveLength(Math.ceil(200_000_000 / partSize));
    expect(parts.every((p) => p.checksumSha256)).toBe(true);
    expect(maxInflight).toBeGreaterThan(1);
    expect(sent.find((r) => r.method === 'POST' && 'uploads' in r.query)?.storageClass).toBe('DEEP_ARCHIVE');

    const head = await t.client.send(new HeadObjectCommand({ Bucket: t.connection.bucket, Key: bigKey, ChecksumMode: 'ENABLED' }));
    expect(head.ChecksumSHA256).toBe(await composite(join(root, OBJECT_PATH, 'v1/content', BIG), partSize));
    expect(head.Metadata?.sha256).toBe(folder.images[0].digests.sha256);
    expect(reporter.progresses.some((p) => p.done > 0 && p.done < p.total)).toBe(true);
    expect(await orphans()).toEqual([]);

    // A rerun recognises the multipart object from HeadObject alone.
    const again = new S3Destination({ ...t.connection, storageRoot: root, partSizeBytes: partSize });
    const sent2 = spyOn(again, t.connection.bucket);
    await again.deliver(run(new MemoryReporter()), folder);
    expect(sent2.filter((r) => r.method === 'PUT' || r.method === 'POST')).toEqual([]);
  }, 180_000);

  test('the server dies in the middle of an upload: the rerun aborts the orphaned upload and completes', async () => {
    const { version } = await addVersion(root, 'DEMO_001_02', [{ logicalPath: BIG, size: 40 * MiB }]);
    const folder = await preparedFolder(root, version, [BIG]);
    const dest = new S3Destination({ ...t.connection, storageRoot: root, partSizeBytes: 5 * MiB, queueSize: 2 });
    let parts = 0;
    dest.client.middlewareStack.add((next) => async (args) => {
      const q = (args.request as { query: Record<string, unknown> }).query;
      if (q.partNumber && ++parts === 4) await t.server!.kill();
      return next(args);
    }, { step: 'finalizeRequest', name: 'crash' });
    const reporter = new MemoryReporter();
    await expect(dest.deliver(run(reporter), folder)).rejects.toThrow(/The connection to S3 failed .*ECONNREFUSED.*A rerun resumes where this one stopped/);

    await t.server!.restart();
    expect((await orphans()).map((u) => u.Key)).toEqual([bigKey]);
    await expect(t.client.send(new HeadObjectCommand({ Bucket: t.connection.bucket, Key: bigKey }))).rejects.toMatchObject({ name: 'NotFound' });

    const reporter2 = new MemoryReporter();
    await new S3Destination({ ...t.connection, storageRoot: root, partSizeBytes: 5 * MiB, queueSize: 2 }).deliver(run(reporter2), folder);
    expect(reporter2.lines).toContain(`🧹 Aborted 1 unfinished S3 upload(s) left by an earlier run under ocfl/${OBJECT_PATH}/`);
    expect(await orphans()).toEqual([]);
    const head = await t.client.send(new HeadObjectCommand({ Bucket: t.connection.bucket, Key: bigKey, ChecksumMode: 'ENABLED' }));
    expect(head.ChecksumSHA256).toBe(await composite(join(root, OBJECT_PATH, 'v1/content', BIG), 5 * MiB));
  }, 180_000);
});
