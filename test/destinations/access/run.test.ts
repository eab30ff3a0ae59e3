/**
 * Access copies that never lie, through the alchemist as an archivist runs it: the demo
 * collection, the ArchivesSpace stand-in over HTTP, a real OpenSSH server with the drush stand-in
 * (src/destinations/islandora/standin/drush.mjs), real vips/OpenJPEG, exiftool and tesseract.
 * The cases run in order on one installation, as reruns do in practice.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runOnce } from '../../../src/alchemist/worker.js';
import { ArchivesSpaceClient } from '../../../src/archivesspace/client.js';
import type { StoredRecord } from '../../../src/archivesspace/standin/state.js';
import { regenerateCommand } from '../../../src/commands/regenerate.js';
import { DEMO_COLLECTION, DEMO_FOLDERS, startDemo } from '../../../src/demo/demo.js';
import { writeSampleScan } from '../../../src/demo/sampleScans.js';
import { checkEndState } from '../../../src/e2e/endState.js';
import { MetadataWriter } from '../../../src/images/metadata.js';
import { createLogger } from '../../../src/log.js';
import { readInventory } from '../../../src/ocfl/index.js';
import type { RunRecord } from '../../../src/runs/types.js';
import { loadSettings, type Settings } from '../../../src/settings/index.js';
import { buildWorkerEnv, objectIdFor, storageRootOf } from '../../../src/wiring.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';

let dataDir: string;
let demo: Awaited<ReturnType<typeof startDemo>>;
let settings: Settings;
let exif: MetadataWriter;
const user = { email: 'hello@example.com', name: 'World' };
const C = DEMO_COLLECTION;
const ISLANDORA = () => settings.islandora!.url;
/** The demo's development user, and Islandora as the access platform (the demo's default is IIIF). */
const BASE_ENV = { NODE_ENV: 'development', DISTILLERY_ACCESS_PLATFORM: 'islandora' };

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'distillery-access-'));
  demo = await startDemo(dataDir);
  settings = await loadSettings(demo.settingsFile, 'worker', BASE_ENV);
  exif = new MetadataWriter({ maxProcs: 1 });
}, 120_000);

