/**
 * The IIIF access platform on real scans (TIFFs made with sharp, decoded once, tiled by libvips):
 * Manifests and Collections validate against the IIIF Presentation 3.0 JSON schema of the IIIF
 * presentation-validator (test/fixtures/iiif); a rerun publishes nothing; a scan added or replaced
 * updates the Manifest and its services; S3 publishing against the local S3-compatible server
 * with content types checked.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { PreparedFolder, PreservedImage, RunScope } from '../../../src/destinations/destination.js';
import { expectedFiles, type ImageInfo } from '../../../src/destinations/iiif/imageService.js';
import { IiifPlatform } from '../../../src/destinations/iiif/platform.js';
import { FolderPublisher, S3Publisher } from '../../../src/destinations/iiif/publisher.js';
import type { CollectionInfo } from '../../../src/destinations/islandora/collectionInfo.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { makeTiff } from '../../fixtures/images/make.js';
import { fauxqsTarget, type Target } from '../s3/targets.js';

const BASE = 'https://iiif.example.edu/iiif';
let dir: string;
let validate: ValidateFunction;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'distillery-iiif-'));
  const ajv = new (Ajv as unknown as typeof Ajv.default)({ strict: false, allErrors: true });
  (addFormats as unknown as typeof addFormats.default)(ajv);
  validate = ajv.compile(JSON.parse(await readFile(new URL('../../fixtures/iiif/iiif_3_0.json', import.meta.url), 'utf8')));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function valid(doc: unknown): void {
  const ok = validate(doc);
  expect(ok ? [] : validate.errors!.slice(0, 5).map((e) => `${e.instancePath} ${e.message}`)).toEqual([]);
}

const collection: CollectionInfo = { id: 'HaleGE', title: 'George Ellery Hale Papers', useRestriction: 'Use is restricted; see https://rightsstatements.org/vocab/InC/1.0/ for terms.' };

async function image(folderDir: string, seq: number, seed = seq, size: [number, number] = [700, 500]): Promise<PreservedImage> {
  const sequence = String(seq).padStart(4, '0');
  const sourcePath = join(folderDir, `HaleGE_001_02_${sequence}.tif`);
  await makeTiff(sourcePath, { width: size[0], height: size[1], seed, compression: 'lzw' });
  const sha512 = createHash('sha512').update(await readFile(sourcePath)).digest('hex');
  return {
    sequence, sourcePath, componentId: `ab${seq}c_d${seq}ef`, jp2Path: join(folderDir, 'none.jp2'), logicalPath: `x/${sequence}.jp2`, bytes: 1,
    digests: { sha512, sha256: '', md5: '' },
    technical: { width: size[0], height: size[1], standard: '', transformation: '', quantization: '', fileFormatVersion: '', caption: '' },
    componentUri: `/repositories/2/digital_object_components/${seq}`,
  };
}

function folderOf(images: PreservedImage[], title = 'Correspondence, 1901'): PreparedFolder {
  const arrangement = {
    repositoryName: 'Caltech Archives', repositoryCode: 'CaltechArchives', collectionDisplay: 'George Ellery Hale Papers', collectionId: 'HaleGE',
    seriesDisplay: 'Series 1: Correspondence', seriesId: '1', subseriesDisplay: 'Subseries 2: Letters', subseriesId: '2', folderDisplay: `Box 1 Folder 2: ${title}`, folderTitle: title,
  };
  return {
    name: 'HaleGE_001_02', path: '/x', arrangement, images,
    record: {
      componentId: 'HaleGE_001_02', archivalObjectUri: '/repositories/2/archival_objects/7', digitalObjectUri: '/repositories/2/digital_objects/3', arrangement,
      archivalObject: { title, extents: [{ number: '1', extent_type: 'folder' }], linked_agents: [{ role: 'creator', _resolved: { title: 'Hale, George Ellery' } }] },
      dates: [{ expression: '1901' }],
    },
  };
}

function runScope(reporter = new MemoryReporter()): RunScope & { reporter: MemoryReporter } {
  return { runId: 'r', collectionId: 'HaleGE', user: { email: 'a@b', name: 'A' }, processes: ['access'], reporter, aspace: undefined as never };
}

async function allFiles(root: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(join(e.parentPath, e.name), (await stat(join(e.parentPath, e.name))).mtimeMs);
  }
  return out;
}

test('a folder becomes a valid Manifest in a valid Collection; a rerun publishes nothing; added and replaced scans update it', async () => {
  const src = join(dir, 'scans');
  await makeTiff(join(dir, 'warm.tif'));
  await mkdir(src, { recursive: true });
  const images = [await image(src, 1), await image(src, 2), await image(src, 3, 3, [400, 900])];
  const root = join(dir, 'published');
  const platform = new IiifPlatform({ baseUrl: BASE, publisher: new FolderPublisher(root), tileSize: 256, thumbnailSize: 150, opjDecompressCommand: 'opj_decompress', recordLinkBase: 'https://archives.example.edu' });
  const folder = folderOf(images);

  expect(await platform.find(collection, folder, runScope())).toBeUndefined();
  const links = await platform.publish(collection, folder, runScope());
  expect(links.objectUrl).toBe(`${BASE}/HaleGE/HaleGE_001_02/manifest.json`);
  const manifest = JSON.parse(await readFile(join(root, 'HaleGE/HaleGE_001_02/manifest.json'), 'utf8'));
  valid(manifest);
  // The schema can fail: a label that is not a language map, a canvas without its size.
  expect(validate({ ...manifest, label: 'x' })).toBe(false);
  expect(validate({ ...manifest, items: [{ ...manifest.items[0], width: undefined }] })).toBe(false);
  expect(manifest.items).toHaveLength(3);
  expect(manifest.items.map((c: { width: number }) => c.width)).toEqual([700, 700, 400]);
  expect(manifest.homepage[0].id).toBe('https://archives.example.edu/repositories/2/archival_objects/7');
  expect(manifest.rights).toBe('http://rightsstatements.org/vocab/InC/1.0/');
  expect(manifest.requiredStatement.value.none[0]).toBe(collection.useRestriction);
  expect(manifest.partOf[0].id).toBe(`${BASE}/HaleGE/collection.json`);
  expect(manifest.metadata.map((m: { label: { en: string[] } }) => m.label.en[0])).toEqual(['Title', 'Dates', 'Extent', 'Creator', 'Collection', 'Series', 'Subseries', 'Identifier']);
  const coll = JSON.parse(await readFile(join(root, 'HaleGE/collection.json'), 'utf8'));
  valid(coll);
  expect(coll.items[0].label.none[0]).toBe('Series 1: Correspondence');
  expect(coll.items[0].items[0].items[0].id).toBe(links.objectUrl);
  // Each image service: level 0, complete, at the URL the Manifest names.
  for (const canvas of manifest.items) {
    const service = canvas.items[0].items[0].body.service[0].id as string;
    const local = join(root, service.slice(BASE.length + 1));
    const info = JSON.parse(await readFile(join(local, 'info.json'), 'utf8')) as ImageInfo;
    expect(info.id).toBe(service);
    for (const f of expectedFiles(info)) expect((await stat(join(local, f))).size).toBeGreaterThan(0);
  }
  expect(links.thumbnailUrl).toMatch(/\/full\/\d+,\d+\/0\/default\.jpg$/);

  // A rerun: current, nothing written.
  const before = await allFiles(root);
  const again = await platform.find(collection, folder, runScope());
  expect(again).toEqual(links);
  expect(await allFiles(root)).toEqual(before);

  // A scan added: the Manifest gains a canvas; the existing services are reused untouched.
  const added = folderOf([...images, await image(src, 4)]);
  expect(await platform.find(collection, added, runScope())).toBeUndefined();
  const run = runScope();
  await platform.publish(collection, added, run);
  expect(run.reporter.lines.join('\n')).toContain('1 page added');
  const m2 = JSON.parse(await readFile(join(root, 'HaleGE/HaleGE_001_02/manifest.json'), 'utf8'));
  valid(m2);
  expect(m2.items).toHaveLength(4);
  const firstService = join(root, manifest.items[0].items[0].items[0].body.service[0].id.slice(BASE.length + 1), 'info.json');
  expect((await stat(firstService)).mtimeMs).toBe(before.get(firstService));

  // A scan replaced (rescanned): a new service, the old one removed once the Manifest moved on.
  const rescanned = await image(src, 2, 99);
  const replaced = folderOf([images[0], rescanned, images[2], added.images[3]]);
  const run3 = runScope();
  await platform.publish(collection, replaced, run3);
  expect(run3.reporter.lines.join('\n')).toContain('1 page replaced');
  const oldService = join(root, manifest.items[1].items[0].items[0].body.service[0].id.slice(BASE.length + 1));
  await expect(stat(oldService)).rejects.toThrow();
  expect(await platform.find(collection, replaced, runScope())).toBeDefined();

  // Metadata edited in ArchivesSpace: stale, and says so.
  const retitled = folderOf(replaced.images, 'Letters to Kapteyn, 1901');
  expect(await platform.find(collection, retitled, runScope())).toBeUndefined();
  const run4 = runScope();
  await platform.publish(collection, retitled, run4);
  expect(run4.reporter.lines.join('\n')).toContain('descriptive metadata changed');
  expect(JSON.parse(await readFile(join(root, 'HaleGE/HaleGE_001_02/manifest.json'), 'utf8')).label.none[0]).toBe('Letters to Kapteyn, 1901');
}, 120_000);

let target: Target | undefined;
afterAll(async () => {
  await target?.stop();
});

test('published to S3: every file verified, with the content types viewers need; a rerun sends nothing', async () => {
  target = await fauxqsTarget();
  const c = target.connection;
  const src = join(dir, 's3scans');
  await mkdir(src, { recursive: true });
  const images = [await image(src, 1), await image(src, 2)];
  const publisher = new S3Publisher({ bucket: c.bucket, prefix: 'iiif', region: c.region, accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, endpoint: c.endpoint, forcePathStyle: true });
  const platform = new IiifPlatform({ baseUrl: BASE, publisher, tileSize: 256, thumbnailSize: 150, opjDecompressCommand: 'opj_decompress' });
  const folder = folderOf(images);
  const links = await platform.publish(collection, folder, runScope());
  const head = (key: string) => target!.client.send(new HeadObjectCommand({ Bucket: c.bucket, Key: key }));
  expect((await head('iiif/HaleGE/HaleGE_001_02/manifest.json')).ContentType).toBe('application/json');
  expect((await head('iiif/HaleGE/collection.json')).ContentType).toBe('application/json');
  const service = links.thumbnailUrl.slice(BASE.length + 1).replace(/\/full\/.*$/, '');
  expect((await head(`iiif/${service}/info.json`)).ContentType).toBe('application/json');
  expect((await head(`iiif/${service}/full/max/0/default.jpg`)).ContentType).toBe('image/jpeg');
  const body = await (await target.client.send(new GetObjectCommand({ Bucket: c.bucket, Key: 'iiif/HaleGE/HaleGE_001_02/manifest.json' }))).Body!.transformToString();
  valid(JSON.parse(body));
  const list = async () => (await target!.client.send(new ListObjectsV2Command({ Bucket: c.bucket, Prefix: 'iiif/' }))).KeyCount;
  const count = await list();
  expect(count).toBeGreaterThan(10);
  expect(await platform.find(collection, folder, runScope())).toEqual(links);
  expect(await list()).toBe(count);
}, 120_000);
