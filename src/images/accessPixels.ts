/**
 * One decode of a preserved image for its access copies: the TIFF through sharp (cheapest; its
 * pixels were proven identical to the JP2's), or the verified JP2 through opj_decompress when the
 * TIFF is gone. The pixels are made 8-bit grey or sRGB without alpha (JPEG has none, and
 * Tesseract silently returns nothing for 16-bit grey); every access derivative is made from this
 * one buffer in memory.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import sharp, { type Sharp } from 'sharp';
import { PermanentError, policies } from '../policies.js';
import { runChild } from '../childProcess.js';

/** Width, height and channels (1 grey, 3 RGB) of decoded 8-bit pixels. */
export interface RawInfo {
  width: number;
  height: number;
  channels: number;
}

export interface AccessPixels {
  data: Buffer;
  info: RawInfo;
}

export interface PixelSource {
  sourcePath: string;
  jp2Path: string;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** Decodes the image once; `work` is a private temporary folder for the JP2's decoded TIFF. */
export async function decodeForAccess(src: PixelSource, opjDecompressCommand: string, work: string, signal?: AbortSignal): Promise<AccessPixels> {
  let input = src.sourcePath;
  if (!(await exists(input))) {
    if (!(await exists(src.jp2Path))) {
      throw new PermanentError(`Neither the TIFF ${src.sourcePath} nor its JP2 ${src.jp2Path} exists; run the distill step again.`);
    }
    input = join(work, 'decoded.tif');
    const r = await runChild(opjDecompressCommand, ['-i', src.jp2Path, '-o', input], { policy: policies.imageTool, signal, exit: 'return' });
    if (r.code !== 0) throw new PermanentError(`opj_decompress could not decode ${src.jp2Path}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  const image = sharp(input, { limitInputPixels: false });
  const meta = await image.metadata();
  const grey = (meta.channels ?? 3) <= 2;
  return image
    .removeAlpha()
    .toColourspace(grey ? 'b-w' : 'srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
}

/** A sharp pipeline over decoded pixels, for one derivative. */
export function fromPixels(px: AccessPixels): Sharp {
  const s = sharp(px.data, { raw: { width: px.info.width, height: px.info.height, channels: px.info.channels as 1 | 3 }, limitInputPixels: false });
  return px.info.channels === 1 ? s.toColourspace('b-w') : s;
}
