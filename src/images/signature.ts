/**
 * Pixel signature: sha512 of the decoded samples in a fixed depth (the image's own, 8 or 16 bits)
 * and fixed byte order (little-endian), alpha kept. Equal signatures mean identical pixels,
 * whatever the container. The ICC profile is kept aside, never applied, so the stored samples are
 * what is hashed (sharp would otherwise convert a tagged scan to sRGB).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
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
  const meta = await sharp(path, { failOn: 'error' }).metadata();
  const channels = meta.channels ?? 0;
  const depth: 8 | 16 = meta.depth === 'ushort' || meta.depth === 'short' ? 16 : 8;
  if (meta.depth !== 'uchar' && meta.depth !== 'ushort' && meta.depth !== 'char' && meta.depth !== 'short') {
    throw new Error(`unsupported sample format "${meta.depth}": only 8- and 16-bit integer images are preserved`);
  }
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

/** One line naming a signature, for records and messages. */
export function signatureString(s: PixelSignature): string {
  return `sha512:${s.sha512};${s.width}x${s.height}x${s.channels}@${s.depth}`;
}
