/**
 * Pixel signature: sha512 of the decoded samples in a fixed depth (the image's own, 8 or 16 bits)
 * and fixed byte order (little-endian), alpha kept. Equal signatures mean identical pixels,
 * whatever the container. The ICC profile is kept aside, never applied, so the stored samples are
 * what is hashed (sharp would otherwise convert a tagged scan to sRGB).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { endianness, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import { cleanMessage } from './inspect.js';
import { runChild } from '../childProcess.js';
import { policies } from '../policies.js';

export interface PixelSignature { sha512: string; width: number; height: number; channels: number; depth: 8 | 16 }

export interface SignatureOptions {
  /** opj_decompress command used to decode JPEG 2000 (sharp cannot). */
  opjDecompress?: string;
  threads?: number;
  /** Where the decoded temporary TIFF goes; defaults to the system temp folder. */
  tmpDir?: string;
  signal?: AbortSignal;
}

export async function pixelSignature(path: string, opts: SignatureOptions = {}): Promise<PixelSignature> {
  if (/\.(jp2|j2k|jpf|jpx)$/i.test(path)) return jp2Signature(path, opts);
  return rasterSignature(path);
}

async function jp2Signature(path: string, opts: SignatureOptions): Promise<PixelSignature> {
  const dir = await mkdtemp(join(opts.tmpDir ?? tmpdir(), 'distillery-decode-'));
  try {
    const decoded = join(dir, `${basename(path).replace(/\.[^.]+$/, '')}.tif`);
    await runChild(opts.opjDecompress ?? 'opj_decompress',
      ['-i', path, '-o', decoded, '-threads', String(Math.max(1, opts.threads ?? 1)), '-quiet'], { signal: opts.signal, policy: policies.imageTool });
    return await rasterSignature(decoded);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function rasterSignature(path: string): Promise<PixelSignature> {
  return (await storedTiffSignature(path)) ?? (await decodedSignature(path));
}

/** The signature through a full decode by sharp (libvips): any format and layout it reads. */
export async function decodedSignature(path: string): Promise<PixelSignature> {
  const meta = await sharp(path, { failOn: 'error' }).metadata();
  const channels = meta.channels ?? 0;
  const depth: 8 | 16 = meta.depth === 'ushort' || meta.depth === 'short' ? 16 : 8;
  if (meta.depth !== 'uchar' && meta.depth !== 'ushort' && meta.depth !== 'char' && meta.depth !== 'short') {
    throw new Error(`unsupported sample format "${meta.depth}": only 8- and 16-bit integer images are preserved`);
  }
  if (depth === 8 && channels === 2) return greyAlphaSignature(path);
  let img = sharp(path, { failOn: 'error', limitInputPixels: false }).keepIccProfile();
  // Without an explicit 16-bit colourspace sharp silently reduces 16-bit samples to 8 bits.
  if (depth === 16) img = img.toColourspace(channels <= 2 ? 'grey16' : 'rgb16').raw({ depth: 'ushort' });
  else img = (channels <= 2 ? img.toColourspace('b-w') : img).raw();
  const hash = createHash('sha512');
  const swap = depth === 16 && endianness() === 'BE';
  let carry: Buffer | null = null;
  let bytes = 0;
  try {
    await pipeline(
      img,
      new Transform({
        transform(chunk: Buffer, _e, cb) {
          bytes += chunk.length;
          if (!swap) return cb(null, chunk);
          const b = carry ? Buffer.concat([carry, chunk]) : Buffer.from(chunk);
          const even = b.length - (b.length % 2);
          carry = even < b.length ? b.subarray(even) : null;
          cb(null, b.subarray(0, even).swap16());
        },
      }),
      new Writable({ write(c: Buffer, _e, cb) { hash.update(c); cb(); } }),
    );
  } catch (e) {
    throw new Error(`cannot decode ${basename(path)}: ${cleanMessage(e)}`);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  const expected = width * height * channels * (depth / 8);
  if (bytes !== expected) {
    throw new Error(`decoded ${bytes} bytes from ${basename(path)} where ${width}x${height}x${channels} at ${depth} bits needs ${expected}`);
  }
  return { sha512: hash.digest('hex'), width, height, channels, depth };
}

/**
 * 8-bit grey with alpha that is not stored uncompressed: sharp's grey output has one band (the
 * alpha would be dropped), so the grey and the alpha are decoded one band at a time and
 * interleaved. Holds the image three times over (bytes per pixel: 1 + 1 + 2); such scans are rare.
 */
async function greyAlphaSignature(path: string): Promise<PixelSignature> {
  const band = async (n: 0 | 1) => {
    try {
      return await sharp(path, { failOn: 'error', limitInputPixels: false }).extractChannel(n).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    } catch (e) {
      throw new Error(`cannot decode ${basename(path)}: ${cleanMessage(e)}`);
    }
  };
  const grey = await band(0);
  const alpha = await band(1);
  const { width, height } = grey.info;
  if (grey.data.length !== width * height || alpha.data.length !== width * height) {
    throw new Error(`decoded ${grey.data.length} + ${alpha.data.length} bytes from ${basename(path)} where ${width}x${height} grey and alpha need ${width * height} each`);
  }
  const both = Buffer.allocUnsafe(width * height * 2);
  for (let i = 0; i < width * height; i++) {
    both[2 * i] = grey.data[i];
    both[2 * i + 1] = alpha.data[i];
  }
  return { sha512: createHash('sha512').update(both).digest('hex'), width, height, channels: 2, depth: 8 };
}

/** One line naming a signature, for records and messages. */
export function signatureString(s: PixelSignature): string {
  return `sha512:${s.sha512};${s.width}x${s.height}x${s.channels}@${s.depth}`;
}

/** Where an uncompressed TIFF keeps its samples, and what they are. */
interface StoredLayout {
  width: number;
  height: number;
  channels: number;
  depth: 8 | 16;
  bigEndian: boolean;
  /** Byte ranges holding the samples in order (adjacent strips joined). */
  runs: { offset: number; length: number }[];
}

/** Bytes read and hashed at a time from an uncompressed TIFF. */
const CHUNK = 1 << 20;

/**
 * The signature of an uncompressed TIFF read straight from its strips, or undefined when the file
 * is not one this reads (then sharp decodes it). The samples of such a TIFF (what opj_decompress
 * writes when it checks a JP2, and what many scanners write) are its bytes: hashing them from the
 * file costs a read and the sha512, where a decode through sharp adds a copy of every sample
 * (about 0.1 s of CPU per 24-megapixel 8-bit image, 0.2 s at 16 bits). Same signature as sharp's:
 * the samples as stored, interleaved, little-endian, alpha kept, no profile applied.
 */
export async function storedTiffSignature(path: string): Promise<PixelSignature | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch {
    return undefined; // sharp says why
  }
  try {
    const size = (await fh.stat()).size;
    const layout = await storedLayout(fh, size);
    if (!layout) return undefined;
    const { width, height, channels, depth } = layout;
    const expected = width * height * channels * (depth / 8);
    if (layout.runs.some((r) => r.offset + r.length > size)) {
      throw new Error(`cannot decode ${basename(path)}: the file (${size} bytes) ends before the ${expected} bytes of its pixels (truncated)`);
    }
    const hash = createHash('sha512');
    const buf = Buffer.allocUnsafe(CHUNK);
    const swap = depth === 16 && layout.bigEndian;
    for (const run of layout.runs) {
      for (let done = 0; done < run.length;) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(CHUNK, run.length - done), run.offset + done);
        if (bytesRead === 0 || (swap && bytesRead % 2)) throw new Error(`cannot decode ${basename(path)}: its pixels could not be read whole`);
        const chunk = buf.subarray(0, bytesRead);
        hash.update(swap ? chunk.swap16() : chunk);
        done += bytesRead;
      }
    }
    return { sha512: hash.digest('hex'), width, height, channels, depth };
  } finally {
    await fh.close();
  }
}

