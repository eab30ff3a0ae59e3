/**
 * Access derivatives of one page, from one decode of the preserved image: the TIFF through sharp
 * (cheapest), or the verified JP2 through opj_decompress when the TIFF is gone. The decoded
 * pixels are made 8-bit first (Tesseract silently returns nothing for 16-bit grey), written once
 * as PNM for the JP2 encoder and Tesseract, and resized in memory for JPG and TN.
 */
import { copyFile, mkdtemp, rename, rm, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { PermanentError, policies } from '../../policies.js';
import { decodeForAccess, type RawInfo } from '../../images/accessPixels.js';
import { ChildProcessError, runChild, type ChildResult } from '../../childProcess.js';
import type { Jp2Encoder } from './settings.js';
import type { MetadataWriter } from '../../images/metadata.js';
import type { XmpFields } from '../../images/xmp.js';
import { timePhase, type Reporter } from '../../runs/reporter.js';

export interface DerivativeOptions {
  jp2Encoder: Jp2Encoder;
  jp2BitsPerPixel: number;
  opjCompressCommand: string;
  opjDecompressCommand: string;
  kduCompressCommand?: string;
  tesseractCommand: string;
}

export interface PageSource {
  sourcePath: string;
  jp2Path: string;
}

export interface PageResult {
  width: number;
  height: number;
  /** False when OCR timed out or failed; the page is published without OCR/HOCR. */
  ocr: boolean;
  ocrProblem?: string;
}

async function writePnm(path: string, data: Buffer, info: RawInfo): Promise<void> {
  const magic = info.channels === 1 ? 'P5' : 'P6';
  const fh = await open(path, 'w');
  try {
    await fh.write(`${magic}\n${info.width} ${info.height}\n255\n`);
    await fh.write(data);
  } finally {
    await fh.close();
  }
}

function resolutions(width: number, height: number): number {
  // Kakadu Clevels=7 → 8 resolutions, fewer for small images (each level halves the size).
  return Math.max(1, Math.min(8, Math.floor(Math.log2(Math.min(width, height))) - 2));
}

async function encodeJp2(pnm: string, out: string, info: RawInfo, o: DerivativeOptions, signal?: AbortSignal): Promise<void> {
  const opts = { policy: policies.imageTool, signal, exit: 'return' } as const;
  let r: ChildResult;
  if (o.jp2Encoder === 'kakadu') {
    r = await runChild(o.kduCompressCommand ?? 'kdu_compress', [
      '-i', pnm, '-o', out, '-rate', String(o.jp2BitsPerPixel), 'Clayers=1', `Clevels=${resolutions(info.width, info.height) - 1}`,
      'Cprecincts={256,256},{256,256},{256,256},{128,128},{128,128},{64,64},{64,64},{32,32},{16,16}',
      'Corder=RPCL', 'ORGgen_plt=yes', 'ORGtparts=R', 'Cblk={32,32}', 'Cuse_sop=yes',
    ], opts);
  } else {
    // opj_compress takes a compression ratio, not bits per pixel.
    const ratio = Math.max(1, (8 * info.channels) / o.jp2BitsPerPixel);
    r = await runChild(o.opjCompressCommand, [
      '-i', pnm, '-o', out, '-r', ratio.toFixed(2), '-n', String(resolutions(info.width, info.height)),
      '-p', 'RPCL', '-b', '32,32', '-SOP', '-PLT', '-TP', 'R', '-threads', '1',
    ], opts);
  }
  if (r.code !== 0) throw new PermanentError(`The access JP2 encoder failed on ${pnm}: ${(r.stderr || r.stdout).trim()}`);
}

async function ocr(pnm: string, pageDir: string, work: string, o: DerivativeOptions, signal?: AbortSignal): Promise<Pick<PageResult, 'ocr' | 'ocrProblem'>> {
  const base = join(work, 'ocr');
  let r: ChildResult;
  try {
    r = await runChild(o.tesseractCommand, [pnm, base, 'txt', 'hocr'], {
      tool: 'Tesseract',
      env: { ...process.env, OMP_THREAD_LIMIT: '1' },
      policy: policies.ocr,
      signal,
      exit: 'return',
    });
  } catch (err) {
    // A page whose OCR hangs is published without OCR; a stopped run stops.
    if (err instanceof ChildProcessError && err.kind === 'timeout') return { ocr: false, ocrProblem: err.message };
    throw err;
  }
  if (r.code !== 0) return { ocr: false, ocrProblem: `Tesseract failed: ${r.stderr.trim()}` };
  await rename(`${base}.txt`, join(pageDir, 'OCR.txt'));
  await rename(`${base}.hocr`, join(pageDir, 'HOCR.html'));
  return { ocr: true };
}

/** The XMP-dc fields of the preservation image and the writer that embeds them in each derivative. */
export interface DerivativeXmp {
  fields: XmpFields;
  writer: MetadataWriter;
}

/**
 * Writes OBJ.jp2, JP2.jp2, JPG.jpg, TN.jpg, OCR.txt and HOCR.html into pageDir (MODS is the
 * caller's); OBJ, JP2, JPG and TN carry the preservation image's XMP-dc fields when `xmp` is given.
 */
export async function makePageDerivatives(src: PageSource, pageDir: string, o: DerivativeOptions, xmp?: DerivativeXmp, signal?: AbortSignal, reporter?: Reporter): Promise<PageResult> {
  const embed = async (path: string) => {
    if (xmp) await xmp.writer.write(path, xmp.fields);
  };
  const work = await mkdtemp(join(tmpdir(), 'distillery-page-'));
  try {
    const { data, info } = await timePhase(reporter, 'access decode', () => decodeForAccess(src, o.opjDecompressCommand, work, signal));
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels as 1 | 2 | 3 | 4 } };
    const pnm = join(work, info.channels === 1 ? 'page.pgm' : 'page.ppm');
    await writePnm(pnm, data, info);
    const [ocrResult] = await Promise.all([
      timePhase(reporter, 'OCR', () => ocr(pnm, pageDir, work, o, signal)),
      timePhase(reporter, 'access derivatives', () => Promise.all([
        encodeJp2(pnm, join(pageDir, 'OBJ.jp2'), info, o, signal)
          .then(() => embed(join(pageDir, 'OBJ.jp2')))
          .then(() => copyFile(join(pageDir, 'OBJ.jp2'), join(pageDir, 'JP2.jp2'))),
        sharp(data, raw).resize(600, 800, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 75 }).toFile(join(pageDir, 'JPG.jpg')).then(() => embed(join(pageDir, 'JPG.jpg'))),
        sharp(data, raw).resize(200, 200, { fit: 'inside', withoutEnlargement: true }).jpeg({ quality: 75 }).toFile(join(pageDir, 'TN.jpg')).then(() => embed(join(pageDir, 'TN.jpg'))),
      ])),
    ]);
    return { width: info.width, height: info.height, ...ocrResult };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
