/**
 * The Islandora access destination end to end, with real parts: a real OpenSSH server and rsync
 * on loopback (test/support/sshd.ts), the drush stand-in on that account's PATH (Islandora 7,
 * Drupal and Fedora cannot run here; src/destinations/islandora/standin/drush.mjs keeps drush's
 * arguments, streams and exit codes), real sharp, opj_compress and tesseract, and the project's
 * ArchivesSpace client against the ArchivesSpace stand-in (src/archivesspace/standin) over HTTP.
 */
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSeed, startArchivesSpaceStandIn, type StandInHandle } from '../../../src/archivesspace/standin/index.js';
import type { PreparedFolder, RunScope } from '../../../src/destinations/destination.js';
import { IslandoraDestination, type IslandoraSettings } from '../../../src/destinations/islandora/index.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { startSshd, type SshdHandle } from '../../support/sshd.js';
import { ArchivesSpaceClient } from '../../../src/archivesspace/client.js';
import { makeFolder, standinSettings } from './fixtures.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';

let sshd: SshdHandle;
let aspace: StandInHandle;
let client: ArchivesSpaceClient;
let work: string;
let folders: PreparedFolder[];

const USE = 'Copyright © Caltech; "fair use" <only> & citation';

function settings(over: Partial<IslandoraSettings> = {}, ssh: Partial<IslandoraSettings['ssh']> = {}): IslandoraSettings {
  return standinSettings(sshd, work, over, ssh);
}

function runScope(reporter = new MemoryReporter(), collectionId = 'HBF'): RunScope {
  return { runId: 'r1', collectionId, user: { email: 'a@example.org', name: 'A' }, processes: ['access'], reporter, aspace: client };
}

async function standinState(): Promise<{ objects: Record<string, { parent: string; models: string[]; isPageOf?: string }>; sets: Record<string, unknown> }> {
  return JSON.parse(await readFile(join(sshd.home, '.islandora-standin', 'state.json'), 'utf8'));
}
const pagesOf = (state: Awaited<ReturnType<typeof standinState>>, pid: string) => Object.values(state.objects).filter((o) => o.isPageOf === pid);

function fileVersions(uri: string): Record<string, unknown>[] {
  return (aspace.state.get(uri)!.data.file_versions as Record<string, unknown>[] | undefined) ?? [];
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'distillery-islandora-'));
  sshd = await startSshd();
  aspace = await startArchivesSpaceStandIn({
    seed: buildSeed({
      collectionId: 'HBF',
      title: 'Papers of Jane & John <Doe>',
      useRestriction: USE,
      folders: [
        { name: 'HBF_001_01', title: 'Letters & notes <draft>', date: '1921', extent: '2 images' },
        { name: 'HBF_001_02', title: 'Telegrams', date: '1922' },
      ],
    }),
  });
  client = new ArchivesSpaceClient({ baseUrl: aspace.url, username: 'admin', password: 'admin', repositoryId: 2, staffUrl: 'http://staff.example.org' });
  // The collection JSON and folder records as the distill core gets them.
  const collection = await client.findCollection('HBF');
  const collectionJsonPath = join(work, 'HBF.json');
  await writeFile(collectionJsonPath, JSON.stringify(collection.record));
  folders = [];
  for (const [cid, pages] of [
    ['HBF_001_01', [{ text: 'Distillery letter one', kind: 'rgb8' as const }, { text: 'Second leaf of letters', kind: 'grey16' as const }]],
    ['HBF_001_02', [{ text: 'Telegram from Pasadena', kind: 'grey16' as const }]],
  ] as const) {
    const record = await client.ensureDigitalObject(await client.findFolder(cid));
    folders.push(
      await makeFolder(work, {
        collectionId: 'HBF',
        componentId: cid,
        archivalObjectUri: record.archivalObjectUri,
        digitalObjectUri: record.digitalObjectUri,
        title: record.arrangement.folderTitle,
        record,
        pages: [...pages],
        collectionJsonPath,
      }),
    );
  }
}, 120_000);

