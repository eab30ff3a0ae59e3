/**
 * The network destination against the Ingest stand-in (chronopolis-core's contract, two simulated
 * nodes that pull, check and audit): call and count assertions for a new object, a second version,
 * a rerun, a crash between registering files and tokens, a replication failure and time-outs.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { networkRecordOf } from '../../../src/destinations/network/records.js';
import { bagNameOf } from '../../../src/destinations/network/destination.js';
import type { Fault } from '../../../src/destinations/network/standin/ingest.js';
import { filesToSend, objectPath, purgeFiles } from '../../../src/ocfl/index.js';
import { NODES, netBed, type NetBed } from './fixture.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';

let b: NetBed | undefined;
afterEach(async () => {
  await b?.cleanup();
  b = undefined;
});

const ID = 'https://archives.example.edu/repositories/2/archival_objects/F1';

test('a new object: one bag, every file once with its sha256, a token per payload file, staged, replicated by every node, PRESERVED and recorded', async () => {
  b = await netBed();
  const f = await b.version('F1', { 'a/one.jp2': 3000, 'a/two.jp2': 4000, 'C1.json': Buffer.from('{}') });
  const state = await b.dest.deliver(b.scope(), f);
  expect(state).toMatchObject({ bagName: bagNameOf(ID, 'v1'), status: 'PRESERVED' });
  expect(state.replications.map((r) => [r.node, r.status]).sort()).toEqual(NODES.map((n) => [n, 'SUCCESS']));
  const { bags, files, tokens, replications } = b.ingest.state;
  expect(bags).toHaveLength(1);
  expect(bags[0]).toMatchObject({ name: 'archives.example.edu_repositories_2_archival_objects_F1_v1', status: 'PRESERVED', depositor: 'caltech-archives' });
  const expected = await filesToSend(b.root, ID, 'v1');
  expect(files.map((x) => x.filename).sort()).toEqual(expected.map((x) => `/${x.path}`).sort());
  expect(tokens.map((t) => t.filename).sort()).toEqual(['/v1/content/C1.json', '/v1/content/a/one.jp2', '/v1/content/a/two.jp2']);
  expect(replications.map((r) => r.status)).toEqual(['SUCCESS', 'SUCCESS']);
  // One CSV batch for the files, one POST per token, one bag.
  expect(b.ingest.count('POST', /^\/api\/bags$/)).toBe(1);
  expect(b.ingest.count('POST', /^\/api\/bags\/\d+\/files$/)).toBe(1);
  expect(b.ingest.count('POST', /^\/api\/bags\/\d+\/tokens$/)).toBe(3);
  // Each node holds the bag and its token store.
  for (const n of NODES) expect((await readdir(join(b.dir, 'nodes', n))).sort()).toEqual([bagNameOf(ID, 'v1'), `${bagNameOf(ID, 'v1')}.tokens`]);
  expect((await networkRecordOf(b.statusDir, 'C1'))?.objects[ID].v1).toMatchObject({ status: 'PRESERVED', bagId: bags[0].id });
});

test('a second version registers only the files it added and their tokens; a rerun registers nothing', async () => {
  b = await netBed();
  await b.dest.deliver(b.scope(), await b.version('F1', { 'a/one.jp2': 3000, 'a/two.jp2': 4000 }));
  const before = b.ingest.state.files.length;
  const v2 = await b.version('F1', { 'a/three.jp2': 5000 });
  expect(v2.package!.version).toBe('v2');
  const state = await b.dest.deliver(b.scope(), v2);
  expect(state.status).toBe('PRESERVED');
  const bag2 = b.ingest.state.bags.find((x) => x.name.endsWith('_v2'))!;
  const names = b.ingest.state.files.filter((x) => x.bag === bag2.id).map((x) => x.filename).sort();
  expect(names).toEqual(['/0=ocfl_object_1.1', '/inventory.json', '/inventory.json.sha512', '/v2/content/a/three.jp2', '/v2/inventory.json', '/v2/inventory.json.sha512']);
  expect(b.ingest.state.files.length - before).toBe(6);
  expect(b.ingest.state.tokens.filter((t) => t.bagId === bag2.id).map((t) => t.filename)).toEqual(['/v2/content/a/three.jp2']);

  // A rerun of both versions: nothing is registered, staged or posted again.
  const calls = b.ingest.calls.length;
  await b.dest.deliver(b.scope(), { ...v2, package: { ...v2.package!, version: 'v1' } });
  await b.dest.deliver(b.scope(), v2);
  const rerun = b.ingest.calls.slice(calls);
  expect(rerun.filter((c) => c.method !== 'GET')).toEqual([]);
  expect(b.ingest.state.bags).toHaveLength(2);
});

test('a crash between registering files and tokens: the rerun registers only the missing tokens, and nothing twice', async () => {
  b = await netBed();
  const f = await b.version('F1', { 'a/one.jp2': 3000, 'a/two.jp2': 4000, 'a/three.jp2': 5000 });
  // The service fails every token post after the first: the run stops with files registered, one token in.
  const fault: Fault = { method: 'POST', path: /^\/api\/bags\/\d+\/tokens$/, kind: 'error', status: 500, after: 1 };
  b.ingest.faults.push(fault);
  await expect(b.dest.deliver(b.scope(), f)).rejects.toThrow(/The Ingest service failed on POST \/api\/bags\/\d+\/tokens \(500.*a rerun resumes where this stopped\. \(gave up after 5 attempts/);
  expect(fault.fired).toBe(5);
  expect(b.ingest.state.tokens).toHaveLength(1);
  expect(b.ingest.state.bags[0].status).toBe('INITIALIZED');
  const rec = await networkRecordOf(b.statusDir, 'C1');
  expect(rec?.objects[ID].v1.status).toBe('DEPOSITED');

  b.ingest.faults.length = 0;
  const calls = b.ingest.calls.length;
  const state = await b.dest.deliver(b.scope(), f);
  expect(state.status).toBe('PRESERVED');
  const rerun = b.ingest.calls.slice(calls);
  expect(rerun.filter((c) => c.method === 'POST' && /\/(file|files)$/.test(c.path))).toEqual([]);
  expect(rerun.filter((c) => c.method === 'POST' && c.path === '/api/bags')).toEqual([]);
  expect(rerun.filter((c) => c.method === 'POST' && /\/tokens$/.test(c.path)).map((c) => c.status)).toEqual([201, 201]);
  // Every filename once, every token once.
  const fn = b.ingest.state.files.map((x) => x.filename);
  expect(new Set(fn).size).toBe(fn.length);
  expect(b.ingest.state.tokens).toHaveLength(3);
});

test('a node whose audit fails: the run says which node and what to do, and the record keeps it', async () => {
  b = await netBed({ failingAuditNodes: ['umiacs'] });
  const f = await b.version('F1', { 'a/one.jp2': 3000 });
  await expect(b.dest.deliver(b.scope(), f)).rejects.toThrow(/failed on umiacs \(FAILURE_ACE_AUDIT\)\. The local and cloud copies are not affected\. Ask the network administrators/);
  const rec = (await networkRecordOf(b.statusDir, 'C1'))!.objects[ID].v1;
  expect(rec.status).toBe('REPLICATING');
  expect(rec.replications).toContainEqual({ node: 'umiacs', status: 'FAILURE_ACE_AUDIT' });
  expect(rec.problem).toContain('umiacs (FAILURE_ACE_AUDIT)');
});

test('a time-out and a 500 on the way are retried; the bag is still registered once', async () => {
  b = await netBed({ timeoutMs: 300 });
  const hang: Fault = { method: 'GET', path: /^\/api\/bags$/, kind: 'hang', ms: 2000, times: 1 };
  const err500: Fault = { method: 'POST', path: /^\/api\/bags$/, kind: 'error', status: 500, times: 1 };
  b.ingest.faults.push(hang, err500);
  const state = await b.dest.deliver(b.scope(), await b.version('F1', { 'a/one.jp2': 3000 }));
  expect(hang.fired).toBe(1);
  expect(err500.fired).toBe(1);
  expect(state.status).toBe('PRESERVED');
  expect(b.ingest.state.bags).toHaveLength(1);
});

test('a file already staged that differs is never overwritten: the run stops and says what to do', async () => {
  b = await netBed();
  const f = await b.version('F1', { 'a/one.jp2': 3000 });
  // Stage a different file where the bag's payload goes: the copy refuses to overwrite it.
  const { mkdir, writeFile } = await import('node:fs/promises');
  const staged = join(b.dir, 'staging', bagNameOf(ID, 'v1'), 'v1/content/a/one.jp2');
  await mkdir(join(staged, '..'), { recursive: true });
  await writeFile(staged, 'something else');
  await expect(b.dest.deliver(b.scope(), f)).rejects.toThrow(/is already staged but differs .* remove it from NETWORK_STAGING_DIR and run again/);
  expect(b.ingest.state.tokens).toEqual([]);
});

test('a purge: the old bags are deprecated with the reason, the purged history is registered afresh, and the purged file is nowhere in it', async () => {
  b = await netBed();
  await b.dest.deliver(b.scope(), await b.version('F1', { 'a/one.jp2': 3000, 'a/secret.jp2': 2000 }));
  await b.dest.deliver(b.scope(), await b.version('F1', { 'a/two.jp2': 4000 }));
  await purgeFiles(b.root, ID, ['a/secret.jp2'], { reason: 'donor request 2026-11', user: { name: 'Archivist', address: 'mailto:a@example.org' }, ims: b.ims });
  const calls = b.ingest.calls.length;
  const out = await b.dest.purge(b.scope(), { storageRoot: b.root, objectId: ID, purgedObjectId: ID, reason: 'donor request 2026-11' });
  expect(out.map((v) => [v.bagName, v.status])).toEqual([[bagNameOf(ID, 'v1', 1), 'PRESERVED'], [bagNameOf(ID, 'v2', 1), 'PRESERVED']]);
  const bags = b.ingest.state.bags.map((x) => [x.name, x.status]);
  expect(bags).toEqual([
    [bagNameOf(ID, 'v1'), 'DEPRECATED'], [bagNameOf(ID, 'v2'), 'DEPRECATED'],
    [bagNameOf(ID, 'v1', 1), 'PRESERVED'], [bagNameOf(ID, 'v2', 1), 'PRESERVED'],
  ]);
  expect(b.ingest.calls.slice(calls).filter((c) => c.method === 'PUT' && /^\/api\/bags\/\d+$/.test(c.path))).toHaveLength(2);
  const newBagIds = new Set(b.ingest.state.bags.slice(2).map((x) => x.id));
  expect(b.ingest.state.files.filter((f) => newBagIds.has(f.bag) && f.filename.includes('secret'))).toEqual([]);
  const rec = (await networkRecordOf(b.statusDir, 'C1'))!;
  expect(rec.generations).toEqual({ [ID]: 1 });
  expect(rec.objects[ID]['g0/v1']).toMatchObject({ status: 'DEPRECATED', reason: 'donor request 2026-11' });
  expect(rec.objects[ID].v1).toMatchObject({ status: 'PRESERVED', bagName: bagNameOf(ID, 'v1', 1) });
  // A rerun of the purge's redistribution registers nothing more.
  const again = b.ingest.calls.length;
  await b.dest.deliver(b.scope(), { name: 'F1', path: '', images: [], record: {} as never, arrangement: {} as never, package: { storageRoot: b.root, objectId: ID, objectPath: objectPath(ID), version: 'v2', payloadLocal: true } });
  expect(b.ingest.calls.slice(again).filter((c) => c.method !== 'GET')).toEqual([]);
});
