/**
 * Failure modes of the cloud destination. The server is fauxqs on loopback
 * (test/support/s3server.ts, which refuses a wrong SHA-256 with BadDigest as S3 does); the
 * answers fauxqs cannot give (AccessDenied, InvalidAccessKeyId, SlowDown, 500, dropped
 * connections, damaged bodies, a wrong stored checksum) come from a fault proxy in between
 * (faultProxy.ts) that speaks S3's error XML.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { ArchivesSpace } from '../../../src/archivesspace/types.js';
import type { PreparedFolder, RunScope } from '../../../src/destinations/destination.js';
import { S3Destination } from '../../../src/destinations/s3/index.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { addVersion, makeStorageRoot, OBJECT_PATH, preparedFolder, RecordingArchivesSpace } from './fixture.js';
import { startFaultProxy, type Fault, type FaultProxy, type SeenRequest } from './faultProxy.js';
import { fauxqsTarget, type Target } from './targets.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';

const IMG1 = 'DEMO_001_02_0001.jp2';
const IMG2 = 'DEMO_001_02_0002.jp2';

describe('S3 destination failures', () => {
  let t: Target;
  let dir: string;
  let root: string;
  let folder: PreparedFolder;
  let proxy: FaultProxy | undefined;
  let reporter: MemoryReporter;
  let aspace: RecordingArchivesSpace;

  beforeEach(async () => {
    t = await fauxqsTarget();
    dir = await mkdtemp(join(tmpdir(), 'distillery-s3fail-'));
    root = join(dir, 'root');
    await makeStorageRoot(root);
    const { version } = await addVersion(root, 'DEMO_001_02', [{ logicalPath: IMG1, content: randomBytes(4000) }, { logicalPath: IMG2, content: randomBytes(4000) }]);
    folder = await preparedFolder(root, version, [IMG1, IMG2]);
    reporter = new MemoryReporter();
    aspace = new RecordingArchivesSpace();
  });
  afterEach(async () => {
    await proxy?.close();
    proxy = undefined;
    await t.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const run = (): RunScope => ({ runId: 'r', collectionId: 'DEMO', user: { email: 'a@example.org', name: 'A' }, processes: ['cloud'], reporter, aspace: aspace as unknown as ArchivesSpace });
  const img1Key = () => `ocfl/${OBJECT_PATH}/v1/content/${IMG1}`;
  const rootSidecar = () => `ocfl/${OBJECT_PATH}/inventory.json.sha512`;

  async function viaProxy(rule: (r: SeenRequest) => Fault | undefined, extra: Partial<ConstructorParameters<typeof S3Destination>[0]> = {}) {
    proxy = await startFaultProxy(t.connection.endpoint!, rule);
    return new S3Destination({ ...t.connection, endpoint: proxy.endpoint, storageRoot: root, ...extra });
  }
  async function inBucket(key: string): Promise<boolean> {
    return t.client.send(new HeadObjectCommand({ Bucket: t.connection.bucket, Key: key })).then(() => true, () => false);
  }
  const isPut = (r: SeenRequest, key: string) => r.method === 'PUT' && r.key === key;

  test('a body damaged on the way every time: S3 refuses it (BadDigest), retried, then the file fails and no inventory is sent', async () => {
    const dest = await viaProxy((r) => (isPut(r, img1Key()) ? { kind: 'corruptBody' } : undefined));
    await expect(dest.deliver(run(), folder)).rejects.toThrow(/1 of 2 preservation file\(s\) of DEMO_001_02 were not stored in S3 \(first: S3 refused .*v1\/content\/DEMO_001_02_0001\.jp2 because the bytes it received did not match the SHA-256 Distillery sent.*gave up after 5 attempts/);
    expect(proxy!.seen.filter((r) => isPut(r, img1Key()))).toHaveLength(5);
    expect(reporter.lines.filter((l) => l.startsWith('🔁 S3 refused'))).toHaveLength(4);
    expect(reporter.files).toContainEqual(expect.objectContaining({ path: expect.stringContaining(IMG1), outcome: 'failed' }));
    expect(await inBucket(img1Key())).toBe(false);
    expect(await inBucket(`ocfl/${OBJECT_PATH}/inventory.json`)).toBe(false);
    expect(aspace.calls).toBe(0);
  });

  test('a body damaged once is sent again and succeeds', async () => {
    let damaged = 0;
    const dest = await viaProxy((r) => (isPut(r, img1Key()) && damaged++ === 0 ? { kind: 'corruptBody' } : undefined));
    await dest.deliver(run(), folder);
    expect(await inBucket(rootSidecar())).toBe(true);
  });

  test('the bucket reports a different checksum than the one computed: the file fails as not intact', async () => {
    const dest = await viaProxy((r) => (r.method === 'HEAD' && r.key === img1Key() ? { kind: 'corruptChecksumHeader' } : undefined));
    await expect(dest.deliver(run(), folder)).rejects.toThrow(/S3 holds .*DEMO_001_02_0001\.jp2 with SHA-256 BwcH.* but Distillery computed .* the copy in the bucket is not intact/);
    expect(await inBucket(rootSidecar())).toBe(false);
    expect(reporter.lines.at(-1)).toMatch(/^❌ 1 of 2 preservation file\(s\)/);
  });

  test('throttling (SlowDown), a 500 and a dropped connection are retried and the folder is sent', async () => {
    const faults: Fault[] = [{ kind: 'respond', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' }, { kind: 'respond', status: 500, code: 'InternalError' }, { kind: 'reset' }];
    const dest = await viaProxy((r) => (isPut(r, img1Key()) ? faults.shift() : undefined));
    await dest.deliver(run(), folder);
    expect(reporter.lines.some((l) => /^🔁 S3 asked Distillery to slow down \(503 SlowDown\)/.test(l))).toBe(true);
    expect(reporter.lines.some((l) => /^🔁 S3 had a server error \(500 InternalError\)/.test(l))).toBe(true);
    expect(reporter.lines.some((l) => /^🔁 The connection to S3 failed/.test(l))).toBe(true);
    expect(await inBucket(rootSidecar())).toBe(true);
  });

  test('a connection that keeps dropping gives up with what to check', async () => {
    const dest = await viaProxy((r) => (isPut(r, img1Key()) ? { kind: 'reset' } : undefined));
    await expect(dest.deliver(run(), folder)).rejects.toThrow(/The connection to S3 failed .* check the network\. A rerun resumes where this one stopped\. \(gave up after 5 attempts, long request policy\)/);
  });

  test('a server that accepts the upload and never answers: each attempt stops at the time-out, is retried, then the file fails naming the host and the setting; the rest is sent', async () => {
    const { policies } = await import('../../../src/policies.js');
    const before = policies.longRequest.timeoutMs;
    policies.longRequest.timeoutMs = 500;
    try {
      const dest = await viaProxy((r) => (isPut(r, img1Key()) ? { kind: 'hang' } : undefined));
      const started = Date.now();
      const err = await dest.deliver(run(), folder).catch((e: unknown) => e);
      // Bounded by the policy: 5 attempts of 0.5 s (and no delay between them here), not forever.
      expect(Date.now() - started).toBeLessThan(20_000);
      // The fault fired: the stand-in took every attempt and answered none.
      expect(proxy!.seen.filter((r) => isPut(r, img1Key()))).toHaveLength(policies.longRequest.attempts);
      const host = new URL(proxy!.endpoint).host;
      expect(reporter.lines.filter((l) => l.startsWith(`🔁 S3 at ${host} (asked to send s3://${t.connection.bucket}/${img1Key()}) did not answer in time and was stopped (time-out 0.5 s, long request policy; if it needs longer, raise LONG_REQUEST_TIMEOUT in settings.ini).`)), reporter.lines.join("\n") + String(err)).toHaveLength(policies.longRequest.attempts - 1);
      expect((err as Error).message).toContain(`(first: S3 at ${host} (asked to send s3://${t.connection.bucket}/${img1Key()}) did not answer in time and was stopped (time-out 0.5 s, long request policy; if it needs longer, raise LONG_REQUEST_TIMEOUT in settings.ini). (gave up after 5 attempts, long request policy))`);
      // The worker keeps going: the other file was sent, the folder is not recorded as sent.
      expect(await inBucket(img1Key().replace(IMG1, IMG2))).toBe(true);
      expect(await inBucket(rootSidecar())).toBe(false);
      expect(aspace.calls).toBe(0);
    } finally {
      policies.longRequest.timeoutMs = before;
    }
  });

  test('access denied says which permission is needed and is not retried', async () => {
    const dest = await viaProxy((r) => (r.method === 'PUT' ? { kind: 'respond', status: 403, code: 'AccessDenied', message: 'Access Denied' } : undefined));
    await expect(dest.deliver(run(), folder)).rejects.toThrow(/S3 refused to let Distillery send s3:\/\/distillery-test-.*\(403 AccessDenied\).*s3:PutObject.*A retry will not help/);
    // One attempt per file: two files, two PUTs.
    expect(proxy!.seen.filter((r) => r.method === 'PUT').map((r) => r.key).sort()).toEqual([img1Key(), img1Key().replace(IMG1, IMG2)]);
  });

  test('bad credentials name the settings keys and never show the secret', async () => {
    const dest = await viaProxy(() => ({ kind: 'respond', status: 403, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' }));
    const err = await dest.deliver(run(), folder).catch((e: Error) => e);
    // HeadBucket answers have no body, so S3 can only say 403 there.
    expect(String(err)).toMatch(/either the AWS keys are wrong, or the AWS user lacks a permission.*check AWS_ACCESS_KEY and AWS_SECRET_KEY/);
    expect(reporter.lines.at(-1)).toMatch(/^❌ S3 refused to let Distillery reach bucket/);
    const put = await viaProxy((r) => (r.method === 'PUT' ? { kind: 'respond', status: 403, code: 'InvalidAccessKeyId' } : undefined));
    await expect(put.deliver(run(), folder)).rejects.toThrow(/S3 did not accept the AWS keys \(403 InvalidAccessKeyId\).*check AWS_ACCESS_KEY and AWS_SECRET_KEY/);
    const check = await dest.check();
    expect(check.ok).toBe(false);
    expect(check.detail).not.toContain(t.connection.secretAccessKey);
    expect(check.detail).not.toContain(t.connection.accessKeyId);
  });

  test('a missing bucket is named, with the settings key to fix', async () => {
    const dest = new S3Destination({ ...t.connection, bucket: 'no-such-bucket-here', storageRoot: root });
    await expect(dest.begin(run())).rejects.toThrow(/The bucket "no-such-bucket-here" does not exist in region us-west-2 \(404 NotFound\): check PRESERVATION_BUCKET and AWS_REGION in settings.ini.*A retry will not help/);
    expect(reporter.lines.at(-1)).toMatch(/^❌ The bucket "no-such-bucket-here" does not exist/);
    expect(await dest.check()).toEqual({ ok: false, detail: expect.stringMatching(/^s3: bucket no-such-bucket-here \(http:\/\/127\.0\.0\.1:\d+\) not reachable: The bucket/) });
    expect(await new S3Destination({ ...t.connection, storageRoot: root }).check()).toEqual({ ok: true, detail: expect.stringMatching(/^s3: bucket distillery-test-.* reachable$/) });
  });

  test('a staging file that no longer matches its inventory is not sent', async () => {
    await writeFile(join(root, OBJECT_PATH, 'v1/content', IMG1), randomBytes(4000));
    const dest = new S3Destination({ ...t.connection, storageRoot: root });
    await expect(dest.deliver(run(), folder)).rejects.toThrow(/The staged file .*DEMO_001_02_0001\.jp2 does not match the digest its OCFL inventory records: the staging copy is damaged/);
    expect(await inBucket(img1Key())).toBe(false);
  });

  test('a folder without a package is refused with what to do', async () => {
    const dest = new S3Destination({ ...t.connection, storageRoot: root });
    await expect(dest.deliver(run(), { ...folder, package: undefined })).rejects.toThrow(/Folder DEMO_001_02 has no preservation package/);
  });
});
