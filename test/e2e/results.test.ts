/**
 * Each step records its own result per folder, where the work happens and only once it is
 * verified: the whole pipeline through the alchemist (runOnce, the worker built from settings.ini),
 * all four processes, one small collection per case.
 *
 * Real parts: vips/OpenJPEG, exiftool, a real S3-compatible server (fauxqs), real GNU tar and mt,
 * a real OpenSSH server. Stand-ins: the ArchivesSpace stand-in server, the rmt tape stand-in (its
 * write-protect fault), the drush stand-in (Islandora).
 *
 *  case                                       what the record says
 *  a folder without archival object          metadata failed for it (the lookup's words); the later steps skipped for it,
 *                                             saying why; the other folder done at every step; convert not blamed
 *  no folder resolves                         package and every destination skipped ("no folder …"), never done
 *  the tape is write-protected (after begin)  onsite failed for the folder; no onsite result says done
 *  released payload, one image fails again    the folder fails naming the image; the OCFL head stays; nothing sent
 *  released payload, S3 copy altered          cloud fails naming the key and both checksums; nothing recorded in ArchivesSpace
 */
import { createHash } from 'node:crypto';
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readDrive, setTapeFaults } from '../../src/destinations/tape/standin/rmt-standin.js';
import { objectPath, readInventory } from '../../src/ocfl/index.js';
import type { RunRecord } from '../../src/runs/types.js';
import { objectIdFor, storageRootOf } from '../../src/wiring.js';
import { ALL, runCollection, startStack, stepStates, USER, writeFolder, type CollectionSpec, type Stack } from './support/stack.js';
import { startStackWeb } from './support/web.js';
import { statusCommand } from '../../src/commands/status.js';
import type { CollectionOverview } from '../../src/collection/overview.js';
import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';

const COLLECTIONS: CollectionSpec[] = [
  { id: 'WRONG', folders: ['WRONG_001_01'] },
  { id: 'NONE', folders: ['NONE_001_01'] },
  { id: 'TAPEWP', folders: ['TAPEWP_001_01'] },
  { id: 'REIMG', folders: ['REIMG_001_01'] },
  { id: 'RESUM', folders: ['RESUM_001_01'] },
];

let s: Stack;

beforeAll(async () => {
  s = await startStack({ collections: COLLECTIONS });
}, 180_000);

afterAll(async () => {
  await s?.stop();
});

/** `step:state` of one folder, in the run's step order. */
function folderStates(record: RunRecord, folder: string): string[] {
  const f = record.folders?.find((x) => x.name === folder);
  if (!f) return [];
  return record.steps.filter((st) => f.steps[st.name]).map((st) => `${st.name}:${f.steps[st.name].state}`);
}

function folderStep(record: RunRecord, folder: string, step: string) {
  return record.folders?.find((x) => x.name === folder)?.steps[step];
}

function objectIdOf(folder: string): string {
  const ao = s.services.aspace.state.list('archival_object').find((r) => r.data.component_id === folder)!;
  return objectIdFor(s.settings, ao.uri);
}

async function headOf(folder: string): Promise<string | undefined> {
  return (await readInventory(storageRootOf(s.settings), objectIdOf(folder)))?.head;
}

