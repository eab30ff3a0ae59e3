/**
 * Versions from the inventory alone, from the tape copy: with the object gone from the local disk
 * (and its companion folder, token stores and all), the tape catalogue's copy of its inventories
 * and token stores — kept when its tape file verified, checked against the sha512 the tape holds —
 * puts it back without reading the tape (the stand-in drive's read counter does not move), the
 * next version is built on it and validates, the audit finds every file intact (tokens of the
 * released payload included), and the network registers only the new version's files and tokens.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { runAudit } from '../../../src/audit/run.js';
import { TapeDestination, loadCatalogue, tapeCommand } from '../../../src/destinations/tape/index.js';
import { inventoryCopyDir } from '../../../src/destinations/tape/inventoryCopy.js';
import { restoreInventoriesFromTape } from '../../../src/destinations/tape/restoreInventory.js';
import { tokenStoreMember } from '../../../src/destinations/tape/runFile.js';
import { readDrive } from '../../../src/destinations/tape/standin/rmt-standin.js';
import type { PreparedFolder } from '../../../src/destinations/destination.js';
import { companionPath, objectPath, readInventory, tokenStorePath, validateStorageRoot } from '../../../src/ocfl/index.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { netBed, type NetBed } from '../network/fixture.js';
import { SETTINGS } from '../../audit/fixture.js';
import type { Settings } from '../../../src/settings/index.js';
import { restoreObjectFor, storageRootOf } from '../../../src/wiring.js';
import { fauxqsTarget } from '../s3/targets.js';
import { cliIo, RecordingArchivesSpace, REAL_DEVICE, runScope, tapeEnv, type TapeEnv } from './fixture.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';

let env: TapeEnv;
let b: NetBed;
beforeEach(async () => {
  env = await tapeEnv();
  b = await netBed();
  const { io } = cliIo();
  expect(await tapeCommand(['label', 'LTO-000001', ...(REAL_DEVICE ? ['--force'] : [])], { settings: env.options, ...io })).toBe(0);
});
afterEach(async () => {
  await b.cleanup();
  await env.cleanup();
});

const ID = 'https://archives.example.edu/repositories/2/archival_objects/F1';
const bytesRead = () => readDrive(env.library).bytesRead ?? 0;

async function toTape(folder: PreparedFolder, runId: string) {
  const dest = new TapeDestination({ ...env.options, storageRoot: b.root });
  const scope = runScope(new RecordingArchivesSpace(), runId);
  await dest.begin(scope);
  await dest.deliver(scope, folder);
  await dest.finish(scope);
  return scope.reporter;
}

/** The local disk is lost: the storage root and its companion folder (token stores, markers) are gone. */
async function loseDisk() {
  await rm(b.root, { recursive: true, force: true });
  await rm(companionPath(b.root), { recursive: true, force: true });
}

