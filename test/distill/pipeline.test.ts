/**
 * The whole pipeline through the alchemist: report, onsite, cloud and access for the demo
 * collection, then a rerun. Real parts: vips/OpenJPEG, exiftool, tesseract, a real S3-compatible
 * server (fauxqs) on loopback, real GNU tar and mt, a real OpenSSH server. Stand-ins: the
 * ArchivesSpace stand-in server, the rmt tape stand-in (the drive), the drush stand-in (Islandora).
 */
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runOnce } from '../../src/alchemist/worker.js';
import { DEMO_COLLECTION, DEMO_FOLDERS, startDemo } from '../../src/demo/demo.js';
import { writeSampleScan } from '../../src/demo/sampleScans.js';
import { loadCatalogue } from '../../src/destinations/tape/catalogue.js';
import { checkEndState, fingerprint } from '../../src/e2e/endState.js';
import { createLogger } from '../../src/log.js';
import { listObjectIds, objectPath, readInventory, stableObjectId, validateStorageRoot } from '../../src/ocfl/index.js';
import { loadSettings, type Settings } from '../../src/settings/index.js';
import { buildWorkerEnv, storageRootOf } from '../../src/wiring.js';

let dataDir: string;
let demo: Awaited<ReturnType<typeof startDemo>>;
let settings: Settings;
const user = { email: 'hello@example.com', name: 'World' };
const folders = DEMO_FOLDERS.map((f) => ({ name: f.name, images: f.images }));

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'distillery-pipeline-'));
  demo = await startDemo(dataDir);
  // The pixel check must decode with the configured OPJ_DECOMPRESS_CMD: a wrapper that notes each call.
  const wrapper = join(dataDir, 'opj_decompress-noted');
  await writeFile(wrapper, `#!/bin/sh\necho "$@" >> ${join(dataDir, 'opj_decompress.calls')}\nexec opj_decompress "$@"\n`);
  await chmod(wrapper, 0o755);
  // The demo signs everyone in as the debug user, which needs development mode.
  settings = await loadSettings(demo.settingsFile, 'worker', { NODE_ENV: 'development', DISTILLERY_OPJ_DECOMPRESS_CMD: wrapper, DISTILLERY_ACCESS_PLATFORM: 'islandora' });
}, 120_000);

afterAll(async () => {
  await demo?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** The object id of a demo folder (the namespace and its archival object's URI). */
function objectIdOf(folder: string): string {
  const ao = demo.services.aspace.state.list('archival_object').find((r) => r.data.component_id === folder)!;
  return stableObjectId(settings.ocfl.idNamespace, ao.uri);
}

async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...(await filesBelow(join(dir, e.name))));
    else if (e.isFile()) out.push(join(dir, e.name));
  }
  return out;
}

async function heads(): Promise<Record<string, string>> {
  const root = storageRootOf(settings);
  const out: Record<string, string> = {};
  for (const id of await listObjectIds(root)) out[id] = (await readInventory(root, id))!.head;
  return out;
}

test('all four processes: preserved locally, in S3 and on tape, published, recorded once; a rerun adds nothing', async () => {
  const originals = await fingerprint(join(demo.stage1, DEMO_COLLECTION));
  const env = buildWorkerEnv(settings, createLogger({ level: 'silent' }));
  const processes = ['report', 'cloud', 'onsite', 'access'];

  await env.status.requestRun({ collectionId: DEMO_COLLECTION, processes, user });
  await runOnce(env);
  const first = (await env.status.archived(DEMO_COLLECTION))[0]!.record!;
  expect(first.reason).toBeUndefined();
  expect(first.state).toBe('succeeded');
  expect(first.steps.map((s) => `${s.name}:${s.state}`)).toEqual(['stage:done', 'report:done', 'metadata:done', 'convert:done', 'package:done', 'onsite:done', 'cloud:done', 'access:done', 'finish:done']);

  const input = { settings, aspace: demo.services.aspace.state, islandoraHome: demo.services.sshd.home, collectionId: DEMO_COLLECTION, folders, originals, processes };
  const end = await checkEndState(input);
  expect(end.problems).toEqual([]);
  expect(end.figures).toMatchObject({ filesLost: 0, duplicateDigitalObjects: 0, duplicateComponents: 0, orphanedMultipartUploads: 0, imagesInS3: 8, imagesOnTape: 8, books: 3 });
  const headsBefore = await heads();
  expect(Object.values(headsBefore)).toEqual(['v1', 'v1', 'v1']);
  // Every image's pixel check ran the configured decoder, with the decoder threads the settings allow.
  const decodes = (await readFile(join(dataDir, 'opj_decompress.calls'), 'utf8')).trim().split('\n').filter((l) => l.includes('-LOSSLESS.jp2'));
  expect(decodes.length).toBeGreaterThanOrEqual(8);
  expect(decodes.every((l) => /-threads [1-9]/.test(l))).toBe(true);
  // Each JP2 went into its OCFL object without being read again: the content file is the working JP2 (one inode, two names).
  const working = new Set<number>();
  for (const p of await filesBelow(settings.folders.preservation)) if (p.endsWith('-LOSSLESS.jp2') && !p.startsWith(storageRootOf(settings))) working.add((await stat(p)).ino);
  const contentJp2 = (await filesBelow(storageRootOf(settings))).filter((p) => /\/v\d+\/content\/.*\.jp2$/.test(p));
  expect(contentJp2).toHaveLength(8);
  for (const p of contentJp2) expect(working.has((await stat(p)).ino), p).toBe(true);
  const recordsBefore = demo.services.aspace.state.records.size;
  const tapeFilesBefore = (await loadCatalogue(settings.tape!.cataloguePath)).tapes.flatMap((t) => t.files).length;

  // The collection is now in the processed folder; running it again finds nothing new to do.
  await env.status.requestRun({ collectionId: DEMO_COLLECTION, processes: ['cloud', 'onsite', 'access'], user });
  await runOnce(env);
  const runs = await env.status.archived(DEMO_COLLECTION);
  expect(runs).toHaveLength(2);
  const second = runs[0].record!;
  expect(second.state).toBe('succeeded');
  expect(await heads()).toEqual(headsBefore);
  expect(demo.services.aspace.state.records.size).toBe(recordsBefore);
  expect((await loadCatalogue(settings.tape!.cataloguePath)).tapes.flatMap((t) => t.files)).toHaveLength(tapeFilesBefore);
  expect((await checkEndState(input)).problems).toEqual([]);
}, 300_000);

