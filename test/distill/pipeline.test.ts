/**
 * The whole pipeline through the alchemist: report, onsite, cloud and access for the demo
 * collection, then a rerun. Real parts: vips/OpenJPEG, exiftool, tesseract, a real S3-compatible
 * server (fauxqs) on loopback, real GNU tar and mt, a real OpenSSH server. Stand-ins: the
 * ArchivesSpace stand-in server, the rmt tape stand-in (the drive), the drush stand-in (Islandora).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runOnce } from '../../src/alchemist/worker.js';
import { DEMO_COLLECTION, DEMO_FOLDERS, startDemo } from '../../src/demo/demo.js';
import { loadCatalogue } from '../../src/destinations/tape/catalogue.js';
import { checkEndState, fingerprint } from '../../src/e2e/endState.js';
import { createLogger } from '../../src/log.js';
import { listObjectIds, readInventory } from '../../src/ocfl/index.js';
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
  settings = await loadSettings(demo.settingsFile, 'worker', {});
}, 120_000);

afterAll(async () => {
  await demo?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

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
  const first = (await env.status.archived(DEMO_COLLECTION)).at(-1)!.record!;
  expect(first.reason).toBeUndefined();
  expect(first.state).toBe('succeeded');
  expect(first.steps.map((s) => `${s.name}:${s.state}`)).toEqual(['stage:done', 'report:done', 'metadata:done', 'convert:done', 'package:done', 'onsite:done', 'cloud:done', 'access:done', 'finish:done']);

  const input = { settings, aspace: demo.services.aspace.state, islandoraHome: demo.services.sshd.home, collectionId: DEMO_COLLECTION, folders, originals, processes };
  const end = await checkEndState(input);
  expect(end.problems).toEqual([]);
  expect(end.figures).toMatchObject({ filesLost: 0, duplicateDigitalObjects: 0, duplicateComponents: 0, orphanedMultipartUploads: 0, imagesInS3: 8, imagesOnTape: 8, books: 3 });
  const headsBefore = await heads();
  expect(Object.values(headsBefore)).toEqual(['v1', 'v1', 'v1']);
  const recordsBefore = demo.services.aspace.state.records.size;
  const tapeFilesBefore = (await loadCatalogue(settings.tape!.cataloguePath)).tapes.flatMap((t) => t.files).length;

  // The collection is now in the processed folder; running it again finds nothing new to do.
  await env.status.requestRun({ collectionId: DEMO_COLLECTION, processes: ['cloud', 'onsite', 'access'], user });
  await runOnce(env);
  const runs = await env.status.archived(DEMO_COLLECTION);
  expect(runs).toHaveLength(2);
  const second = runs.at(-1)!.record!;
  expect(second.state).toBe('succeeded');
  expect(await heads()).toEqual(headsBefore);
  expect(demo.services.aspace.state.records.size).toBe(recordsBefore);
  expect((await loadCatalogue(settings.tape!.cataloguePath)).tapes.flatMap((t) => t.files)).toHaveLength(tapeFilesBefore);
  expect((await checkEndState(input)).problems).toEqual([]);
}, 300_000);