describe('results per folder and step', () => {
  test('a folder without archival object fails at metadata; its later steps say why they did not run; the other folder is done everywhere', async () => {
    await writeFolder(s, 'WRONG', 'WRONG_001_01', 2, { seed: 11 });
    await writeFolder(s, 'WRONG', 'WRONG_001_02', 1, { seed: 12 });
    const { record } = await runCollection(s, 'WRONG', ALL);
    expect(record.state).toBe('failed');

    // The run's steps: only metadata failed; convert and package are not blamed or miscounted.
    expect(stepStates(record)).toEqual(['stage:done', 'report:done', 'metadata:failed', 'convert:done', 'package:done', 'onsite:done', 'cloud:done', 'access:done', 'finish:skipped']);
    const step = (n: string) => record.steps.find((x) => x.name === n)!;
    expect(step('metadata').why).toContain('WRONG_001_02: No records found with component_id: WRONG_001_02');
    expect(step('convert').why ?? '').not.toContain('No records found');
    expect(step('package').counts).toMatchObject({ folders: 1 });

    expect(folderStates(record, 'WRONG_001_02')).toEqual(['metadata:failed', 'convert:skipped', 'package:skipped', 'onsite:skipped', 'cloud:skipped', 'access:skipped']);
    expect(folderStep(record, 'WRONG_001_02', 'metadata')!.why).toContain('No records found with component_id: WRONG_001_02');
    for (const later of ['convert', 'package', 'onsite', 'cloud', 'access']) {
      expect(folderStep(record, 'WRONG_001_02', later)!.why).toBe('not run for this folder: its metadata step failed');
    }

    expect(folderStates(record, 'WRONG_001_01')).toEqual(['metadata:done', 'convert:done', 'package:done', 'onsite:done', 'cloud:done', 'access:done']);
    const objectId = objectIdOf('WRONG_001_01');
    expect(folderStep(record, 'WRONG_001_01', 'convert')!.counts).toMatchObject({ images: 2 });
    expect(folderStep(record, 'WRONG_001_01', 'package')!.where).toEqual({ ocfl: { objectId, version: 'v1' } });
    const cloud = folderStep(record, 'WRONG_001_01', 'cloud')!.where!.s3!;
    expect(cloud.bucket).toBe(s.settings.s3!.bucket);
    expect(cloud.keys.filter((k) => k.endsWith('.jp2'))).toHaveLength(2);
    expect(folderStep(record, 'WRONG_001_01', 'onsite')!.where!.tape).toMatchObject({ indicator: readDrive(s.services.tapeLibrary).loaded });
    expect(folderStep(record, 'WRONG_001_01', 'access')!.where!.access!.url).toMatch(/^https?:\/\//);
  }, 180_000);

  test('the collection overview (`distillery status --json` and /collections/<id>) lists each folder with its OCFL versions, S3 keys, tape file, access link and every file\'s copies', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const before = process.env.DISTILLERY_SETTINGS;
    process.env.DISTILLERY_SETTINGS = s.settingsFile;
    let code: number;
    try {
      code = await statusCommand(['WRONG', '--json'], { out: (t) => out.push(t), err: (t) => err.push(t) });
    } finally {
      if (before === undefined) delete process.env.DISTILLERY_SETTINGS;
      else process.env.DISTILLERY_SETTINGS = before;
    }
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const overview = JSON.parse(out.join('\n')) as CollectionOverview;
    expect(overview.folders.map((f) => f.name)).toEqual(['WRONG_001_01', 'WRONG_001_02']);
    const [good, bad] = overview.folders;
    const tape = readDrive(s.services.tapeLibrary).loaded!;
    expect(good.objectId).toBe(objectIdOf('WRONG_001_01'));
    expect(good.versions).toEqual([{ version: 'v1', created: expect.stringMatching(/^\d{4}-/), user: 'World', message: expect.stringContaining('WRONG_001_01') }]);
    expect(good.archivalObject).toMatch(/\/archival_objects\/\d+$/);
    expect(good.digitalObject).toMatch(/\/digital_objects\/\d+$/);
    expect(good.access).toMatchObject({ url: expect.stringMatching(/^https?:\/\//), pages: 2 });
    const images = good.files.filter((f) => f.path.endsWith('.jp2'));
    expect(images).toHaveLength(2);
    for (const f of images) {
      expect(f.local).toBe(true);
      expect(f.s3).toMatchObject({ bucket: s.settings.s3!.bucket, key: expect.stringMatching(/\.jp2$/), storageClass: expect.any(String) });
      expect(f.tape).toEqual([expect.objectContaining({ indicator: tape, file: expect.any(Number) })]);
    }
    expect(bad.objectId).toBeUndefined();
    expect(bad.problems).toEqual([expect.stringContaining('metadata: No records found with component_id: WRONG_001_02')]);

    // The same on the web page, in a browser; the archival object link is the one ArchivesSpace gave.
    const web = await startStackWeb(s);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    try {
      const page = await (await browser.newContext({ viewport: { width: 1100, height: 1200 }, extraHTTPHeaders: { 'x-remote-user': USER.email } })).newPage();
      const res = await page.goto(`${web.url}/collections/WRONG`);
      expect(res!.status()).toBe(200);
      const section = page.locator('section[data-folder="WRONG_001_01"]');
      expect(await section.locator('.ocfl').textContent()).toBe(good.objectId);
      expect(await section.locator('.versions li').allTextContents()).toEqual([expect.stringMatching(/^v1 .* · World$/)]);
      expect(await section.locator('table.files tbody tr').count()).toBe(good.files.length);
      expect(await section.locator('table.files').textContent()).toContain(`${tape} file `);
      expect(await section.locator('a.ao').getAttribute('href')).toBe(good.archivalObject);
      await mkdir('.artifacts', { recursive: true });
      await page.screenshot({ path: '.artifacts/collection-overview.png', fullPage: true });
      expect((await page.goto(`${web.url}/collections/NOSUCH`))!.status()).toBe(404);
    } finally {
      await browser.close();
      await web.close();
    }
  }, 180_000);

  test('when no folder resolves, package and the destinations say skipped with why, never done', async () => {
    await writeFolder(s, 'NONE', 'NONE_001_09', 1, { seed: 13 });
    const { record } = await runCollection(s, 'NONE', ['cloud', 'onsite']);
    expect(record.state).toBe('failed');
    expect(stepStates(record)).toEqual(['stage:done', 'metadata:failed', 'convert:skipped', 'package:skipped', 'onsite:skipped', 'cloud:skipped', 'finish:skipped']);
    const cloud = record.steps.find((x) => x.name === 'cloud')!;
    expect(cloud.why).toBe('nothing to send: no folder was packaged in this run');
  }, 180_000);

  test('a tape write that fails after deliver: the folder\'s onsite result is failed, never done', async () => {
    await writeFolder(s, 'TAPEWP', 'TAPEWP_001_01', 1, { seed: 14 });
    const loaded = readDrive(s.services.tapeLibrary).loaded!;
    setTapeFaults(s.services.tapeLibrary, loaded, { writeProtected: true });
    let record: RunRecord;
    try {
      ({ record } = await runCollection(s, 'TAPEWP', ['onsite', 'cloud']));
    } finally {
      setTapeFaults(s.services.tapeLibrary, loaded, { writeProtected: false });
    }
    expect(record.state).toBe('failed');
    // The fault fired where it was meant to: at the write in finish(), after deliver had queued the folder.
    expect(record.reason).toContain('is write-protected');
    expect(record.steps.find((x) => x.name === 'onsite')!.state).toBe('failed');
    expect(folderStates(record, 'TAPEWP_001_01')).toEqual(['metadata:done', 'convert:done', 'package:done', 'onsite:failed', 'cloud:done']);
    expect(folderStep(record, 'TAPEWP_001_01', 'onsite')!.why).toContain('is write-protected');
    const files = await s.env.status.readFileResults(record.log!);
    expect(files.filter((f) => f.step === 'package' && f.outcome === 'done')).not.toEqual([]);
    expect(files.filter((f) => f.step === 'onsite' && f.outcome === 'done')).toEqual([]);
  }, 180_000);
});

describe('with the local payload released (KEEP_LOCAL_PAYLOAD=false)', () => {
  beforeAll(async () => {
    await s.reload([...s.settingsLines, 'KEEP_LOCAL_PAYLOAD=false']);
  });
  afterAll(async () => {
    await s.reload();
  });

  /** Preserves a folder of 2 images in S3 and on tape; the local payload is then released. */
  async function preservedAndReleased(id: string): Promise<void> {
    await writeFolder(s, id, `${id}_001_01`, 2, { seed: id.length + 20 });
    const { record, text } = await runCollection(s, id, ['cloud', 'onsite']);
    expect(record.reason).toBeUndefined();
    expect(text).toContain(`🧹 ${id}_001_01: local payload of`);
    expect(await headOf(`${id}_001_01`)).toBe('v1');
  }

  test('a rerun in which one preserved image fails to convert keeps the head and fails the folder naming the image', async () => {
    await preservedAndReleased('REIMG');
    const bad = join(s.stage3, 'REIMG', 'REIMG_001_01', 'REIMG_001_01_0002.tif');
    await truncate(bad, 1000);
    const { record } = await runCollection(s, 'REIMG', ['cloud', 'onsite']);
    expect(record.state).toBe('failed');
    expect(await headOf('REIMG_001_01')).toBe('v1');
    const pkg = folderStep(record, 'REIMG_001_01', 'package')!;
    expect(pkg.state).toBe('failed');
    expect(pkg.why).toContain('REIMG_001_01/REIMG_001_01_0002.tif');
    expect(pkg.why).toContain('stays at v1');
    expect(folderStates(record, 'REIMG_001_01')).toEqual(['metadata:done', 'convert:failed', 'package:failed', 'onsite:skipped', 'cloud:skipped']);
    expect(record.reason).toContain('REIMG_001_01_0002.tif');
  }, 240_000);

  test('a copy held only in S3 whose checksum differs is not recorded: cloud fails naming the key', async () => {
    await preservedAndReleased('RESUM');
    const s3 = s.settings.s3!;
    const client = new S3Client({ region: s3.region, endpoint: s3.endpoint, forcePathStyle: s3.forcePathStyle, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
    const prefix = `${s3.prefix ?? ''}${objectPath(objectIdOf('RESUM_001_01'))}/v1/content/`;
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
    const key = listed.Contents!.map((c) => c.Key!).find((k) => k.endsWith('.jp2'))!;
    expect(key).toBeDefined();
    // Another writer replaced the copy with other bytes (same size does not matter: the checksum does).
    const other = Buffer.from('not the preserved image');
    const sha = createHash('sha256').update(other).digest();
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: other, ChecksumSHA256: sha.toString('base64'), Metadata: { sha256: sha.toString('hex') } }));
    client.destroy();
    const { record, text } = await runCollection(s, 'RESUM', ['cloud']);
    expect(record.state).toBe('failed');
    const cloud = folderStep(record, 'RESUM_001_01', 'cloud')!;
    expect(cloud.state).toBe('failed');
    expect(cloud.why).toContain(key);
    expect(cloud.why).toContain(sha.toString('hex'));
    expect(text).not.toContain('📝 Recorded the S3 copy');
  }, 240_000);
});