test('a scan added to a processed folder makes a new version of that object only, sent to S3 and tape and recorded once', async () => {
  const folder = join(demo.stage3, DEMO_COLLECTION, 'DEMO_001_01');
  await writeSampleScan(join(folder, 'DEMO_001_01_0004.tif'), { seed: 99, label: 'DEMO_001_01 — image 4 (added later)' });
  const originals = await fingerprint(join(demo.stage3, DEMO_COLLECTION));
  const before = await heads();
  const env = buildWorkerEnv(settings, createLogger({ level: 'silent' }));
  const processes = ['cloud', 'onsite'];
  await env.status.requestRun({ collectionId: DEMO_COLLECTION, processes, user });
  await runOnce(env);
  const run = (await env.status.archived(DEMO_COLLECTION))[0]!.record!;
  expect(run.reason).toBeUndefined();
  expect(run.state).toBe('succeeded');

  const after = await heads();
  const changed = objectIdOf('DEMO_001_01');
  expect(after[changed]).toBe('v2');
  for (const id of Object.keys(before)) if (id !== changed) expect(after[id]).toBe(before[id]);
  const expected = folders.map((f) => (f.name === 'DEMO_001_01' ? { ...f, images: 4 } : f));
  const end = await checkEndState({ settings, aspace: demo.services.aspace.state, collectionId: DEMO_COLLECTION, folders: expected, originals, processes });
  expect(end.problems).toEqual([]);
  expect(end.figures).toMatchObject({ imagesInS3: 9, imagesOnTape: 9, duplicateComponents: 0, duplicateDigitalObjects: 0 });
}, 300_000);

test('KEEP_LOCAL_PAYLOAD=false frees local payload only once both S3 and tape verified a copy in the same run', async () => {
  const released = await loadSettings(demo.settingsFile, 'worker', { NODE_ENV: 'development', DISTILLERY_KEEP_LOCAL_PAYLOAD: 'false' });
  const env = buildWorkerEnv(released, createLogger({ level: 'silent' }));
  const root = storageRootOf(released);
  const contentOf = (folder: string) => join(root, objectPath(objectIdOf(folder)), 'v1', 'content');

  // Cloud alone: tape did not verify anything in this run, so the payload stays.
  await env.status.requestRun({ collectionId: DEMO_COLLECTION, processes: ['cloud'], user });
  await runOnce(env);
  const logOf = async (r: { log: string }) => readFile(join(released.folders.statusFiles, r.log), 'utf8');
  let run = (await env.status.archived(DEMO_COLLECTION))[0]!;
  expect(run.record!.state).toBe('succeeded');
  expect(await logOf(run)).toContain('Local preservation files kept: onsite did not verify a copy in this run.');
  for (const f of folders) {
    expect(existsSync(contentOf(f.name))).toBe(true);
    expect(existsSync(join(released.folders.preservation, DEMO_COLLECTION, f.name, `${f.name}_0001-LOSSLESS.jp2`))).toBe(true);
  }

  // Cloud and onsite: both verified (already there), so the payload goes; inventories stay valid.
  await env.status.requestRun({ collectionId: DEMO_COLLECTION, processes: ['cloud', 'onsite'], user });
  await runOnce(env);
  run = (await env.status.archived(DEMO_COLLECTION))[0]!;
  expect(run.record!.state).toBe('succeeded');
  const log = await logOf(run);
  for (const f of folders) {
    expect(existsSync(contentOf(f.name))).toBe(false);
    expect(existsSync(join(released.folders.preservation, DEMO_COLLECTION, f.name, `${f.name}_0001-LOSSLESS.jp2`))).toBe(false);
    expect(log).toContain(`🧹 ${f.name}: local payload of ${objectIdOf(f.name)} removed`);
  }
  const validation = await validateStorageRoot(root);
  expect(validation.errors).toEqual([]);
  expect(validation.notes.map((n) => n.code)).toContain('I-PAYLOAD-ELSEWHERE');
}, 300_000);

test('after the payload was released, a rerun converts again and finds nothing new to preserve', async () => {
  const env = buildWorkerEnv(settings, createLogger({ level: 'silent' }));
  const before = await heads();
  await env.status.requestRun({ collectionId: DEMO_COLLECTION, processes: ['cloud', 'onsite'], user });
  await runOnce(env);
  const run = (await env.status.archived(DEMO_COLLECTION))[0]!.record!;
  expect(run.reason).toBeUndefined();
  expect(run.state).toBe('succeeded');
  expect(await heads()).toEqual(before);
}, 300_000);
