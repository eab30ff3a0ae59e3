/**
 * Generated TIFF scans for the demo collection (and for tests that want realistic pages):
 * a paper-coloured page with lines of "text", a page number, and noise, so that JPEG 2000
 * compression has something real to do. 8-bit RGB by default; 16-bit grey on request.
 */
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';

export interface ScanOptions {
  width?: number;
  height?: number;
  depth?: 8 | 16;
  channels?: 1 | 3;
  /** Varies the page so that every scan is different. */
  seed?: number;
  label?: string;
}

export async function writeSampleScan(path: string, opts: ScanOptions = {}): Promise<void> {
  const width = opts.width ?? 1200;
  const height = opts.height ?? 900;
  const channels = opts.channels ?? 3;
  const seed = opts.seed ?? 1;
  const raw = Buffer.alloc(width * height * channels);
  let rnd = seed * 2654435761 >>> 0;
  const next = () => ((rnd = (rnd * 1664525 + 1013904223) >>> 0) >>> 24);
  for (let y = 0; y < height; y++) {
    const line = y > height * 0.1 && y < height * 0.9 && (y % 40) < 14 && (y % 40) > 4;
    for (let x = 0; x < width; x++) {
      const margin = x < width * 0.1 || x > width * 0.9;
      const ink = line && !margin && ((x * 7 + y * 3 + seed * 13) % 23) < 15;
      const base = ink ? 60 : 232 - Math.round((y / height) * 18);
      const n = (next() % 9) - 4;
      const i = (y * width + x) * channels;
      if (channels === 1) raw[i] = clamp(base + n);
      else {
        raw[i] = clamp(base + n);
        raw[i + 1] = clamp(base - 6 + n);
        raw[i + 2] = clamp(base - 22 + n);
      }
    }
  }
  await mkdir(dirname(path), { recursive: true });
  let image = sharp(raw, { raw: { width, height, channels } });
  if (opts.label) {
    const svg = `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg"><text x="${Math.round(width * 0.1)}" y="${Math.round(height * 0.07)}" font-family="sans-serif" font-size="${Math.round(height / 22)}" fill="#333">${escapeXml(opts.label)}</text></svg>`;
    const composed = image.composite([{ input: Buffer.from(svg), top: 0, left: 0 }]);
    const flat = channels === 1 ? composed.toColourspace('b-w') : composed.removeAlpha();
    const { data, info } = await flat.raw().toBuffer({ resolveWithObject: true });
    image = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  }
  if (opts.depth === 16) image = image.toColourspace(channels === 1 ? 'grey16' : 'rgb16');
  await image.tiff({ compression: 'lzw' }).toFile(path);
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}