test.skipIf(REAL_DEVICE)('the next version is built from the tape catalogue\'s copy of the inventories and token stores, without reading the tape; it validates, audits intact, and the network registers only its files', async () => {
  const v1 = await b.version('F1', { 'a/one.jp2': 3000, 'a/two.jp2': 4000, 'C1.json': Buffer.from('{}') });
  await toTape(v1, 'run-1');
  expect((await b.dest.deliver(b.scope(), v1)).status).toBe('PRESERVED');
  const v1Tokens = await readFile(tokenStorePath(b.root, ID, 'v1'));

  // The tape file carries the token store, and the catalogue keeps a verified copy of the small members.
  const op = objectPath(ID);
  const file1 = (await loadCatalogue(env.options.cataloguePath)).tapes[0].files[1];
  expect(file1.state).toBe('verified');
  expect(file1.objects[0].files.map((f) => f.path)).toContain(tokenStoreMember(op, 'v1'));
  const copy = inventoryCopyDir(env.options.cataloguePath);
  expect(await readFile(join(copy, tokenStoreMember(op, 'v1')))).toEqual(v1Tokens);
  expect(await readFile(join(copy, op, 'inventory.json'))).toEqual(await readFile(join(b.root, op, 'inventory.json')));
  await expect(stat(join(copy, op, 'v1/content'))).rejects.toThrow(); // never payload

  await loseDisk();
  const readBefore = bytesRead();
  const reporter = new MemoryReporter();
  const restored = await restoreInventoriesFromTape(env.options.cataloguePath, b.root, ID, { reporter });
  expect(restored).toMatchObject({ head: 'v1', tokenStores: ['v1'], withoutTokens: [] });
  expect(restored!.read.sort()).toEqual(['0=ocfl_object_1.1', 'inventory.json', 'inventory.json.sha512', 'v1.tokens', 'v1/inventory.json', 'v1/inventory.json.sha512']);
  expect(reporter.lines.some((l) => l.includes('no payload downloaded') && l.includes('token stores of v1'))).toBe(true);
  // Every earlier version's token store is back, byte for byte, with the digest file beside it.
  expect(await readFile(tokenStorePath(b.root, ID, 'v1'))).toEqual(v1Tokens);
  expect(await stat(`${tokenStorePath(b.root, ID, 'v1')}.sha256`)).toBeTruthy();

  // v2: one image changed. Only it is copied in; the rest is referenced. The tape is not read.
  const v2 = await b.version('F1', { 'a/two.jp2': randomBytes(4000) });
  expect(v2.package!.version).toBe('v2');
  const inv = (await readInventory(b.root, ID))!;
  expect(Object.values(inv.manifest).flat().filter((p) => p.startsWith('v2/'))).toEqual(['v2/content/a/two.jp2']);
  expect((await validateStorageRoot(b.root)).errors).toEqual([]);
  expect(bytesRead()).toBe(readBefore);

  // v2 goes to tape: only v2 is written (the tape holds v1), and it verifies.
  await toTape(v2, 'run-2');
  const file2 = (await loadCatalogue(env.options.cataloguePath)).tapes[0].files[2];
  expect([file2.state, file2.objects.map((o) => o.versions)]).toEqual(['verified', [['v2']]]);

  // The audit: v2's payload re-read and its token checked; v1's released payload by its tokens
  // against the inventory — every one intact.
  const log = pino({ level: 'silent' });
  const audit = await runAudit({ storageRoot: b.root, statusDir: b.statusDir, ims: b.ims, settings: SETTINGS, log }, 'C1');
  expect(audit.records[0].findings).toEqual([]);
  expect(audit.records[0].copies).toEqual([{ copy: 'local', checked: 1, intact: 1, notes: [`${ID}: 3 file(s) released from local disk are held by the preservation copies and were not read here (their ACE tokens were checked against the sha256 the inventory records).`] }]);
  expect(audit.ok).toBe(true);

  // The network: the v2 bag holds only what v2 added, and only its new payload's token.
  const before = b.ingest.state.files.length;
  expect((await b.dest.deliver(b.scope(), v2)).status).toBe('PRESERVED');
  const bag2 = b.ingest.state.bags.find((x) => x.name.endsWith('_v2'))!;
  expect(b.ingest.state.files.filter((x) => x.bag === bag2.id).map((x) => x.filename).sort()).toEqual(['/0=ocfl_object_1.1', '/inventory.json', '/inventory.json.sha512', '/v2/content/a/two.jp2', '/v2/inventory.json', '/v2/inventory.json.sha512']);
  expect(b.ingest.state.files.length - before).toBe(6);
  expect(b.ingest.state.tokens.filter((t) => t.bagId === bag2.id).map((t) => t.filename)).toEqual(['/v2/content/a/two.jp2']);
}, 300_000);

