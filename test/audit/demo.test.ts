/**
 * On the demo (every stand-in and real part the demo starts): a run of all four processes ends
 * with every object PRESERVED in the Ingest stand-in; `/collections/DEMO` and `distillery status
 * DEMO --json` list every folder with its OCFL object and versions, S3 keys, tape file and access
 * link, and every file's copies; `audit --all` finds every copy intact, and after one byte is
 * flipped in one local payload file the next audit reports exactly that file as corrupt, in the
 * collection's record, on the form's status file and in the overview (JSON and page).
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { overviewSourcesOf, type CollectionOverview } from '../../src/collection/overview.js';
import { statusCommand } from '../../src/commands/status.js';
import { startWeb } from '../../src/web/server.js';
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
  await env.status.requestRun({ collectionId: DEMO_COLLECTION, processes: ['report', 'cloud', 'onsite', 'access'], user: { email: 'hello@example.com', name: 'World' } });
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

  // Done when: the overview lists every folder with its OCFL object and versions, S3 keys, tape
  // file and access link, and every file's copies — on the command line and on the web page.
  const cli = async (): Promise<CollectionOverview> => {
    const lines: string[] = [];
    const errs: string[] = [];
    expect(await statusCommand([DEMO_COLLECTION, '--json'], { out: (t) => lines.push(t), err: (t) => errs.push(t) }), errs.join('\n')).toBe(0);
    return JSON.parse(lines.join('\n')) as CollectionOverview;
  };
  const ov = await cli();
  const folders = run.record!.folders!.map((f) => f.name).sort();
  expect(folders).toHaveLength(3);
  expect(ov.folders.map((f) => f.name)).toEqual(folders);
  const tapes = new Set<string>();
  for (const f of ov.folders) {
    expect(f.problems, f.name).toEqual([]);
    expect(ids).toContain(f.objectId);
    expect(f.archivalObject).toMatch(/\/archival_objects\/\d+$/);
    expect(f.versions, f.name).toEqual([expect.objectContaining({ version: 'v1', created: expect.stringMatching(/^\d{4}-/), user: 'World' })]);
    expect(f.access?.url, f.name).toMatch(/^https?:\/\/.*manifest\.json$/);
    expect(f.network?.map((n) => [n.version, n.status])).toEqual([['v1', 'PRESERVED']]);
    expect(f.files.filter((x) => x.path.endsWith('.jp2')).length, f.name).toBeGreaterThan(0);
    for (const file of f.files) {
      expect(file.local, file.path).toBe(true);
      expect(file.s3, file.path).toMatchObject({ bucket: settings.s3!.bucket, storageClass: expect.any(String) });
      expect(file.s3!.key.endsWith(`${objectPath(f.objectId!)}/${file.contentPath}`), file.s3!.key).toBe(true);
      expect(file.tape, file.path).toEqual([expect.objectContaining({ indicator: expect.any(String), file: expect.any(Number) })]);
      tapes.add(`${file.tape![0].indicator}:${file.tape![0].file}`);
    }
  }
  expect(tapes.size).toBeGreaterThan(0);
  // The page, from the web app as `distillery start` builds it (the demo's debug sign-in).
  const web = await startWeb({ web: { ...settings.web, port: 0 }, statusFiles: settings.folders.statusFiles, modules: settings.modules, logger: pino({ level: 'silent' }), overview: overviewSourcesOf(settings) });
  const page = async () => {
    const res = await fetch(`${web.url}/collections/${DEMO_COLLECTION}`);
    expect(res.status).toBe(200);
    return res.text();
  };
  try {
    const json = (await (await fetch(`${web.url}/collections/${DEMO_COLLECTION}?format=json`)).json()) as CollectionOverview;
    expect(json.folders).toEqual(ov.folders);
    const html = await page();
    for (const f of ov.folders) {
      expect(html).toContain(`<section class="folder-overview" data-folder="${f.name}">`);
      expect(html).toContain(`<dd class="ocfl">${f.objectId}</dd>`);
      expect(html).toContain(`href="${f.access!.url}"`);
      for (const file of f.files) expect(html).toContain(`<tr data-file="${file.path}">`);
    }
    for (const t of tapes) expect(html).toContain(`${t.split(':')[0]} file ${t.split(':')[1]}`);
    expect(html).toContain('Never audited.');

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

  // The overview shows exactly that file corrupt, with what to do; every other file intact.
  const after = await cli();
  const flagged = after.folders.flatMap((f) => f.files.filter((x) => x.audit?.problems.length).map((x) => ({ folder: f, file: x })));
  expect(flagged.map((x) => [x.folder.objectId, x.file.contentPath])).toEqual([[ids[0], victim]]);
  expect(flagged[0].file.audit!.copies.local).toBe('corrupt');
  expect(flagged[0].file.audit!.problems[0].message).toContain('Restore this file from the S3 or tape copy, then audit again.');
  const others = after.folders.flatMap((f) => f.files).filter((x) => x !== flagged[0].file);
  expect(others.every((x) => x.audit?.copies.local === 'intact' && x.audit.copies.s3 === 'intact')).toBe(true);
  const afterHtml = await page();
  expect(afterHtml.match(/data-state="corrupt"/g)).toHaveLength(1);
  expect(afterHtml).toContain(`<tr data-file="${flagged[0].file.path}">`);
  expect(afterHtml).toMatch(/<tr class="audit-problem"><td colspan="5"><strong>local corrupt:<\/strong> [^<]*Restore this file from the S3 or tape copy, then audit again\.<\/td><\/tr>/);
  } finally {
    await web.close();
  }
  delete process.env.DISTILLERY_SETTINGS;
}, 400_000);
