/**
 * The static IIIF Image API 3.0 service of one image, from real TIFFs decoded once with sharp:
 * 8-bit RGB, 16-bit grey and RGB with alpha; the tile set is complete for every size and scale
 * factor info.json announces, and info.json keeps the level-0 rules.
 */
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { makeTiff } from '../../fixtures/images/make.js';
import { decodeForAccess } from '../../../src/images/accessPixels.js';
import { expectedFiles, FULL_IMAGE, makeImageService, missingFiles } from '../../../src/destinations/iiif/imageService.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'distillery-iiif-image-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function tiff(name: string, width: number, height: number, channels: 1 | 3 | 4, depth: 8 | 16): Promise<string> {
  const path = join(dir, `${name}.tif`);
  await makeTiff(path, { width, height, channels, depth, compression: 'lzw' });
  return path;
}

const rules = (info: Awaited<ReturnType<typeof makeImageService>>['info']) => {
  expect(info['@context']).toBe('http://iiif.io/api/image/3/context.json');
  expect(info.type).toBe('ImageService3');
  expect(info.protocol).toBe('http://iiif.io/api/image');
  expect(info.profile).toBe('level0');
  expect(info.tiles.length).toBeGreaterThan(0);
  for (const t of info.tiles) expect(t.scaleFactors[0]).toBe(1);
  expect(info.sizes!.length).toBeGreaterThanOrEqual(1);
};

test.each([
  ['rgb8', 1300, 900, 3, 8],
  ['grey16', 700, 1100, 1, 16],
  ['rgba8', 600, 400, 4, 8],
] as const)('%s: tiles, full image and thumbnail from one decode; every file info.json announces exists', async (name, w, h, channels, depth) => {
  const src = await tiff(name, w, h, channels, depth);
  const px = await decodeForAccess({ sourcePath: src, jp2Path: join(dir, 'none.jp2') }, 'opj_decompress', dir);
  expect(px.info.channels).toBe(channels === 1 ? 1 : 3);
  const serviceId = `https://iiif.example.edu/iiif/images/${name}`;
  const made = await makeImageService(px, join(dir, 'svc', name), serviceId, { tileSize: 256, thumbnailSize: 200 });
  rules(made.info);
  expect(made.info).toMatchObject({ id: serviceId, width: w, height: h });
  expect(made.files.at(-1)).toBe('info.json');
  for (const f of expectedFiles(made.info)) expect(made.files).toContain(f);
  const full = await sharp(join(dir, 'svc', name, FULL_IMAGE)).metadata();
  expect(full).toMatchObject({ format: 'jpeg', width: w, height: h, channels: channels === 1 ? 1 : 3 });
  const thumb = await sharp(join(dir, 'svc', name, made.thumbnail.path)).metadata();
  expect(Math.max(thumb.width!, thumb.height!)).toBe(200);
  // The full JPEG shows the decoded pixels (scaled to 8 bits, alpha dropped), within JPEG's loss.
  const back = sharp(join(dir, 'svc', name, FULL_IMAGE));
  const { data } = await (channels === 1 ? back.toColourspace('b-w') : back).raw().toBuffer({ resolveWithObject: true });
  let diff = 0;
  for (let i = 0; i < data.length; i++) diff += Math.abs(data[i] - px.data[i]);
  expect(data.length).toBe(px.data.length);
  expect(diff / data.length).toBeLessThan(16); // noisy test pixels; a wrong channel order or bit scaling is far above
});

test('a missing tile is found', async () => {
  const src = await tiff('gap', 800, 600, 3, 8);
  const px = await decodeForAccess({ sourcePath: src, jp2Path: join(dir, 'none.jp2') }, 'opj_decompress', dir);
  const made = await makeImageService(px, join(dir, 'svc2', 'gap'), 'https://iiif.example.edu/iiif/images/gap', { tileSize: 256, thumbnailSize: 100 });
  const tile = made.files.find((f) => f.startsWith('256,0,256,256/'))!;
  await unlink(join(dir, 'svc2', 'gap', tile));
  expect(await missingFiles(join(dir, 'svc2', 'gap'), made.info)).toEqual([tile]);
  expect(JSON.parse(await readFile(join(dir, 'svc2', 'gap', 'info.json'), 'utf8')).sizes.length).toBeGreaterThan(0);
});