afterAll(async () => {
  await exif?.end();
  await demo?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

// ---- helpers ---------------------------------------------------------------------------------

const aspace = () => demo.services.aspace.state;
type Json = Record<string, any>;

function aoOf(componentId: string) {
  return aspace().list('archival_object').find((r) => r.data.component_id === componentId)!;
}
function seriesTitled(title: string) {
  return aspace().list('archival_object').find((r) => r.data.title === title)!;
}
function edit(rec: StoredRecord, change: (d: Json) => void): void {
  const data = structuredClone(rec.data) as Json;
  change(data);
  aspace().update(rec, { ...data, lock_version: rec.lockVersion });
}
function doOf(componentId: string) {
  return aspace().list('digital_object').find((r) => r.data.digital_object_id === componentId);
}
function linksOf(componentId: string): Json[] {
  return ((doOf(componentId)?.data.file_versions as Json[] | undefined) ?? []).map((v) => ({ file_uri: v.file_uri, publish: v.publish }));
}
const bookUrl = (f: string) => `${ISLANDORA()}/islandora/object/${C}:${f}`;
const ownLinks = (f: string) => [
  { file_uri: bookUrl(f), publish: true },
  { file_uri: `${bookUrl(f)}/datastream/TN/view`, publish: true },
];

interface StandinState {
  objects: Record<string, { models: string[]; isPageOf?: string; sequence?: number; datastreams: Record<string, unknown> }>;
  sets: Record<string, unknown>;
}
async function standin(): Promise<StandinState> {
  const path = join(demo.services.sshd.home, '.islandora-standin', 'state.json');
  return existsSync(path) ? JSON.parse(await readFile(path, 'utf8')) : { objects: {}, sets: {} };
}
/** Pages of a folder's book (also pages without their book), in order. */
async function pagesOf(folder: string): Promise<string[]> {
  const s = await standin();
  return Object.entries(s.objects)
    .filter(([, o]) => o.isPageOf === `${C}:${folder}`)
    .sort(([, a], [, b]) => (a.sequence ?? 0) - (b.sequence ?? 0))
    .map(([pid]) => pid);
}
async function datastream(pid: string, dsid: string): Promise<string> {
  return readFile(join(demo.services.sshd.home, '.islandora-standin', 'objects', pid.replace(':', '+'), dsid), 'utf8');
}

function collectionDir(): string {
  for (const stage of [demo.stage1, demo.stage2, demo.stage3]) if (existsSync(join(stage, C))) return join(stage, C);
  throw new Error('collection folder not found');
}

async function run(processes: string[], opts: { env?: Record<string, string>; regenerate?: unknown } = {}): Promise<{ record: RunRecord; log: string }> {
  const s = opts.env ? await loadSettings(demo.settingsFile, 'worker', { ...BASE_ENV, ...Object.fromEntries(Object.entries(opts.env).map(([k, v]) => [`DISTILLERY_${k}`, v])) }) : settings;
  const env = buildWorkerEnv(s, createLogger({ level: 'silent' }));
  await env.status.requestRun({ collectionId: C, processes, user, regenerate: opts.regenerate });
  await runOnce(env);
  const latest = (await env.status.archived(C))[0]!;
  return { record: latest.record!, log: await readFile(join(settings.folders.statusFiles, latest.log), 'utf8') };
}

async function faults(list: unknown[]): Promise<void> {
  await writeFile(join(demo.services.sshd.home, '.islandora-standin', 'faults.json'), JSON.stringify(list));
}
async function fired(): Promise<Json[]> {
  const path = join(demo.services.sshd.home, '.islandora-standin', 'fired.json');
  return existsSync(path) ? JSON.parse(await readFile(path, 'utf8')) : [];
}

const images = { DEMO_001_01: 3, DEMO_001_02: 2, DEMO_002_01: 3 } as Record<string, number>;
async function endState(): Promise<string[]> {
  const folders = DEMO_FOLDERS.map((f) => ({ name: f.name, images: images[f.name] }));
  const end = await checkEndState({ settings, aspace: aspace(), islandoraHome: demo.services.sshd.home, collectionId: C, folders, originals: new Map(), processes: ['access'] });
  return end.problems;
}

// ---- cases -----------------------------------------------------------------------------------

describe('access copies', () => {
  it('refuses an unpublished archival object and a folder under an unpublished series, goes on with the others, and an access-only run writes only the links', async () => {
    edit(aoOf('DEMO_001_02'), (d) => (d.publish = false));
    edit(seriesTitled('Photographs'), (d) => (d.publish = false));

    const { record, log } = await run(['report', 'access']);
    expect(record.state).toBe('failed');
    // The report flags both before anything runs.
    expect(log).toMatch(/DEMO_001_02: would not be published: its archival object "Letters from Altadena, 1922" is unpublished/);
    expect(log).toMatch(/DEMO_002_01: would not be published: its series "Photographs" is unpublished/);
    // The run says which record to publish for each, and why it did not succeed.
    expect(record.reason).toMatch(/DEMO_001_02: not published: its archival object "Letters from Altadena, 1922" is unpublished \(http.*archival_objects\/\d+\)/);
    expect(record.reason).toMatch(/DEMO_002_01: not published: its series "Photographs" is unpublished .*Publish the series "Photographs" in ArchivesSpace/);
    expect(record.steps.find((s) => s.name === 'access')!.state).toBe('failed');

    // The other folder went on: published, linked, its digital object published.
    expect(await pagesOf('DEMO_001_01')).toHaveLength(3);
    expect(linksOf('DEMO_001_01')).toEqual(ownLinks('DEMO_001_01'));
    expect(doOf('DEMO_001_01')!.data.publish).toBe(true);
    // Nothing of the refused folders reached Islandora or the links.
    const objects = Object.keys((await standin()).objects);
    expect(objects.filter((p) => /DEMO_001_02|DEMO_002_01/.test(p))).toEqual([]);
    expect(await pagesOf('DEMO_001_02')).toEqual([]);
    expect(linksOf('DEMO_001_02')).toEqual([]);
    expect(linksOf('DEMO_002_01')).toEqual([]);
    // Access only: no digital object components (the links are all it writes in ArchivesSpace).
    expect(aspace().list('digital_object_component')).toEqual([]);
  }, 600_000);

  it('publishes nothing of a folder with a damaged scan or an interrupted ingest, and the rerun after the fix publishes complete books', async () => {
    edit(aoOf('DEMO_001_02'), (d) => (d.publish = true));
    edit(seriesTitled('Photographs'), (d) => (d.publish = true));
    const folder = join(collectionDir(), 'DEMO_001_02');
    await writeSampleScan(join(folder, 'DEMO_001_02_0003.tif'), { seed: 31, label: 'DEMO_001_02 — image 3' });
    await writeSampleScan(join(folder, 'DEMO_001_02_0004.tif'), { seed: 32, label: 'DEMO_001_02 — image 4' });
    await truncate(join(folder, 'DEMO_001_02_0004.tif'), 20_000); // damaged: cut short
    await faults([{ fault: 'page-ingest-fails', book: `${C}:DEMO_002_01`, page: 2 }]);

    const first = await run(['access']);
    expect(first.record.state).toBe('failed');
    expect(first.record.reason).toMatch(/DEMO_001_02: not published: 1 of its 4 scans could not be converted and verified \(DEMO_001_02_0004\.tif: /);
    expect(first.record.reason).toMatch(/DEMO_002_01: the ingest into islandora did not give the complete copy \(the copy is incomplete .*; 1 page\(s\) to add \(0002\)\); what it left was removed, so nothing of DEMO_002_01 is published/);
    expect((await fired()).map((f) => f.fault)).toEqual(['page-ingest-fails']);
    expect(first.log).toMatch(/Islandora could not ingest DEMO:\d+/);
    // Nothing of either folder is on the platform (the pages the ingest left were purged), no links.
    expect(await pagesOf('DEMO_001_02')).toEqual([]);
    expect(await pagesOf('DEMO_002_01')).toEqual([]);
    expect(Object.keys((await standin()).objects).filter((p) => /DEMO_001_02|DEMO_002_01/.test(p))).toEqual([]);
    expect(linksOf('DEMO_001_02')).toEqual([]);
    expect(linksOf('DEMO_002_01')).toEqual([]);

    // Fixed scan, rerun (as the README tells archivists): complete books.
    await writeSampleScan(join(folder, 'DEMO_001_02_0004.tif'), { seed: 32, label: 'DEMO_001_02 — image 4' });
    images.DEMO_001_02 = 4;
    const second = await run(['access']);
    expect(second.record.reason).toBeUndefined();
    expect(second.record.state).toBe('succeeded');
    expect(second.log).toContain(`↩️ DEMO_001_01 is already published and current: ${bookUrl('DEMO_001_01')}`);
    expect(await pagesOf('DEMO_001_02')).toHaveLength(4);
    expect(await pagesOf('DEMO_002_01')).toHaveLength(3);
    for (const f of ['DEMO_001_02', 'DEMO_002_01']) expect(linksOf(f)).toEqual(ownLinks(f));
    expect(await endState()).toEqual([]);

    // Each page records the sha512 of the preservation JP2 it shows.
    const page2 = (await pagesOf('DEMO_001_02'))[1];
    const jp2 = join(settings.folders.preservation, C, 'DEMO_001_02', 'DEMO_001_02_0002-LOSSLESS.jp2');
    const { createHash } = await import('node:crypto');
    expect(await datastream(page2, 'MODS')).toContain(createHash('sha512').update(await readFile(jp2)).digest('hex'));

    // XMP in every derivative: the same fields as the preservation JP2.
    const preserved = await exif.read(join(settings.folders.preservation, C, 'DEMO_002_01', 'DEMO_002_01_0001-LOSSLESS.jp2'));
    expect(preserved.title).toMatch(/Wind tunnel/);
    const page = join(settings.islandora!.stagingDir, C, 'books', `${C}+DEMO_002_01`, '0001');
    for (const file of ['OBJ.jp2', 'JP2.jp2', 'JPG.jpg', 'TN.jpg']) expect(await exif.read(join(page, file))).toEqual(preserved);
    const firstPage = (await pagesOf('DEMO_002_01'))[0];
    const published = join(dataDir, 'tn-published.jpg');
    await writeFile(published, await readFile(join(demo.services.sshd.home, '.islandora-standin', 'objects', firstPage.replace(':', '+'), 'TN')));
    expect(await exif.read(published)).toEqual(preserved);
  }, 900_000);

  it('replaces a book when a scan is added or the title or rights are edited, says what changed, and refreshes the JP2 XMP in a new OCFL version', async () => {
    await writeSampleScan(join(collectionDir(), 'DEMO_001_01', 'DEMO_001_01_0004.tif'), { seed: 41, label: 'DEMO_001_01 — image 4 (added later)' });
    images.DEMO_001_01 = 4;
    edit(aoOf('DEMO_001_02'), (d) => (d.title = 'Letters from Altadena and Sierra Madre'));
    const resource = aspace().list('resource')[0];
    edit(resource, (d) => {
      // Fields a real resource has (the seed leaves them out; ArchivesSpace requires them on update).
      d.finding_aid_language = 'eng';
      d.finding_aid_script = 'Latn';
      d.lang_materials = [{ jsonmodel_type: 'lang_material', language_and_script: { jsonmodel_type: 'language_and_script', language: 'eng', script: 'Latn' } }];
      d.notes = [{ jsonmodel_type: 'note_multipart', type: 'userestrict', publish: true, subnotes: [{ jsonmodel_type: 'note_text', content: 'Public domain since 2030.', publish: true }] }];
    });
    const objectId = objectIdFor(settings, aoOf('DEMO_001_02').uri);
    const headBefore = (await readInventory(storageRootOf(settings), objectId))!.head;
    const setsBefore = Object.keys((await standin()).sets).length;

    const { record, log } = await run(['access']);
    expect(record.reason).toBeUndefined();
    expect(record.state).toBe('succeeded');
    expect(log).toMatch(/🔄 DEMO_001_01: the published copy is replaced: 1 page\(s\) to add \(0004\); 3 page\(s\) to replace, their preservation images changed \(0001, 0002, 0003\); descriptive metadata changed in ArchivesSpace/);
    expect(log).toMatch(/🔄 DEMO_001_02: the published copy is replaced: 4 page\(s\) to replace, .*; descriptive metadata changed in ArchivesSpace/);
    expect(log).toMatch(/📝 DEMO_001_02_0001\.tif: XMP refreshed from ArchivesSpace \(title, rights\)/);
    expect(log).toMatch(/🔄 DEMO_002_01: the published copy is replaced: .*descriptive metadata changed/);
    expect(log).toContain(`✅ Updated DEMO_001_01: ${bookUrl('DEMO_001_01')} (4 pages, each checked against its preservation image)`);
    expect(Object.keys((await standin()).sets).length).toBe(setsBefore + 3);
    expect(await pagesOf('DEMO_001_01')).toHaveLength(4);
    const mods = await datastream(`${C}:DEMO_001_02`, 'MODS');
    expect(mods).toContain('<title>Letters from Altadena and Sierra Madre</title>');
    expect(mods).toContain('Public domain since 2030.');
    expect(await endState()).toEqual([]);
    for (const f of Object.keys(images)) expect(linksOf(f)).toEqual(ownLinks(f));

    // The preservation JP2 says the same, in a new version of the OCFL object.
    const jp2 = join(settings.folders.preservation, C, 'DEMO_001_02', 'DEMO_001_02_0001-LOSSLESS.jp2');
    expect((await exif.read(jp2)).title).toMatch(/^Letters from Altadena and Sierra Madre/);
    expect((await exif.read(jp2)).rights).toBe('Public domain since 2030.');
    const inv = (await readInventory(storageRootOf(settings), objectId))!;
    expect(Number(inv.head.slice(1))).toBe(Number(headBefore.slice(1)) + 1);

    // Current now: a rerun changes nothing and says "already published" for each.
    const again = await run(['access']);
    expect(again.record.state).toBe('succeeded');
    for (const f of Object.keys(images)) expect(again.log).toContain(`↩️ ${f} is already published and current`);
    expect(Object.keys((await standin()).sets).length).toBe(setsBefore + 3);
  }, 900_000);

  it('regenerates one folder, then the whole collection from the command line after its report', async () => {
    const one = await run(['report', 'access'], { regenerate: 'DEMO_001_02' });
    expect(one.record.state).toBe('succeeded');
    expect(one.log).toMatch(/access: the published copy made again from 4 pages and replaced \(regenerate\)/);
    expect(one.log).toContain('🔄 DEMO_001_02: the published copy is replaced: regenerate was chosen.');
    expect(one.log).toContain('↩️ DEMO_001_01 is already published and current');
    expect(one.log).toContain('↩️ DEMO_002_01 is already published and current');

    const out: string[] = [];
    const status = buildWorkerEnv(settings, createLogger({ level: 'silent' })).status;
    const deps = {
      aspace: new ArchivesSpaceClient(settings.aspace),
      collectionsRoots: [settings.folders.stage1, settings.folders.stage2, settings.folders.stage3],
      processedRoot: settings.folders.stage3,
      status,
      user,
      out: (t: string) => out.push(t),
      err: (t: string) => out.push(`ERR ${t}`),
    };
    // Without --yes: the report only, nothing asked for.
    expect(await regenerateCommand([C], deps)).toBe(0);
    expect(out.join('\n')).toMatch(/made again from 4 pages and replaced \(regenerate\)/);
    expect(out.at(-1)).toMatch(/Nothing was changed\. .* --yes/);
    expect(await status.pending()).toEqual([]);
    expect(await regenerateCommand(['--all', '--yes'], deps)).toBe(0);
    expect(out.at(-1)).toMatch(/Regenerate of DEMO asked for/);
    await runOnce(buildWorkerEnv(settings, createLogger({ level: 'silent' })));
    const latest = (await status.archived(C))[0]!;
    expect(latest.record!.state).toBe('succeeded');
    const log = await readFile(join(settings.folders.statusFiles, latest.log), 'utf8');
    for (const f of Object.keys(images)) expect(log).toContain(`🔄 ${f}: the published copy is replaced: regenerate was chosen.`);
    expect(await endState()).toEqual([]);
  }, 900_000);

  it('refuses links that point elsewhere, replaces them when asked, replaces links to the same book, and can keep the digital object unpublished', async () => {
    const d = doOf('DEMO_001_01')!;
    const elsewhere = 'https://viewer.example.org/items/42';
    edit(d, (x) => {
      x.file_versions = [...(x.file_versions as Json[]), { file_uri: elsewhere, publish: true }, { file_uri: `${bookUrl('DEMO_001_01')}/datastream/OBJ/view`, publish: true }];
    });
    const setsBefore = Object.keys((await standin()).sets).length;
    const refused = await run(['access']);
    expect(refused.record.state).toBe('failed');
    expect(refused.record.reason).toMatch(/DEMO_001_01: not published: its digital object .* already has published links elsewhere: https:\/\/viewer\.example\.org\/items\/42\. Nothing was sent\. .*ACCESS_REPLACE_OTHER_LINKS=true/);
    expect(linksOf('DEMO_001_01').map((l) => l.file_uri)).toContain(elsewhere);
    expect(Object.keys((await standin()).sets).length).toBe(setsBefore);

    const replaced = await run(['access'], { env: { ACCESS_REPLACE_OTHER_LINKS: 'true' } });
    expect(replaced.record.state).toBe('succeeded');
    expect(replaced.log).toContain(`🔕 Unpublished the earlier links on the digital object: ${elsewhere}`);
    // The links to the same book were replaced by the two current ones; the other is kept, unpublished.
    expect(linksOf('DEMO_001_01')).toEqual([...ownLinks('DEMO_001_01'), { file_uri: elsewhere, publish: false }]);

    edit(doOf('DEMO_001_02')!, (x) => (x.publish = false));
    const kept = await run(['access'], { env: { ACCESS_DIGITAL_OBJECT_PUBLISH: 'false' } });
    expect(kept.record.state).toBe('succeeded');
    expect(doOf('DEMO_001_02')!.data.publish).toBe(false);
    expect(linksOf('DEMO_001_02')).toEqual(ownLinks('DEMO_001_02'));
  }, 900_000);
});
