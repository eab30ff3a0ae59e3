// The pixel signature read straight from an uncompressed TIFF's strips must equal the one sharp's
// full decode gives, for every kind of scan and for what opj_decompress writes when it checks a JP2.
// Real tools: sharp writes the TIFFs, vips encodes, opj_decompress decodes; the big-endian TIFF is
// written by hand (libvips writes only the machine's byte order).
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEncoder, pixelSignature } from '../../src/images/index.js';
import { decodedSignature, storedTiffSignature } from '../../src/images/signature.js';
import { runChild } from '../../src/childProcess.js';
import { IMAGE_KINDS, makePixels, makeTiff } from '../fixtures/images/make.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'distillery-signature-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const kinds = IMAGE_KINDS;

/** A classic big-endian ("MM") TIFF: header, the samples in two strips, then its directory. */
function bigEndianTiff(width: number, height: number, channels: 1 | 3, samples: Uint16Array): Buffer {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((v, i) => data.writeUInt16BE(v, i * 2));
  const rows1 = Math.ceil(height / 2);
  const strip1 = rows1 * width * channels * 2;
  const bitsAt = 8 + data.length;
  const ifdAt = bitsAt + 8;
  const entries: [number, number, number, number][] = [
    [256, 3, 1, width], [257, 3, 1, height], [258, 3, channels, channels === 1 ? 16 : bitsAt],
    [259, 3, 1, 1], [262, 3, 1, channels === 1 ? 1 : 2], [273, 4, 2, 0 /* filled below */],
    [277, 3, 1, channels], [278, 3, 1, rows1], [279, 4, 2, 0 /* filled below */], [284, 3, 1, 1],
  ];
  const arraysAt = ifdAt + 2 + entries.length * 12 + 4;
  entries[5][3] = arraysAt;
  entries[8][3] = arraysAt + 8;
  const out = Buffer.alloc(arraysAt + 16);
  out.write('MM', 0, 'latin1'); out.writeUInt16BE(42, 2); out.writeUInt32BE(ifdAt, 4);
  data.copy(out, 8);
  for (let i = 0; i < 3; i++) out.writeUInt16BE(16, bitsAt + i * 2);
  out.writeUInt16BE(entries.length, ifdAt);
  entries.forEach(([tag, type, count, value], i) => {
    const e = ifdAt + 2 + i * 12;
    out.writeUInt16BE(tag, e); out.writeUInt16BE(type, e + 2); out.writeUInt32BE(count, e + 4);
    if (type === 3 && count === 1) out.writeUInt16BE(value, e + 8); else out.writeUInt32BE(value, e + 8);
  });
  out.writeUInt32BE(8, arraysAt); out.writeUInt32BE(8 + strip1, arraysAt + 4);
  out.writeUInt32BE(strip1, arraysAt + 8); out.writeUInt32BE(data.length - strip1, arraysAt + 12);
  return out;
}

