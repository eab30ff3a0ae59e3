/**
 * Is this file a TIFF scan Distillery can preserve? Reads the first bytes to name what the file
 * really is, then decodes every pixel (streamed, constant memory) so that a truncated or corrupt
 * scan is caught before it is converted, not halfway through a run.
 */
import { open, stat } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp, { type Metadata } from 'sharp';

export interface ImageInspection {
  ok: boolean;
  /** Why the file cannot be used, in words an archivist understands. */
  reason?: string;
  width?: number;
  height?: number;
  channels?: number;
  bitsPerSample?: number;
  pages?: number;
  /** What the first bytes say the file is: "tiff", "jpeg", "png", "jp2", "pdf", … or "unknown". */
  format?: string;
}

/** Names the container format from the magic number; TIFF only when the header is a TIFF header. */
export function sniffFormat(head: Buffer): string {
  const h = (s: number, e: number) => head.subarray(s, e).toString('hex');
  if (h(0, 4) === '49492a00' || h(0, 4) === '4d4d002a') return 'tiff';
  if (h(0, 4) === '49492b00' || h(0, 4) === '4d4d002b') return 'tiff'; // BigTIFF
  if (h(0, 3) === 'ffd8ff') return 'jpeg';
  if (h(0, 8) === '89504e470d0a1a0a') return 'png';
  if (h(0, 12) === '0000000c6a5020200d0a870a') return 'jp2';
  if (h(0, 4) === 'ff4fff51') return 'j2k';
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'pdf';
  if (head.subarray(0, 6).toString('latin1') === 'GIF87a' || head.subarray(0, 6).toString('latin1') === 'GIF89a') return 'gif';
  if (head.subarray(0, 2).toString('latin1') === 'BM') return 'bmp';
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP') return 'webp';
  if (head.subarray(0, 4).toString('hex') === '504b0304') return 'zip';
  return 'unknown';
}

const FORMAT_WORDS: Record<string, string> = {
  jpeg: 'JPEG data', png: 'PNG data', jp2: 'JPEG 2000 data', j2k: 'JPEG 2000 codestream', pdf: 'PDF document',
  gif: 'GIF data', bmp: 'BMP data', webp: 'WebP data', zip: 'ZIP archive', unknown: 'not an image format Distillery knows',
};

/**
 * `decode: false` stops after the header checks, for callers that decode every pixel anyway
 * (convertFolder's signature does, and reports a failure there as a corrupt TIFF).
 */
export async function inspectImage(path: string, opts: { decode?: boolean } = {}): Promise<ImageInspection> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    return { ok: false, reason: `cannot read the file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
  if (size === 0) return { ok: false, reason: 'zero bytes' };

  const head = Buffer.alloc(16);
  const fh = await open(path, 'r');
  try {
    await fh.read(head, 0, 16, 0);
  } finally {
    await fh.close();
  }
  const format = sniffFormat(head);
  if (format !== 'tiff') return { ok: false, format, reason: `not a TIFF (${FORMAT_WORDS[format]})` };

  let meta: Metadata;
  try {
    meta = await sharp(path, { failOn: 'error' }).metadata();
  } catch (e) {
    return { ok: false, format, reason: `truncated or corrupt TIFF: its image directory cannot be read (${cleanMessage(e)})` };
  }
  const pages = meta.pages ?? 1;
  const facts = {
    format,
    width: meta.width,
    height: meta.height,
    channels: meta.channels,
    bitsPerSample: bitsOf(meta.depth),
    pages,
  };
  if (pages > 1) return { ok: false, ...facts, reason: `multi-page TIFF (${pages} pages) — split it first` };

  if (opts.decode === false) return { ok: true, ...facts };
  // Decode every pixel: the header of a truncated scan reads fine, its strips do not.
  try {
    await pipeline(sharp(path, { failOn: 'error', limitInputPixels: false }).raw(), new Writable({ write(_c, _e, cb) { cb(); } }));
  } catch (e) {
    return { ok: false, ...facts, reason: `truncated or corrupt TIFF: ${cleanMessage(e)}` };
  }
  return { ok: true, ...facts };
}

function bitsOf(depth: string | undefined): number | undefined {
  switch (depth) {
    case 'uchar': case 'char': return 8;
    case 'ushort': case 'short': return 16;
    case 'uint': case 'int': case 'float': return 32;
    case 'double': return 64;
    default: return undefined;
  }
}

/** libvips messages come with a trailing newline and sometimes several lines; keep the first useful one. */
export function cleanMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const lines = msg.split('\n').map((l) => l.trim()).filter(Boolean);
  return lines.slice(0, 2).join('; ') || 'unknown error';
}
