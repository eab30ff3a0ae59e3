// Real files made with sharp, read by the real inspectImage (sharp + magic numbers).
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectImage } from '../../src/images/inspect.js';
import { makeTiff, truncateCopy } from '../fixtures/images/make.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'distillery-inspect-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('inspectImage', () => {
  it('accepts a readable single-page TIFF and reports its facts (8- and 16-bit)', async () => {
    await makeTiff(join(dir, 'rgb8.tif'), { width: 40, height: 30 });
    await makeTiff(join(dir, 'grey16.tif'), { width: 40, height: 30, channels: 1, depth: 16 });
    expect(await inspectImage(join(dir, 'rgb8.tif'))).toEqual({ ok: true, format: 'tiff', width: 40, height: 30, channels: 3, bitsPerSample: 8, pages: 1 });
    expect(await inspectImage(join(dir, 'grey16.tif'))).toMatchObject({ ok: true, channels: 1, bitsPerSample: 16 });
  });

  it('refuses a zero-byte file', async () => {
    await writeFile(join(dir, 'empty.tif'), '');
    expect(await inspectImage(join(dir, 'empty.tif'))).toEqual({ ok: false, reason: 'zero bytes' });
  });

  it('names JPEG data renamed .tif', async () => {
    await sharp({ create: { width: 20, height: 20, channels: 3, background: '#808080' } }).jpeg().toFile(join(dir, 'photo.tif'));
    expect(await inspectImage(join(dir, 'photo.tif'))).toMatchObject({ ok: false, format: 'jpeg', reason: 'not a TIFF (JPEG data)' });
  });

  it('refuses a non-image', async () => {
    await writeFile(join(dir, 'notes.tif'), 'Box 1, folder 2: letters\n');
    expect((await inspectImage(join(dir, 'notes.tif'))).reason).toBe('not a TIFF (not an image format Distillery knows)');
  });

  it('refuses a truncated TIFF', async () => {
    await makeTiff(join(dir, 'whole.tif'), { width: 200, height: 100 });
    await truncateCopy(join(dir, 'whole.tif'), join(dir, 'half.tif'), 0.5);
    const r = await inspectImage(join(dir, 'half.tif'));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^truncated or corrupt TIFF: /);
  });

  it('refuses a TIFF whose compressed strips are damaged though its header reads', async () => {
    await makeTiff(join(dir, 'lzw.tif'), { width: 300, height: 200, compression: 'lzw' });
    const b = await readFile(join(dir, 'lzw.tif'));
    // Strips come first, the directory last: scribble over the middle of the pixel data.
    for (let i = 2000; i < 6000; i++) b[i] = 0xff;
    await writeFile(join(dir, 'damaged.tif'), b);
    const r = await inspectImage(join(dir, 'damaged.tif'));
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^truncated or corrupt TIFF: /);
  });

  it('refuses a multi-page TIFF, saying how many pages', async () => {
    await makeTiff(join(dir, 'three.tif'), { width: 30, height: 20, pages: 3 });
    expect(await inspectImage(join(dir, 'three.tif'))).toMatchObject({ ok: false, pages: 3, reason: 'multi-page TIFF (3 pages) — split it first' });
  });

  it('says when the file cannot be read at all', async () => {
    expect((await inspectImage(join(dir, 'missing.tif'))).reason).toBe('cannot read the file: ENOENT');
  });
});
