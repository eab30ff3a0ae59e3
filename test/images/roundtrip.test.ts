// Real codecs: Debian's vips and opj_compress encode, opj_decompress + sharp decode. No stand-ins.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jp2Technical, makeEncoder, pixelSignature } from '../../src/images/index.js';
import { IMAGE_KINDS, makeTiff } from '../fixtures/images/make.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'distillery-roundtrip-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const kinds = IMAGE_KINDS;

describe.each(['vips', 'opj'] as const)('lossless round trip with %s', (tool) => {
  const encoder = makeEncoder({ tool, threads: 1 });
  it.each(kinds)('$label: decoded JP2 pixels equal the TIFF pixels', async ({ label, channels, depth }) => {
    const base = join(dir, `${tool}-${label.replace(/\W+/g, '_')}`);
    await makeTiff(`${base}.tif`, { width: 97, height: 61, channels, depth, seed: channels * depth });
    await encoder.encodeLossless(`${base}.tif`, `${base}.jp2`);
    const tiff = await pixelSignature(`${base}.tif`);
    const jp2 = await pixelSignature(`${base}.jp2`);
    expect(tiff).toMatchObject({ width: 97, height: 61, channels, depth });
    expect(jp2).toEqual(tiff);
    const tech = await jp2Technical(`${base}.jp2`);
    expect(tech).toEqual({
      width: 97, height: 61, standard: 'ISO/IEC 15444-1', transformation: '5-3 reversible', quantization: 'no quantization',
      fileFormatVersion: 'ISO/IEC 15444-1; lossless (wavelet transformation: 5/3 reversible with no quantization)',
      caption: 'width: 97; height: 61; compression: lossless',
    });
  });
});

describe('pixelSignature', () => {
  it('sees a change in the low 8 bits of one 16-bit sample', async () => {
    await makeTiff(join(dir, 'a16.tif'), { width: 20, height: 10, depth: 16 });
    const raw = await sharp(join(dir, 'a16.tif')).toColourspace('rgb16').raw({ depth: 'ushort' }).toBuffer();
    const samples = new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2);
    samples[37] ^= 1;
    await sharp(samples, { raw: { width: 20, height: 10, channels: 3 } }).toColourspace('rgb16').tiff({ compression: 'none' }).toFile(join(dir, 'b16.tif'));
    const [a, b] = await Promise.all([pixelSignature(join(dir, 'a16.tif')), pixelSignature(join(dir, 'b16.tif'))]);
    expect(b.depth).toBe(16);
    expect(b.sha512).not.toBe(a.sha512);
  });

  it('hashes the stored samples of a scan with an ICC profile, not an sRGB conversion of them', async () => {
    await makeTiff(join(dir, 'plain.tif'), { width: 30, height: 20 });
    await sharp(join(dir, 'plain.tif')).withIccProfile('p3').tiff({ compression: 'none' }).toFile(join(dir, 'tagged.tif'));
    await makeEncoder({ tool: 'vips' }).encodeLossless(join(dir, 'tagged.tif'), join(dir, 'tagged.jp2'));
    expect(await pixelSignature(join(dir, 'tagged.jp2'))).toEqual(await pixelSignature(join(dir, 'tagged.tif')));
  });

  it('says which file could not be decoded', async () => {
    await expect(pixelSignature(join(dir, 'nothing.jp2'))).rejects.toThrow(/opj_decompress failed/);
  });
});

describe('jp2Technical', () => {
  it('refuses a file that is not JPEG 2000', async () => {
    await makeTiff(join(dir, 'not.tif'));
    await expect(jp2Technical(join(dir, 'not.tif'))).rejects.toThrow('is not a JPEG 2000 (JP2) file');
  });
});
