/**
 * On the demo (every stand-in and real part the demo starts): a run of the preservation processes
 * ends with every object PRESERVED in the Ingest stand-in, `audit --all` finds every copy intact,
 * and after one byte is flipped in one local payload file the next audit reports exactly that file
 * as corrupt, in the collection's record and on the form's status file.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { auditCommand } from '../../src/audit/cli.js';
import { auditRecordOf, readAuditStatus } from '../../src/audit/records.js';
import { runOnce } from '../../src/alchemist/worker.js';
import { DEMO_COLLECTION, startDemo } from '../../src/demo/demo.js';
import { networkRecordOf } from '../../src/destinations/network/records.js';
import { createLogger } from '../../src/log.js';
import { listObjectIds, objectPath, readInventory } from '../../src/ocfl/index.js';
import { loadSettings, type Settings } from '../../src/settings/index.js';
import { buildWorkerEnv, storageRootOf } from '../../src/wiring.js';

let dataDir: string;
let demo: Awaited<ReturnType<typeof startDemo>>;
let settings: Settings;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'distillery-audit-demo-'));
  demo = await startDemo(dataDir);
  // The demo signs in its debug user, which the settings allow only in development mode.
  process.env.NODE_ENV = 'development';
  settings = await loadSettings(demo.settingsFile, 'worker');
}, 120_000);

afterAll(async () => {
  process.env.NODE_ENV = 'test';
  await demo?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

test('demo: every object PRESERVED in the network, audit --all intact, then one flipped byte is reported as exactly that file, corrupt', async () => {
  const env = buildWorkerEnv(settings, createLogger({ level: 'silent' }));
  await env.status.requestRun({ collectionId: DEMO_COLLECTION, processes: ['cloud', 'onsite'], user: { email: 'hello@example.com', name: 'World' } });
  await runOnce(env);
  const run = (await env.status.archived(DEMO_COLLECTION))[0]!;
  expect(run.record!.reason).toBeUndefined();
  expect(run.record!.state).toBe('succeeded');

  const root = storageRootOf(settings);
  const ids = await listObjectIds(root);
  expect(ids).toHaveLength(3);
  const bags = demo.services.ingest.state.bags;
  expect(bags.map((b) => b.status)).toEqual(['PRESERVED', 'PRESERVED', 'PRESERVED']);
  const rec = await networkRecordOf(settings.folders.statusFiles, DEMO_COLLECTION);
  for (const id of ids) expect(rec?.objects[id].v1.status).toBe('PRESERVED');

  process.env.DISTILLERY_SETTINGS = demo.settingsFile;
  const out: string[] = [];
  const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
  expect(await auditCommand(['--all'], io), out.join('')).toBe(0);
  expect(out.join('')).toContain('audit passed: every copy checked is intact');
  const good = await auditRecordOf(settings.folders.statusFiles, DEMO_COLLECTION);
  expect(good?.ok).toBe(true);
  expect(good!.copies.map((c) => c.copy).sort()).toEqual(['local', 'network', 's3', 'tape']);
  expect(good!.copies.every((c) => c.checked > 0 && c.intact === c.checked)).toBe(true);

  // One byte flipped in one image of one object.
  const inv = (await readInventory(root, ids[0]))!;
  const victim = Object.values(inv.manifest).flat().find((p) => p.endsWith('.jp2'))!;
  const path = join(root, objectPath(ids[0]), victim);
  const bytes = await readFile(path);
  bytes[Math.floor(bytes.length / 2)] ^= 0x01;
  await writeFile(path, bytes);
  out.length = 0;
  expect(await auditCommand(['--all'], io)).toBe(1);
  const bad = await auditRecordOf(settings.folders.statusFiles, DEMO_COLLECTION);
  expect(bad!.findings.map((f) => [f.copy, f.objectId, f.path, f.state])).toEqual([['local', ids[0], victim, 'corrupt']]);
  expect(out.join('')).toContain(`local CORRUPT: ${victim} of ${ids[0]} in the local copy does not match`);
  expect((await readAuditStatus(settings.folders.statusFiles))?.failed.map((f) => f.collectionId)).toEqual([DEMO_COLLECTION]);
  delete process.env.DISTILLERY_SETTINGS;
}, 400_000);
