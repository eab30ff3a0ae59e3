/**
 * Audits of the preservation copies: the S3 copy (on the local S3 server, fauxqs) checked with
 * HeadObject only — never a GET or a restore — and the tape copy read back through the rmt tape
 * stand-in with real GNU tar and mt, a bounded number of tape files per audit, in catalogue order.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, expect, test } from 'vitest';
import { auditRecordOf, readTapeCursor } from '../../src/audit/records.js';
import { runAudit } from '../../src/audit/run.js';
import { filesPerAudit } from '../../src/audit/tape.js';
import { S3Destination } from '../../src/destinations/s3/index.js';
import { TapeDestination, tapeCommand } from '../../src/destinations/tape/index.js';
import { setTapeFaults, tapeFiles } from '../../src/destinations/tape/standin/rmt-standin.js';
import { tokenizeVersion } from '../../src/ocfl/index.js';
import { MemoryReporter } from '../../src/runs/reporter.js';
import type { ArchivesSpace } from '../../src/archivesspace/types.js';
import { fauxqsTarget, spyOn, type Target } from '../destinations/s3/targets.js';
import { cliIo, makeFolder, RecordingArchivesSpace, REAL_DEVICE, runScope, tapeEnv, type TapeEnv } from '../destinations/tape/fixture.js';
import { bed, SETTINGS, type Bed } from './fixture.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';

let b: Bed | undefined;
let t: Target | undefined;
let env: TapeEnv | undefined;
afterEach(async () => {
  await b?.cleanup();
  await t?.stop();
  await env?.cleanup();
  b = t = env = undefined;
});

function scope() {
  return { runId: 'r1', collectionId: 'C1', user: { email: 'a@example.org', name: 'A' }, processes: ['cloud'], reporter: new MemoryReporter(), aspace: {} as ArchivesSpace };
}

test('S3: an intact copy passes with HeadObject only; a wrong stored checksum and a missing key are reported', async () => {
  t = await fauxqsTarget();
  b = await bed();
  const o = await b.object('C1', 'F1', { 'a.jp2': 6000, 'b.jp2': 6000 });
  const s3 = new S3Destination({ ...t.connection, storageRoot: b.root, storageClass: 'STANDARD' });
  await s3.deliver(scope(), {
    name: 'F1', path: '/nowhere', images: [], record: {} as never, arrangement: {} as never,
    package: { storageRoot: b.root, objectId: o.objectId, objectPath: o.objectRoot.slice(b.root.length + 1), version: o.version, payloadLocal: true },
  });
  const sent = spyOn(s3, t.connection.bucket);
  let out = await runAudit(b.deps({ s3 }), 'C1');
  expect(out.ok).toBe(true);
  expect(out.records[0].copies.find((c) => c.copy === 's3')).toEqual({ copy: 's3', checked: 7, intact: 7, notes: [] });
  expect(new Set(sent.map((r) => r.method))).toEqual(new Set(['HEAD']));

  // The bucket's a.jp2 replaced by other bytes of the same size (with their own valid checksum).
  const objPath = o.objectRoot.slice(b.root.length + 1);
  const other = randomBytes(6000);
  await t.client.send(new PutObjectCommand({ Bucket: t.connection.bucket, Key: `ocfl/${objPath}/v1/content/a.jp2`, Body: other, ChecksumSHA256: createHash('sha256').update(other).digest('base64') }));
  await t.client.send(new DeleteObjectCommand({ Bucket: t.connection.bucket, Key: `ocfl/${objPath}/v1/content/b.jp2` }));
  out = await runAudit(b.deps({ s3 }), 'C1');
  expect(out.ok).toBe(false);
  const findings = (await auditRecordOf(b.statusDir, 'C1'))!.findings;
  expect(findings.map((f) => [f.copy, f.path, f.state])).toEqual([
    ['s3', 'v1/content/a.jp2', 'corrupt'],
    ['s3', 'v1/content/b.jp2', 'missing'],
  ]);
  expect(findings[0].message).toMatch(/stored SHA-256 [0-9a-f]{16}… differs from the inventory's [0-9a-f]{16}…\. Run the cloud process for collection C1 again/);
  expect(new Set(sent.map((r) => r.method))).toEqual(new Set(['HEAD']));
}, 60_000);

/** One object with v1's token store, delivered to the bucket; the S3 key of that store. */
async function deliveredWithTokens() {
  t = await fauxqsTarget();
  b = await bed();
  const o = await b.object('C1', 'F1', { 'a.jp2': 6000 });
  const s3 = new S3Destination({ ...t.connection, storageRoot: b.root, storageClass: 'STANDARD' });
  const objPath = o.objectRoot.slice(b.root.length + 1);
  await s3.deliver(scope(), {
    name: 'F1', path: '/nowhere', images: [], record: {} as never, arrangement: {} as never,
    package: { storageRoot: b.root, objectId: o.objectId, objectPath: objPath, version: o.version, payloadLocal: true },
  });
  return { s3, key: s3.tokenStoreKey(objPath, 'v1'), sent: spyOn(s3, t.connection.bucket) };
}