describe('pixel signature read from an uncompressed TIFF', () => {
  it.each(kinds)('$label: the samples as made, as sharp decodes them, and as opj_decompress decodes the JP2', async ({ label, channels, depth }) => {
    const base = join(dir, label.replace(/\W+/g, '_'));
    const made = { width: 97, height: 61, channels, depth, seed: 3 } as const;
    await makeTiff(`${base}.tif`, made);
    const stored = await storedTiffSignature(`${base}.tif`);
    expect(stored).toEqual({ sha512: createHash('sha512').update(makePixels(made)).digest('hex'), width: 97, height: 61, channels, depth });
    expect(await decodedSignature(`${base}.tif`)).toEqual(stored);
    await makeTiff(`${base}-lzw.tif`, { ...made, compression: 'lzw' });
    expect(await storedTiffSignature(`${base}-lzw.tif`)).toBeUndefined();
    expect(await pixelSignature(`${base}-lzw.tif`)).toEqual(stored);
    await makeEncoder({ tool: 'vips', threads: 1 }).encodeLossless(`${base}.tif`, `${base}.jp2`);
    await runChild('opj_decompress', ['-i', `${base}.jp2`, '-o', `${base}.decoded.tif`, '-quiet']);
    expect(await storedTiffSignature(`${base}.decoded.tif`)).toEqual(stored);
    expect(await pixelSignature(`${base}.jp2`, { tmpDir: dir })).toEqual(stored);
  });

  it('a JP2 damaged inside its codestream no longer matches its TIFF through the strip path', async () => {
    const base = join(dir, 'damaged');
    await makeTiff(`${base}.tif`, { width: 97, height: 61, seed: 11 });
    await makeEncoder({ tool: 'vips', threads: 1 }).encodeLossless(`${base}.tif`, `${base}.jp2`);
    const tiff = await pixelSignature(`${base}.tif`);
    expect(await pixelSignature(`${base}.jp2`, { tmpDir: dir })).toEqual(tiff);
    const jp2 = await readFile(`${base}.jp2`);
    for (let i = jp2.length - 400; i < jp2.length - 300; i++) jp2[i] ^= 0x5a; // code-block data near the end
    await writeFile(`${base}-damaged.jp2`, jp2);
    const damaged = await pixelSignature(`${base}-damaged.jp2`, { tmpDir: dir }).catch((e: Error) => e);
    if (!(damaged instanceof Error)) expect(damaged.sha512).not.toBe(tiff.sha512);
  });

  it('swaps big-endian 16-bit samples to the little-endian order signatures are made in', async () => {
    const [width, height] = [33, 21];
    for (const channels of [1, 3] as const) {
      const le = makePixels({ width, height, channels, depth: 16, seed: 9 });
      const samples = new Uint16Array(le.buffer, le.byteOffset, le.length / 2);
      const path = join(dir, `mm-${channels}.tif`);
      await writeFile(path, bigEndianTiff(width, height, channels, samples));
      const stored = await storedTiffSignature(path);
      expect(stored).toBeDefined();
      expect(stored).toEqual(await decodedSignature(path));
      expect(stored).toMatchObject({ width, height, channels, depth: 16 });
    }
  });

  it('leaves compressed TIFFs to sharp, with the same signature as the uncompressed scan', async () => {
    await makeTiff(join(dir, 'plain.tif'), { width: 50, height: 40, seed: 5 });
    await makeTiff(join(dir, 'lzw.tif'), { width: 50, height: 40, seed: 5, compression: 'lzw' });
    expect(await storedTiffSignature(join(dir, 'lzw.tif'))).toBeUndefined();
    expect(await pixelSignature(join(dir, 'lzw.tif'))).toEqual(await pixelSignature(join(dir, 'plain.tif')));
  });

  it('tells one changed sample apart, and refuses a file cut short inside its pixels', async () => {
    const path = join(dir, 'mm-3.tif');
    const before = await pixelSignature(path);
    const changed = Buffer.from(await readFile(path));
    changed[8 + 1000] ^= 1; // one bit of one sample, inside the first strip
    await writeFile(join(dir, 'changed.tif'), changed);
    const after = await pixelSignature(join(dir, 'changed.tif'));
    expect(after.sha512).not.toBe(before.sha512);
    expect(after).toEqual(await decodedSignature(join(dir, 'changed.tif')));
    // The directory sits after the pixels in this file: keep it and drop the pixels, so that the
    // strips it names lie past the end of the file (a copy stopped short, directory first).
    const whole = await readFile(join(dir, 'mm-1.tif'));
    const ifdAt = whole.readUInt32BE(4);
    const cut = Buffer.concat([whole.subarray(0, 8), whole.subarray(ifdAt)]);
    cut.writeUInt32BE(8, 4);
    // Offsets in the directory still point past the end of this shorter file.
    const shift = ifdAt - 8;
    const n = cut.readUInt16BE(8);
    for (let i = 0; i < n; i++) {
      const e = 10 + i * 12;
      const tag = cut.readUInt16BE(e);
      if (tag === 273 || tag === 279) cut.writeUInt32BE(cut.readUInt32BE(e + 8) - shift, e + 8);
    }
    await writeFile(join(dir, 'cut.tif'), cut);
    await expect(pixelSignature(join(dir, 'cut.tif'))).rejects.toThrow(/cannot decode cut\.tif: the file \(\d+ bytes\) ends before the 1386 bytes of its pixels \(truncated\)/);
  });
});