test.skipIf(REAL_DEVICE)('without the earlier token stores the audit of released payload says "missing token"; an altered copy is refused with nothing written', async () => {
  const v1 = await b.version('F1', { 'a/one.jp2': 3000, 'C1.json': Buffer.from('{}') });
  await toTape(v1, 'run-1');
  const op = objectPath(ID);
  const copy = inventoryCopyDir(env.options.cataloguePath);
  await loseDisk();

  // A token store altered in the catalogue's copy: refused, nothing local.
  const store = join(copy, tokenStoreMember(op, 'v1'));
  const good = await readFile(store);
  await writeFile(store, good.toString('utf8').replace(/[0-9a-f]{64}/, (h) => h.replace(/^./, (c) => (c === '0' ? '1' : '0'))));
  await expect(restoreInventoriesFromTape(env.options.cataloguePath, b.root, ID, { reporter: new MemoryReporter() })).rejects.toThrow(/v1\.tokens differs from .* every verified tape file holds: the tape catalogue's copy of .* is damaged; nothing was written locally\. Restore the object from tape LTO-000001, file 1/);
  expect(await readInventory(b.root, ID)).toBeUndefined();
  await expect(stat(tokenStorePath(b.root, ID, 'v1'))).rejects.toThrow();

  // The store gone from the copy: the object comes back without it, and the audit says which files lack a token.
  await rm(store);
  const restored = await restoreInventoriesFromTape(env.options.cataloguePath, b.root, ID, { reporter: new MemoryReporter() });
  expect(restored).toMatchObject({ head: 'v1', tokenStores: [], withoutTokens: ['v1'] });
  const audit = await runAudit({ storageRoot: b.root, statusDir: b.statusDir, ims: b.ims, settings: SETTINGS, log: pino({ level: 'silent' }) }, 'C1');
  expect(audit.ok).toBe(false);
  expect(audit.records[0].findings.map((f) => [f.path, f.state])).toEqual([['v1/content/C1.json', 'missing token'], ['v1/content/a/one.jp2', 'missing token']]);
  expect(audit.records[0].findings[0].message).toMatch(/Restore its version's token store from a preservation copy/);
}, 300_000);

test.skipIf(REAL_DEVICE)('an object on tape whose file was written before the catalogue kept copies: a clear refusal naming the tape file', async () => {
  const v1 = await b.version('F1', { 'a/one.jp2': 3000 });
  await toTape(v1, 'run-1');
  await rm(inventoryCopyDir(env.options.cataloguePath), { recursive: true, force: true });
  await loseDisk();
  await expect(restoreInventoriesFromTape(env.options.cataloguePath, b.root, ID, { reporter: new MemoryReporter() })).rejects.toThrow(/is on tape LTO-000001 \(file 1, v1\), but the tape catalogue keeps no copy of its inventory .* Restore the object from tape LTO-000001, file 1 with mt and tar/);
  expect(await readInventory(b.root, ID)).toBeUndefined();
  // An object no tape holds: nothing to restore from here.
  expect(await restoreInventoriesFromTape(env.options.cataloguePath, b.root, 'https://archives.example.edu/repositories/2/archival_objects/none', { reporter: new MemoryReporter() })).toBeUndefined();
}, 300_000);

test.skipIf(REAL_DEVICE)("the worker's restore uses the tape catalogue's copy when S3 does not hold the object or cannot be reached", async () => {
  const v1 = await b.version('F1', { 'a/one.jp2': 3000, 'C1.json': Buffer.from('{}') });
  await toTape(v1, 'run-1');
  const s3 = await fauxqsTarget();
  try {
    // The worker's settings: cloud and onsite configured; the local storage root is <preservation>/ocfl.
    const settingsWith = (s3Settings: object) => ({ folders: { preservation: b.dir }, modules: { cloud: 's3', onsite: 'tape' }, s3: s3Settings, tape: env.options }) as unknown as Settings;
    expect(storageRootOf(settingsWith({}))).toBe(b.root);

    // The bucket is reachable but does not hold the object (it was never sent there).
    await loseDisk();
    let reporter = new MemoryReporter();
    expect(await restoreObjectFor(settingsWith({ ...s3.connection, storageClass: 'STANDARD' }))!(ID, reporter)).toBe(true);
    expect(reporter.lines.some((l) => l.includes("the tape catalogue's copy") && l.includes('no payload downloaded'))).toBe(true);
    expect((await readInventory(b.root, ID))?.head).toBe('v1');

    // The bucket cannot be reached: said, then the tape catalogue's copy.
    await loseDisk();
    reporter = new MemoryReporter();
    expect(await restoreObjectFor(settingsWith({ ...s3.connection, endpoint: 'http://127.0.0.1:9', storageClass: 'STANDARD' }))!(ID, reporter)).toBe(true);
    expect(reporter.lines.some((l) => /the S3 copy could not be used .*; trying the tape catalogue's copy/.test(l))).toBe(true);
    expect((await readInventory(b.root, ID))?.head).toBe('v1');
    expect(await readFile(tokenStorePath(b.root, ID, 'v1'))).toBeTruthy();
  } finally {
    await s3.stop();
  }
}, 300_000);
