/**
 * Identity across moves: the ArchivesSpace public URL changes between two runs, and the demo is
 * restarted twice (once keeping its ports, once on new ports) with a run after each. Nothing new
 * may be made anywhere: OCFL objects, S3 objects, tape files, ArchivesSpace records and file
 * versions stay as the first run left them. Real parts: vips/OpenJPEG, exiftool, the local S3
 * server, GNU tar and mt; stand-ins: the ArchivesSpace server and the rmt tape drive.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runOnce } from '../../src/alchemist/worker.js';
import { DEMO_BUCKET } from '../../src/demo/services.js';
import { DEMO_COLLECTION, DEMO_FOLDERS, startDemo } from '../../src/demo/demo.js';
import { loadCatalogue } from '../../src/destinations/tape/catalogue.js';
import { createLogger } from '../../src/log.js';
import { listObjectIds, readInventory, validateStorageRoot } from '../../src/ocfl/index.js';
import { loadSettings, type Settings } from '../../src/settings/index.js';
import { buildWorkerEnv, storageRootOf } from '../../src/wiring.js';
import { unlink } from 'node:fs/promises';

let dataDir: string;
let demo: Awaited<ReturnType<typeof startDemo>> | undefined;
const user = { email: 'hello@example.com', name: 'World' };
const processes = ['cloud', 'onsite'];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'distillery-identity-'));
  demo = await startDemo(dataDir);
}, 120_000);

afterAll(async () => {
  await demo?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

async function run(settings: Settings): Promise<void> {
  const env = buildWorkerEnv(settings, createLogger({ level: 'silent' }));
  await env.status.requestRun({ collectionId: DEMO_COLLECTION, processes, user });
  await runOnce(env);
  const record = (await env.status.archived(DEMO_COLLECTION))[0]!.record!;
  expect(record.reason).toBeUndefined();
  expect(record.state).toBe('succeeded');
}

/** Everything a run can make, counted. */
async function tally(settings: Settings) {
  const root = storageRootOf(settings);
  const ids = await listObjectIds(root);
  const heads: Record<string, string> = {};
  for (const id of ids) heads[id] = (await readInventory(root, id))!.head;
  const client = demo!.services.s3.client();
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: DEMO_BUCKET, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((c) => c.Key!));
    token = page.NextContinuationToken;
  } while (token);
  client.destroy();
  const state = demo!.services.aspace.state;
  const fileVersions = state.list('digital_object_component').flatMap((c) => ((c.data.file_versions as { file_uri: string }[] | undefined) ?? []).map((f) => f.file_uri));
  const tapeFiles = (await loadCatalogue(settings.tape!.cataloguePath)).tapes.flatMap((t) => t.files).length;
  return { objects: ids.length, heads, s3Keys: keys.sort(), records: state.records.size, fileVersions: fileVersions.sort(), tapeFiles };
}

test('a new ArchivesSpace public URL, then two demo restarts (same ports, then new ports): one OCFL object per folder, nothing new anywhere', async () => {
  let settings = await loadSettings(demo!.settingsFile, 'worker', { NODE_ENV: 'development' });
  await run(settings);
  const first = await tally(settings);
  expect(first.objects).toBe(DEMO_FOLDERS.length);
  expect(first.fileVersions.length).toBe(2 * DEMO_FOLDERS.reduce((n, f) => n + f.images, 0));

  // 1. The public URL changes: a new host name, https and a proxy path.
  const moved = await loadSettings(demo!.settingsFile, 'worker', {
    NODE_ENV: 'development',
    DISTILLERY_ASPACE_PUBLIC_URL: 'https://archives.example.edu/proxy/aspace',
    DISTILLERY_ASPACE_STAFF_URL: 'https://staff.example.edu:8443/aspace',
  });
  await run(moved);
  expect(await tally(moved)).toEqual(first);

  // 2. The demo restarted: its stand-ins come back on the ports they had.
  const url = demo!.services.aspace.url;
  const endpoint = demo!.services.s3.endpoint;
  await demo!.stop();
  demo = await startDemo(dataDir);
  expect(demo.services.aspace.url).toBe(url);
  expect(demo.services.s3.endpoint).toBe(endpoint);
  settings = await loadSettings(demo.settingsFile, 'worker', { NODE_ENV: 'development' });
  await run(settings);
  expect(await tally(settings)).toEqual(first);

  // 3. Restarted again with its remembered ports gone: every address changes, the records do not.
  await demo.stop();
  await unlink(join(dataDir, 'ports.json'));
  demo = await startDemo(dataDir);
  expect(demo.services.aspace.url).not.toBe(url);
  expect(demo.services.s3.endpoint).not.toBe(endpoint);
  settings = await loadSettings(demo.settingsFile, 'worker', { NODE_ENV: 'development' });
  await run(settings);
  expect(await tally(settings)).toEqual(first);
  expect((await validateStorageRoot(storageRootOf(settings))).errors).toEqual([]);
}, 600_000);
