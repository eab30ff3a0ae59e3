/**
 * Versions from the inventory alone: with the object gone from the local storage root, only its
 * declaration, inventories, sidecars and every version's token store are read back from the S3
 * copy (fauxqs on loopback) — every GET is a metadata key, never payload — and the next version is
 * built on them and sent; the audit then finds every file intact, released payload by its tokens.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { ArchivesSpace } from '../../../src/archivesspace/types.js';
import { S3Destination } from '../../../src/destinations/s3/index.js';
import { restoreInventoriesFromS3 } from '../../../src/destinations/s3/restoreInventory.js';
import { pino } from 'pino';
import { runAudit } from '../../../src/audit/run.js';
import { commitVersion, companionPath, LocalIms, objectPath, readInventory, tokenizeVersion, tokenStorePath, validateStorageRoot } from '../../../src/ocfl/index.js';
import { SETTINGS } from '../../audit/fixture.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { fauxqsTarget, spyOn, type Target } from './targets.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';

let t: Target;
let dir: string;
beforeEach(async () => {
  t = await fauxqsTarget();
  dir = await mkdtemp(join(tmpdir(), 'distillery-restore-'));
});
afterEach(async () => {
  await t.stop();
  await rm(dir, { recursive: true, force: true });
});

const ID = 'https://archives.example.edu/repositories/2/archival_objects/R1';
const META = { message: 'test', user: { name: 'Test', address: 'mailto:test@example.org' } };
const scope = () => ({ runId: 'r', collectionId: 'C1', user: { email: 'a@example.org', name: 'A' }, processes: ['cloud'], reporter: new MemoryReporter(), aspace: {} as ArchivesSpace });

async function src(name: string, data: Buffer): Promise<string> {
  const p = join(dir, 'src', `${name}.${Date.now()}`);
  await mkdir(join(dir, 'src'), { recursive: true });
  await writeFile(p, data);
  return p;
}

async function send(s3: S3Destination, root: string, version: string) {
  await s3.deliver(scope(), { name: 'R1', path: '/x', images: [], record: {} as never, arrangement: {} as never, package: { storageRoot: root, objectId: ID, objectPath: objectPath(ID), version, payloadLocal: true } });
}

test('the next version is built from the inventories and token stores in S3 alone, no payload is downloaded, and the audit finds every file intact', async () => {
  const root = join(dir, 'ocfl');
  const ims = new LocalIms(join(dir, 'ims-ledger.jsonl'));
  const s3 = new S3Destination({ ...t.connection, storageRoot: root, storageClass: 'STANDARD' });
  const a = randomBytes(5000);
  const collection = await src('C1', Buffer.from('{}'));
  await commitVersion(root, ID, [{ logicalPath: 'a.jp2', sourcePath: await src('a', a) }, { logicalPath: 'b.jp2', sourcePath: await src('b', randomBytes(4000)) }, { logicalPath: 'C1.json', sourcePath: collection }], META, { mode: 'merge' });
  await tokenizeVersion(root, ID, 'v1', ims);
  const v1Tokens = await readFile(tokenStorePath(root, ID, 'v1'));
  await send(s3, root, 'v1');
  const tokensKey = `ocfl-distillery/tokens/${objectPath(ID)}/v1.tokens`;

  // A new host: nothing local, not even the companion folder with the token stores.
  await rm(root, { recursive: true, force: true });
  await rm(companionPath(root), { recursive: true, force: true });
  const sent = spyOn(s3, t.connection.bucket);
  const restored = await restoreInventoriesFromS3(s3, root, ID, scope());
  expect(restored).toMatchObject({ head: 'v1', tokenStores: ['v1'], withoutTokens: [] });
  const gets = sent.filter((r) => r.method === 'GET').map((r) => r.key.replace(`ocfl/${objectPath(ID)}/`, ''));
  expect(gets.sort()).toEqual(['0=ocfl_object_1.1', 'inventory.json', 'inventory.json.sha512', tokensKey, `${tokensKey}.sha256`, 'v1/inventory.json', 'v1/inventory.json.sha512']);
  expect(await readFile(tokenStorePath(root, ID, 'v1'))).toEqual(v1Tokens);
  expect((await validateStorageRoot(root)).errors).toEqual([]);

  // v2: a unchanged, c new. Only c is copied in; a is referenced.
  const c = randomBytes(3000);
  const commit = await commitVersion(root, ID, [{ logicalPath: 'a.jp2', sourcePath: await src('a2', a) }, { logicalPath: 'c.jp2', sourcePath: await src('c', c) }], META, { mode: 'merge' });
  expect(commit.version).toBe('v2');
  expect(commit.newContentPaths).toEqual(['v2/content/c.jp2']);
  await tokenizeVersion(root, ID, 'v2', ims);
  const inv = (await readInventory(root, ID))!;
  expect(Object.keys(inv.versions[inv.head].state)).toHaveLength(4);
  await send(s3, root, 'v2');
  expect(sent.filter((r) => r.method === 'GET' && r.key.includes('/content/'))).toEqual([]);
  expect((await validateStorageRoot(root)).errors).toEqual([]);
  // v2's token store went to the bucket too.
  expect(await s3.readKey(`ocfl-distillery/tokens/${objectPath(ID)}/v2.tokens`, scope())).toEqual(await readFile(tokenStorePath(root, ID, 'v2')));

  // The audit of the object: v2's payload re-read with its token, v1's released payload by the
  // restored tokens against the inventory, the S3 copy by its stored checksums — every one intact.
  const audit = await runAudit({ storageRoot: root, statusDir: join(dir, 'status'), ims, settings: SETTINGS, log: pino({ level: 'silent' }), s3 }, 'C1');
  expect(audit.records[0].findings).toEqual([]);
  expect(audit.records[0].copies.find((x) => x.copy === 'local')).toMatchObject({ checked: 1, intact: 1 });
  expect(audit.ok).toBe(true);
}, 60_000);

test('a token store in S3 that does not match its recorded sha256 is refused and nothing is written locally', async () => {
  const root = join(dir, 'ocfl');
  const s3 = new S3Destination({ ...t.connection, storageRoot: root, storageClass: 'STANDARD' });
  await commitVersion(root, ID, [{ logicalPath: 'a.jp2', sourcePath: await src('a', randomBytes(100)) }], META, { mode: 'merge' });
  await tokenizeVersion(root, ID, 'v1', new LocalIms(join(dir, 'ims-ledger.jsonl')));
  await send(s3, root, 'v1');
  const key = `ocfl-distillery/tokens/${objectPath(ID)}/v1.tokens`;
  const text = (await s3.readKey(key, scope()))!.toString('utf8');
  await t.client.send(new PutObjectCommand({ Bucket: t.connection.bucket, Key: key, Body: text.replace(/ (\d+) (\d{4}-)/, (_m, round, y) => ` ${Number(round) + 1} ${y}`) }));
  await rm(root, { recursive: true, force: true });
  await rm(companionPath(root), { recursive: true, force: true });
  await expect(restoreInventoriesFromS3(s3, root, ID, scope())).rejects.toThrow(/the token store of v1 does not match its recorded sha256; nothing was written locally\. Restore the object from tape instead/);
  expect(await readInventory(root, ID)).toBeUndefined();
  await expect(readFile(tokenStorePath(root, ID, 'v1'))).rejects.toThrow();
}, 60_000);

test('an inventory in S3 that does not match its sidecar is refused and nothing is written locally', async () => {
  const root = join(dir, 'ocfl');
  const s3 = new S3Destination({ ...t.connection, storageRoot: root, storageClass: 'STANDARD' });
  await commitVersion(root, ID, [{ logicalPath: 'a.jp2', sourcePath: await src('a', randomBytes(100)) }], META, { mode: 'merge' });
  await send(s3, root, 'v1');
  const key = `ocfl/${objectPath(ID)}/inventory.json`;
  const text = await readFile(join(root, objectPath(ID), 'inventory.json'), 'utf8');
  await t.client.send(new PutObjectCommand({ Bucket: t.connection.bucket, Key: key, Body: text.replace('"test"', '"altered"') }));
  await rm(root, { recursive: true, force: true });
  await rm(companionPath(root), { recursive: true, force: true });
  await expect(restoreInventoriesFromS3(s3, root, ID, scope())).rejects.toThrow(/inventory\.json does not match its sidecar .*; nothing was written locally\. Restore the object from tape instead/);
  expect(await readInventory(root, ID)).toBeUndefined();
}, 60_000);