test('S3 token store: an intact store and its sha256 are checked with HeadObject only and pass', async () => {
  const { s3, key, sent } = await deliveredWithTokens();
  const out = await runAudit(b!.deps({ s3 }), 'C1');
  expect(out.ok).toBe(true);
  // The image, the collection record, the root inventory and sidecar, v1's token store and its sha256.
  expect(out.records[0].copies.find((c) => c.copy === 's3')).toEqual({ copy: 's3', checked: 6, intact: 6, notes: [] });
  expect(out.records[0].findings).toEqual([]);
  expect(sent.filter((r) => r.key === key || r.key === `${key}.sha256`).map((r) => r.method)).toEqual(['HEAD', 'HEAD']);
  expect(new Set(sent.map((r) => r.method))).toEqual(new Set(['HEAD']));
}, 60_000);

test('S3 token store: a store replaced by other bytes in the bucket is reported corrupt, with what to do', async () => {
  const { s3, key, sent } = await deliveredWithTokens();
  // Other bytes, with their own valid S3 checksum: only the recorded sha256 tells them apart.
  const other = randomBytes(300);
  await t!.client.send(new PutObjectCommand({ Bucket: t!.connection.bucket, Key: key, Body: other, ChecksumSHA256: createHash('sha256').update(other).digest('base64') }));
  const out = await runAudit(b!.deps({ s3 }), 'C1');
  expect(out.ok).toBe(false);
  const findings = (await auditRecordOf(b!.statusDir, 'C1'))!.findings;
  expect(findings.map((f) => [f.copy, f.path, f.state])).toEqual([['s3', 'v1.tokens', 'corrupt']]);
  expect(findings[0].message).toMatch(/\(the ACE token store of v1\) does not match the sha256 recorded for v1's token store: .*stored SHA-256 [0-9a-f]{16}… differs.*Run the cloud process for collection C1 again: it sends v1's token store anew/);
  expect(new Set(sent.map((r) => r.method))).toEqual(new Set(['HEAD']));
}, 60_000);

