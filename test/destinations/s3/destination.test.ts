/**
 * The contract suite of the cloud destination: a real S3-compatible server (fauxqs on loopback,
 * test/support/s3server.ts), and real AWS S3 as well when S3_TEST_BUCKET, S3_TEST_REGION,
 * AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set. ArchivesSpace is a recording
 * implementation of the two calls the destination makes (fixture.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ArchivesSpace } from '../../../src/archivesspace/types.js';
import type { RunScope } from '../../../src/destinations/destination.js';
import { S3Destination } from '../../../src/destinations/s3/index.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { addVersion, makeStorageRoot, OBJECT_PATH, preparedFolder, RecordingArchivesSpace } from './fixture.js';
import { awsConfigured, awsTarget, fauxqsTarget, spyOn, writes, type Target } from './targets.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';

const targets: [string, () => Promise<Target>][] = [['fauxqs', fauxqsTarget]];
if (awsConfigured) targets.push(['aws', awsTarget]);

const IMG1 = 'DEMO_001_02_0001.jp2';
const IMG2 = 'DEMO_001_02_0002.jp2';
const IMG3 = 'DEMO_001_02_0003.jp2';

function runScope(reporter: MemoryReporter, aspace: RecordingArchivesSpace): RunScope {
  return { runId: 'r1', collectionId: 'DEMO', user: { email: 'a@example.org', name: 'A' }, processes: ['cloud'], reporter, aspace: aspace as unknown as ArchivesSpace };
}

describe.each(targets)('S3 destination against %s', (_name, makeTarget) => {
  let t: Target;
  let dir: string;
  let root: string;

  beforeEach(async () => {
    t = await makeTarget();
    dir = await mkdtemp(join(tmpdir(), 'distillery-s3dest-'));
    root = join(dir, 'root');
    await makeStorageRoot(root);
  });
  afterEach(async () => {
    await t.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const prefix = () => t.connection.prefix ?? '';
  const objPrefix = () => `${prefix()}${OBJECT_PATH}/`;
  const payloadClass = () => t.connection.storageClass ?? 'DEEP_ARCHIVE';

  async function storedSha256(key: string) {
    const h = await t.client.send(new HeadObjectCommand({ Bucket: t.connection.bucket, Key: key, ChecksumMode: 'ENABLED' }));
    return { checksum: h.ChecksumSHA256, bytes: h.ContentLength };
  }

  test('sends a package: every object verified by SHA-256, payload archival, inventories STANDARD, root sidecar last', async () => {
    const { version } = await addVersion(root, 'DEMO_001_02', [
      { logicalPath: IMG1, content: randomBytes(3000) },
      { logicalPath: IMG2, content: randomBytes(5000) },
    ]);
    const folder = await preparedFolder(root, version, [IMG1, IMG2], join(dir, 'json'));
    const dest = new S3Destination({ ...t.connection, storageRoot: root });
    const sent = spyOn(dest, t.connection.bucket);
    const reporter = new MemoryReporter();
    const aspace = new RecordingArchivesSpace();
    const run = runScope(reporter, aspace);
    await dest.begin(run);
    await dest.deliver(run, folder);

    const o = objPrefix();
    const objectKeys = [`${o}v1/content/${IMG1}`, `${o}v1/content/${IMG2}`, `${o}v1/inventory.json`, `${o}v1/inventory.json.sha512`, `${o}0=ocfl_object_1.1`, `${o}inventory.json`, `${o}inventory.json.sha512`];
    const rootKeys = ['0=ocfl_1.1', 'ocfl_layout.json', 'extensions/0004-hashed-n-tuple-storage-layout/config.json'].map((k) => `${prefix()}${k}`);
    const jsonKeys = ['DEMO/DEMO.json', 'DEMO/DEMO-s01-Series-1--Correspondence/DEMO_001_02-Letters--1923/DEMO_001_02.json'];
    const written = writes(sent).map((r) => r.key);
    expect([...written].sort()).toEqual([...objectKeys, ...rootKeys, ...jsonKeys].sort());

    // Inventory last: payload before the version inventory, the root sidecar after everything of the object.
    const at = (k: string) => written.indexOf(k);
    for (const p of objectKeys.slice(0, 2)) expect(at(p)).toBeLessThan(at(`${o}v1/inventory.json`));
    expect(at(`${o}inventory.json`)).toBeLessThan(at(`${o}inventory.json.sha512`));
    expect(Math.max(...objectKeys.map(at))).toBe(at(`${o}inventory.json.sha512`));

    for (const r of writes(sent)) {
      expect(r.storageClass, r.key).toBe(r.key.includes('/content/') ? payloadClass() : 'STANDARD');
      expect(r.checksumSha256, r.key).toBeTruthy();
    }
    // What the bucket holds carries the SHA-256 of the local bytes.
    for (const k of objectKeys) {
      const local = await readFile(join(root, OBJECT_PATH, k.slice(o.length)));
      expect(await storedSha256(k), k).toEqual({ checksum: createHash('sha256').update(local).digest('base64'), bytes: local.length });
    }

    // ArchivesSpace: one file version per image, pointing at the object in the bucket.
    const img = folder.images[0];
    const base = t.connection.endpoint ? `${t.connection.endpoint}/${t.connection.bucket}` : `https://${t.connection.bucket}.s3.${t.connection.region}.amazonaws.com`;
    expect(aspace.versions.get(img.componentUri)).toEqual([{
      file_uri: `${base}/${o}v1/content/${IMG1}`.replace('0=ocfl', '0%3Docfl'),
      checksum: img.digests.sha256, checksum_method: 'sha-256', file_size_bytes: 3000, file_format_name: 'JPEG 2000',
      file_format_version: img.technical.fileFormatVersion, caption: 'width: 10; height: 10; compression: lossless', use_statement: 'image-master',
    }]);
    expect(aspace.versions.size).toBe(2);

    expect(reporter.lines.some((l) => l.startsWith('☁️ Sending DEMO_001_02'))).toBe(true);
    expect(reporter.lines.at(-1)).toMatch(/^✅ DEMO_001_02 is in S3: 12 file\(s\) sent .* 0 already there/);
    const last = reporter.progresses.at(-1)!;
    expect(last.done).toBe(last.total);
    expect(last.detail).toMatch(/12 of 12 files, .* MB\/s/);
    expect(reporter.files.filter((f) => f.outcome === 'done')).toHaveLength(12);
  });

  test('a rerun sends nothing and records nothing twice', async () => {
    const { version } = await addVersion(root, 'DEMO_001_02', [{ logicalPath: IMG1, content: randomBytes(2000) }, { logicalPath: IMG2, content: randomBytes(2500) }]);
    const folder = await preparedFolder(root, version, [IMG1, IMG2], join(dir, 'json'));
    const aspace = new RecordingArchivesSpace();
    await new S3Destination({ ...t.connection, storageRoot: root }).deliver(runScope(new MemoryReporter(), aspace), folder);

    const again = new S3Destination({ ...t.connection, storageRoot: root });
    const sent = spyOn(again, t.connection.bucket);
    const reporter = new MemoryReporter();
    await again.deliver(runScope(reporter, aspace), folder);
    expect(writes(sent)).toEqual([]);
    expect(sent.filter((r) => r.method !== 'HEAD' && !(r.method === 'GET' && 'uploads' in r.query))).toEqual([]);
    expect(reporter.files.every((f) => f.outcome === 'skipped')).toBe(true);
    expect(reporter.lines.at(-1)).toMatch(/0 file\(s\) sent .* 12 already there and verified/);
    for (const img of folder.images) expect(aspace.versions.get(img.componentUri)).toHaveLength(1);
  });

  test('a new version sends only its new files and the new inventories', async () => {
    const first = await addVersion(root, 'DEMO_001_02', [{ logicalPath: IMG1, content: randomBytes(2000) }, { logicalPath: IMG2, content: randomBytes(2500) }]);
    const aspace = new RecordingArchivesSpace();
    await new S3Destination({ ...t.connection, storageRoot: root }).deliver(runScope(new MemoryReporter(), aspace), await preparedFolder(root, first.version, [IMG1, IMG2]));

    const second = await addVersion(root, 'DEMO_001_02', [{ logicalPath: IMG2, content: randomBytes(2600) }, { logicalPath: IMG3, content: randomBytes(2700) }]);
    expect(second.version).toBe('v2');
    const folder = await preparedFolder(root, 'v2', [IMG1, IMG2, IMG3]);
    const dest = new S3Destination({ ...t.connection, storageRoot: root });
    const sent = spyOn(dest, t.connection.bucket);
    await dest.deliver(runScope(new MemoryReporter(), aspace), folder);
    const o = objPrefix();
    const keys = writes(sent).map((r) => r.key);
    // Payload files go in parallel (any order among them); the inventories follow, root sidecar last.
    expect(keys.slice(0, 2).sort()).toEqual([`${o}v2/content/${IMG2}`, `${o}v2/content/${IMG3}`]);
    expect(keys.slice(2)).toEqual([`${o}v2/inventory.json`, `${o}v2/inventory.json.sha512`, `${o}inventory.json`, `${o}inventory.json.sha512`]);
    // The unchanged image is still recorded where v1 put it.
    expect(aspace.versions.get(folder.images[0].componentUri)!.map((v) => v.file_uri)).toEqual([expect.stringMatching(/\/v1\/content\/DEMO_001_02_0001\.jp2$/)]);
    expect(aspace.versions.get(folder.images[2].componentUri)!.map((v) => v.file_uri)).toEqual([expect.stringMatching(/\/v2\/content\/DEMO_001_02_0003\.jp2$/)]);
  });
});