/**
 * The layout of a classic TIFF holding one uncompressed, strip-organised, contiguous image of 8- or
 * 16-bit unsigned samples: grey or RGB, with at most one alpha. Anything else (compressed, tiled,
 * planar, signed or float samples, white-is-zero, palette, CMYK, YCbCr, more than one image,
 * BigTIFF, a directory that does not add up) is left to sharp.
 */
async function storedLayout(fh: FileHandle, size: number): Promise<StoredLayout | undefined> {
  const read = async (offset: number, length: number): Promise<Buffer | undefined> => {
    if (offset < 0 || length < 0 || offset + length > size) return undefined;
    const b = Buffer.alloc(length);
    const { bytesRead } = await fh.read(b, 0, length, offset);
    return bytesRead === length ? b : undefined;
  };
  const head = await read(0, 8);
  if (!head) return undefined;
  const order = head.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const be = order === 'MM';
  const u16 = (b: Buffer, o: number) => (be ? b.readUInt16BE(o) : b.readUInt16LE(o));
  const u32 = (b: Buffer, o: number) => (be ? b.readUInt32BE(o) : b.readUInt32LE(o));
  if (u16(head, 2) !== 42) return undefined; // BigTIFF (43) and anything else
  const ifd = u32(head, 4);
  const countBuf = await read(ifd, 2);
  if (!countBuf) return undefined;
  const n = u16(countBuf, 0);
  const dir = await read(ifd + 2, n * 12 + 4);
  if (!dir) return undefined;
  if (u32(dir, n * 12) !== 0) return undefined; // a second image: sharp reads the first as it always did
  const tags = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const e = i * 12;
    const tag = u16(dir, e), type = u16(dir, e + 2), count = u32(dir, e + 4);
    const width = type === 3 ? 2 : type === 4 ? 4 : 0; // SHORT, LONG; no other type is read
    if (!width) { tags.set(tag, []); continue; }
    if (count > 1 << 24) return undefined;
    const inline = width * count <= 4;
    const data = inline ? dir.subarray(e + 8, e + 12) : await read(u32(dir, e + 8), width * count);
    if (!data) return undefined;
    const values: number[] = [];
    for (let k = 0; k < count; k++) values.push(width === 2 ? u16(data, k * 2) : u32(data, k * 4));
    tags.set(tag, values);
  }
  const one = (tag: number, fallback?: number): number | undefined => {
    const v = tags.get(tag);
    if (v === undefined) return fallback;
    return v.length === 1 ? v[0] : undefined;
  };
  const width = one(256), height = one(257);
  const channels = one(277, 1);
  const compression = one(259, 1), photometric = one(262), planar = one(284, 1);
  const bits = tags.get(258) ?? [1];
  const formats = tags.get(339) ?? [1];
  const extra = tags.get(338) ?? [];
  const offsets = tags.get(273), counts = tags.get(279);
  if (!width || !height || !channels || compression !== 1 || planar !== 1 || !offsets || !counts) return undefined;
  if ([322, 323, 324, 325, 347, 530].some((t) => tags.has(t))) return undefined; // tiles, JPEG tables, subsampling
  const depth = bits[0];
  if ((depth !== 8 && depth !== 16) || bits.length !== channels || bits.some((b) => b !== depth)) return undefined;
  if (formats.some((f) => f !== 1)) return undefined;
  const colours = photometric === 2 ? 3 : photometric === 1 ? 1 : 0;
  // At most one extra sample, alpha, kept as stored as sharp keeps it: marked associated or not, or
  // not marked at all (opj_decompress writes RGBA and grey-alpha without ExtraSamples).
  if (!colours || channels - colours > 1 || channels < colours || extra.length > channels - colours) return undefined;
  const rowsPerStrip = Math.min(one(278, 0xffffffff) ?? 0, height);
  if (!rowsPerStrip) return undefined;
  const rowBytes = width * channels * (depth / 8);
  const strips = Math.ceil(height / rowsPerStrip);
  if (offsets.length !== strips || counts.length !== strips) return undefined;
  const runs: { offset: number; length: number }[] = [];
  for (let i = 0; i < strips; i++) {
    const need = Math.min(rowsPerStrip, height - i * rowsPerStrip) * rowBytes;
    if (counts[i] < need) return undefined; // sharp reports what is wrong with it
    const prev = runs.at(-1);
    if (prev && prev.offset + prev.length === offsets[i]) prev.length += need;
    else runs.push({ offset: offsets[i], length: need });
  }
  return { width, height, channels, depth, bigEndian: be, runs };
}