test('S3 token store: a store deleted from the bucket is reported missing, with what to do', async () => {
  const { s3, key } = await deliveredWithTokens();
  await t!.client.send(new DeleteObjectCommand({ Bucket: t!.connection.bucket, Key: key }));
  const out = await runAudit(b!.deps({ s3 }), 'C1');
  expect(out.ok).toBe(false);
  const findings = (await auditRecordOf(b!.statusDir, 'C1'))!.findings;
  expect(findings.map((f) => [f.copy, f.path, f.state])).toEqual([['s3', 'v1.tokens', 'missing']]);
  expect(findings[0].message).toMatch(/\(the ACE token store of v1\) is missing from the bucket\. Run the cloud process for collection C1 again: it sends v1's token store anew.*distillery ocfl tokens/);
}, 60_000);

test('filesPerAudit spreads the tape files over the cycle and says when the bound cannot keep it', () => {
  expect(filesPerAudit(10, { tapeCycleDays: 5, tapeFilesPerNight: 4 })).toEqual({ count: 2 });
  expect(filesPerAudit(3, { tapeCycleDays: 90, tapeFilesPerNight: 4 })).toEqual({ count: 1 });
  const over = filesPerAudit(100, { tapeCycleDays: 10, tapeFilesPerNight: 4 });
  expect(over.count).toBe(4);
  expect(over.note).toContain('raise AUDIT_TAPE_FILES_PER_NIGHT to 10 or AUDIT_TAPE_CYCLE_DAYS to 25');
});

test.skipIf(REAL_DEVICE)('tape: one file per night in catalogue order, every file read within the cycle; an unreadable file is reported', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  const { io, err } = cliIo();
  expect(await tapeCommand(['label', 'LTO-000001'], { settings: env.options, ...io }), err.join('\n')).toBe(0);
  b = await bed(env.storageRoot);
  // Two runs, two tape files (1 and 2).
  for (const [i, name] of ['F1', 'F2'].entries()) {
    const f = await makeFolder(env, name, [{ seq: '0001' }]);
    await tokenizeVersion(env.storageRoot, f.package!.objectId, 'v1', b.ims);
    const dest = new TapeDestination(env.options);
    const s = runScope(new RecordingArchivesSpace(), `run-${i}`);
    await dest.deliver(s, f);
    await dest.finish(s);
  }
  const tape = new TapeDestination(env.options);
  const settings = { ...SETTINGS, tapeCycleDays: 2, tapeFilesPerNight: 4 };
  // Night 1 reads file 1, night 2 file 2, night 3 file 1 again.
  let out = await runAudit(b.deps({ tape, settings }));
  expect(out.ok).toBe(true);
  expect(await readTapeCursor(b.statusDir)).toMatchObject({ indicator: 'LTO-000001', file: 1 });
  const rec = await auditRecordOf(b.statusDir, 'DEMO');
  // The image, v1's inventory and sidecar, the declaration, the root inventory and sidecar, and v1's token store.
  expect(rec?.copies.find((c) => c.copy === 'tape')).toEqual({ copy: 'tape', checked: 7, intact: 7, notes: [] });
  out = await runAudit(b.deps({ tape, settings }));
  expect(await readTapeCursor(b.statusDir)).toMatchObject({ file: 2 });

  // File 1 now cannot be read: the next night reports it unreadable, with what to do.
  setTapeFaults(env.library, 'A', { readErrors: [{ file: 1, offset: 1000 }] });
  out = await runAudit(b.deps({ tape, settings }));
  expect(out.ok).toBe(false);
  expect(await readTapeCursor(b.statusDir)).toMatchObject({ file: 1 });
  const f = (await auditRecordOf(b.statusDir, 'DEMO'))!.findings;
  expect(f).toHaveLength(1);
  expect(f[0]).toMatchObject({ copy: 'tape', path: 'tape LTO-000001 file 1', state: 'unreadable' });
  expect(f[0].message).toMatch(/could not be read back \(.*Input\/output error.*\).*Clean the drive and audit collection DEMO again/);
}, 120_000);

test.skipIf(REAL_DEVICE)('tape: a file damaged on the media is reported corrupt by path', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  const { io } = cliIo();
  await tapeCommand(['label', 'LTO-000001'], { settings: env.options, ...io });
  b = await bed(env.storageRoot);
  const content = randomBytes(20_000);
  const f = await makeFolder(env, 'F1', [{ seq: '0001', content }]);
  const dest = new TapeDestination(env.options);
  const s = runScope(new RecordingArchivesSpace());
  await dest.deliver(s, f);
  await dest.finish(s);
  // Damage on the media after the write was verified: one byte of the image inside tape file 1.
  const file1 = tapeFiles(env.library, 'A')[1];
  const bytes = readFileSync(file1);
  const at = bytes.indexOf(content.subarray(0, 64));
  expect(at).toBeGreaterThan(0);
  bytes[at + 5000] ^= 0xff;
  writeFileSync(file1, bytes);
  const out = await runAudit(b.deps({ tape: new TapeDestination(env.options) }), 'DEMO');
  expect(out.ok).toBe(false);
  expect(out.records[0].findings).toHaveLength(1);
  expect(out.records[0].findings[0]).toMatchObject({ copy: 'tape', state: 'corrupt', path: `${f.package!.objectPath}/v1/content/F1_0001.jp2` });
  expect(out.records[0].findings[0].message).toMatch(/sha512 read back [0-9a-f]{16}… differs from the inventory's.*write .* to a new tape/);
}, 120_000);