afterAll(async () => {
  await sshd?.stop();
  await aspace?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('Islandora destination', () => {
  it('creates the collection, publishes two books and records their links in ArchivesSpace', async () => {
    const reporter = new MemoryReporter();
    const dest = new IslandoraDestination(settings());
    expect(dest.process).toBe('access');
    expect(dest.platform).toBe('islandora');
    for (const f of folders) await dest.deliver(runScope(reporter), f);

    const state = await standinState();
    expect(state.objects['caltech:HBF'].models).toEqual(['islandora:collectionCModel']);
    expect(state.objects['caltech:HBF'].parent).toBe('islandora:root');
    expect(state.objects['HBF:HBF_001_01'].parent).toBe('caltech:HBF');
    expect(pagesOf(state, 'HBF:HBF_001_01')).toHaveLength(2);
    expect(pagesOf(state, 'HBF:HBF_001_02')).toHaveLength(1);
    expect(pagesOf(state, 'HBF:HBF_001_01').every((p) => p.models.includes('islandora:pageCModel'))).toBe(true);

    const book1 = 'https://digital.example.org/islandora/object/HBF:HBF_001_01';
    expect(reporter.lines).toContain(`✅ Published HBF_001_01: ${book1} (2 pages, each checked against its preservation image)`);
    expect(reporter.lines).toContain('✅ Published HBF_001_02: https://digital.example.org/islandora/object/HBF:HBF_001_02 (1 page, each checked against its preservation image)');
    expect(reporter.lines.filter((l) => l.startsWith('✅ Created the Islandora collection'))).toHaveLength(1);

    // The staging tree as islandora_book_batch reads it.
    const book = join(work, 'access', 'HBF', 'books', 'HBF+HBF_001_01');
    expect((await readdir(book)).sort()).toEqual(['0001', '0002', 'MODS.xml', 'TN.jpg']);
    expect((await readdir(join(book, '0002'))).sort()).toEqual(['HOCR.html', 'JP2.jp2', 'JPG.jpg', 'MODS.xml', 'OBJ.jp2', 'OCR.txt', 'TN.jpg']);
    // The 16-bit grey page was made 8-bit first, so Tesseract read it.
    expect(await readFile(join(book, '0002', 'OCR.txt'), 'utf8')).toMatch(/Second leaf/);
    expect(await readFile(join(book, '0001', 'HOCR.html'), 'utf8')).toMatch(/ocrx_word/);
    expect(await readFile(join(work, 'access', 'HBF', 'books', 'HBF+HBF_001_02', '0001', 'OCR.txt'), 'utf8')).toMatch(/Telegram/);
    const collection = join(work, 'access', 'HBF', 'collections', 'caltech+HBF');
    expect((await readdir(collection)).sort()).toEqual(['COLLECTION_POLICY.xml', 'MODS.xml']);

    // The lossy access JP2 is a JP2, far smaller than the pixels; JPG and TN within their boxes.
    const obj = await readFile(join(book, '0001', 'OBJ.jp2'));
    expect(obj.subarray(4, 8).toString('latin1')).toBe('jP  ');
    expect(obj.length).toBeLessThan((1200 * 500 * 3) / 10);
    const sharp = (await import('sharp')).default;
    const jpg = await sharp(join(book, '0001', 'JPG.jpg')).metadata();
    expect(jpg.width).toBeLessThanOrEqual(600);
    expect(jpg.height).toBeLessThanOrEqual(800);
    const tn = await sharp(join(book, 'TN.jpg')).metadata();
    expect(Math.max(tn.width!, tn.height!)).toBe(200);

    // The remote temporary folders were removed.
    expect(await readdir(join(sshd.home, 'tmp'))).toEqual([]);

    // ArchivesSpace: exactly the two file versions per digital object, written once per book.
    const posts = aspace.state.requestLog.filter((r) => r.method === 'POST' && /digital_objects\/\d+$/.test(r.path));
    expect(posts.map((r) => r.path).sort()).toEqual(folders.map((f) => f.record.digitalObjectUri).sort());
    for (const f of folders) {
      const url = `https://digital.example.org/islandora/object/HBF:${f.record.componentId}`;
      expect(fileVersions(f.record.digitalObjectUri).map((v) => ({ file_uri: v.file_uri, publish: v.publish, xlink_show_attribute: v.xlink_show_attribute }))).toEqual([
        { file_uri: url, publish: true, xlink_show_attribute: undefined },
        { file_uri: `${url}/datastream/TN/view`, publish: true, xlink_show_attribute: 'embed' },
      ]);
    }
  }, 300_000);

  it('publishes nothing twice on a rerun and keeps exactly two file versions', async () => {
    const before = await standinState();
    const stagedBefore = await stat(join(work, 'access', 'HBF', 'books', 'HBF+HBF_001_01', '0001', 'OBJ.jp2'));
    const reporter = new MemoryReporter();
    const dest = new IslandoraDestination(settings());
    for (const f of folders) await dest.deliver(runScope(reporter), f);
    const after = await standinState();
    expect(Object.keys(after.sets)).toEqual(Object.keys(before.sets));
    expect(Object.keys(after.objects).sort()).toEqual(Object.keys(before.objects).sort());
    expect(reporter.lines).toContain('↩️ HBF_001_01 is already published and current: https://digital.example.org/islandora/object/HBF:HBF_001_01');
    expect(reporter.files.every((f) => f.outcome === 'skipped')).toBe(true);
    // No derivative was made again.
    expect((await stat(join(work, 'access', 'HBF', 'books', 'HBF+HBF_001_01', '0001', 'OBJ.jp2'))).mtimeMs).toBe(stagedBefore.mtimeMs);
    for (const f of folders) expect(fileVersions(f.record.digitalObjectUri)).toHaveLength(2);
  }, 300_000);

  it('keeps unpublished file versions that point elsewhere beside the access links', async () => {
    const f = folders[0];
    const rec = aspace.state.get(f.record.digitalObjectUri)!;
    aspace.state.update(rec, { ...rec.data, lock_version: rec.lockVersion, file_versions: [...fileVersions(f.record.digitalObjectUri), { file_uri: 'https://other.example.org/scan.pdf', publish: false }] });
    await new IslandoraDestination(settings()).deliver(runScope(), f);
    expect(fileVersions(f.record.digitalObjectUri).map((v) => v.file_uri).sort()).toEqual([
      'https://digital.example.org/islandora/object/HBF:HBF_001_01',
      'https://digital.example.org/islandora/object/HBF:HBF_001_01/datastream/TN/view',
      'https://other.example.org/scan.pdf',
    ]);
  });

  it('writes MODS that parses as XML with the expected, escaped fields', async () => {
    const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@' });
    const book = join(work, 'access', 'HBF', 'books', 'HBF+HBF_001_01');
    const xml = await readFile(join(book, 'MODS.xml'), 'utf8');
    expect(XMLValidator.validate(xml)).toBe(true);
    const mods = parser.parse(xml).mods;
    expect(mods['@xmlns']).toBe('http://www.loc.gov/mods/v3');
    expect(mods.titleInfo.title).toBe('Letters & notes <draft>');
    expect(mods.originInfo.dateCreated).toEqual({ '#text': 1921, '@encoding': 'w3cdtf' });
    expect(mods.physicalDescription.extent).toEqual({ '#text': 2, '@unit': 'images' });
    const [host, record] = mods.relatedItem;
    expect(host['@type']).toBe('host');
    expect(host.titleInfo.title).toBe('Papers of Jane & John <Doe>');
    expect(host.titleInfo.partNumber).toBe('Series 1');
    expect(host.titleInfo.partName).toBe('Series 1');
    expect(record['@xlink:href']).toBe(`https://collections.example.org${folders[0].record.archivalObjectUri}`);
    expect(mods.identifier).toEqual({ '#text': 'HBF_001_01', '@type': 'local' });
    expect(mods.accessCondition).toEqual({ '#text': USE, '@type': 'use and reproduction' });

    const page = parser.parse(await readFile(join(book, '0002', 'MODS.xml'), 'utf8')).mods;
    expect(folders[0].arrangement.folderDisplay).toContain('Letters & notes <draft>');
    expect(page.titleInfo.title).toBe(`${folders[0].arrangement.folderDisplay} [image 0002/0002]`);

    const coll = join(work, 'access', 'HBF', 'collections', 'caltech+HBF');
    expect(parser.parse(await readFile(join(coll, 'MODS.xml'), 'utf8')).mods).toMatchObject({
      titleInfo: { title: 'Papers of Jane & John <Doe>' },
      typeOfResource: { '@collection': 'yes' },
    });
    const policy = parser.parse(await readFile(join(coll, 'COLLECTION_POLICY.xml'), 'utf8')).collection_policy;
    expect(policy.content_models.content_model.map((m: Record<string, string>) => [m['@pid'], m['@namespace']])).toEqual([
      ['islandora:pageCModel', 'HBF'],
      ['islandora:bookCModel', 'HBF'],
    ]);
    expect(policy.relationship).toBe('isMemberOfCollection');
  });
});
