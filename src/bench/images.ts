/**
 * Image benchmark, on generated 24-megapixel 8- and 16-bit RGB TIFFs (`--quick`: 1.5 megapixels),
 * as many images as are converted at once (IMAGE_CONCURRENCY), medians of three runs:
 *
 * - the floor of a verified conversion: a bare lossless JP2 encode plus a bare verifying decode
 *   (`opj_decompress` with the threads the check uses) of the same images at the same parallelism,
 *   and the convert step (src/images/convertFolder.ts: TIFF decode and signature, encode, XMP,
 *   verifying decode and comparison, technical facts, digests) against it: everything but the two
 *   codec passes must hide behind them or be negligible (goal ≤ 1.05);
 * - the original's way on the same images in the same run: per image, one after another, a pixel
 *   signature of the TIFF, `convert` to lossless JP2, a new exiftool process to write the XMP and a
 *   signature of the JP2 (ImageMagick's `identify -format %#`). Where ImageMagick is not installed
 *   (`/usr/bin/convert`, `/usr/bin/identify`; `/usr/local/bin/convert` may be something else), its
 *   codec is stood in for by what it runs inside, OpenJPEG on one thread: `opj_compress` for the
 *   encode and `opj_decompress` plus a hash of the pixels for the JP2's signature;
 * - exiftool's warm pool against one process per file, and the peak memory of the convert step.
 */
import { execFile } from 'node:child_process';
import { access, copyFile, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import sharp from 'sharp';
import pLimit from 'p-limit';
import { convertFolder, ImageIdRegistry, MetadataWriter, type FolderImage, type Jp2Encoder } from '../images/index.js';
import { pixelSignature } from '../images/signature.js';
import { encoderFromSettings } from '../images/tools.js';
import { readImageSettings } from '../images/settings.js';
import { SettingsReader } from '../settings/reader.js';
import { silentReporter } from '../runs/reporter.js';
import { runChild } from '../childProcess.js';
import type { BenchRow } from './types.js';
import { processTree } from '../osProcess.js';

export interface ImageBenchOptions {
  quick: boolean;
  /** Override settings (JP2_ENCODER, IMAGE_CONCURRENCY, …); defaults as a fresh install. */
  settings?: Record<string, string>;
  runs?: number;
}

const XMP = { title: 'Bench [image 0001]', identifier: 'abcd_efgh', publisher: 'Bench', source: 'Bench', rights: 'Bench' };

export async function benchImages(opts: ImageBenchOptions): Promise<BenchRow[]> {
  const settings = readImageSettings(new SettingsReader(opts.settings ?? {}));
  const [width, height] = opts.quick ? [1500, 1000] : [6000, 4000];
  const runs = opts.runs ?? 3;
  const parallel = settings.concurrency;
  const encoder = encoderFromSettings(settings);
  const decodeThreads = Math.max(1, Math.floor(availableParallelism() / parallel));
  const magick = await imageMagick();
  const dir = await mkdtemp(join(tmpdir(), 'distillery-bench-images-'));
  const rows: BenchRow[] = [
    { name: `images: ${width}x${height} RGB, ${parallel} at once, encoder ${encoder.name}, decoder ${settings.opjDecompressCmd} -threads ${decodeThreads}, medians of ${runs} runs`, value: `${availableParallelism()} cores` },
    { name: `images: the original's way with ${magick ? 'ImageMagick (convert, identify -format %#)' : 'OpenJPEG on one thread (opj_compress; opj_decompress + pixel hash), as ImageMagick is not installed'}`, value: '' },
  ];
  const metadata = new MetadataWriter({ maxProcs: availableParallelism() });
  const memory = new PeakMemory();
  // One registry for all runs: ids are per source and reused, as in production.
  const registry = await ImageIdRegistry.open(join(dir, 'ids.json'));
  try {
    for (const depth of [8, 16] as const) {
      const images: FolderImage[] = [];
      const src = join(dir, `bench${depth}`);
      await mkdir(src);
      await writeTiff(join(src, `bench${depth}_0001.tif`), width, height, depth);
      for (let i = 1; i <= parallel; i++) {
        const stem = `bench${depth}_${String(i).padStart(4, '0')}`;
        if (i > 1) await copyFile(join(src, `bench${depth}_0001.tif`), join(src, `${stem}.tif`));
        images.push({ path: join(src, `${stem}.tif`), name: `${stem}.tif`, stem, sequence: String(i).padStart(4, '0') });
      }
      const bare: number[] = [];
      const decode: number[] = [];
      const full: number[] = [];
      const original: number[] = [];
      for (let r = 0; r < runs; r++) {
        const out = join(dir, `bare${depth}-${r}`);
        await mkdir(out);
        bare.push((await timed(() => encodeAll(encoder, images, out, parallel))) / images.length);
        decode.push((await timed(() => decodeAll(settings.opjDecompressCmd, decodeThreads, images, out, parallel))) / images.length);
        await rm(out, { recursive: true, force: true });
        const outFull = join(dir, `full${depth}-${r}`);
        memory.start();
        full.push((await timed(() => convertFolder({
          images, outDir: outFull, encoder, metadata, concurrency: parallel, reporter: silentReporter,
          opjDecompress: settings.opjDecompressCmd, decodeThreads,
          ids: registry, xmp: (img, id) => ({ ...XMP, title: `Bench [image ${img.sequence}]`, identifier: id }),
        }).then((res) => { if (res.failed.length) throw new Error(res.failed[0].reason); }))) / images.length);
        memory.stop();
        if (r < runs - 1) await rm(outFull, { recursive: true, force: true });
        const outOriginal = join(dir, `original${depth}-${r}`);
        await mkdir(outOriginal);
        original.push((await timed(() => originalWay(images, depth, outOriginal, magick, settings.opjDecompressCmd, dir))) / images.length);
        await rm(outOriginal, { recursive: true, force: true });
      }
      const [b, d, f, o] = [median(bare), median(decode), median(full), median(original)];
      rows.push({ name: `images ${depth}-bit: bare JP2 encode per image`, value: `${b.toFixed(2)} s` });
      rows.push({ name: `images ${depth}-bit: bare verifying decode per image`, value: `${d.toFixed(2)} s` });
      rows.push({ name: `images ${depth}-bit: convert step per image`, value: `${f.toFixed(2)} s` });
      rows.push({ name: `images ${depth}-bit: convert step / (bare encode + bare decode)`, value: (f / (b + d)).toFixed(2), goal: '≤ 1.05', ok: f / (b + d) <= 1.05 });
      rows.push({ name: `images ${depth}-bit: the original's way per image, one after another`, value: `${o.toFixed(2)} s` });
      rows.push({ name: `images ${depth}-bit: convert step / the original's way`, value: (f / o).toFixed(2), goal: '≤ 0.25', ok: f / o <= 0.25 });
    }
    rows.push(...(await benchExiftool(dir, metadata)));
    rows.push({ name: 'images: peak memory of the convert step (Node + tools, sampled)', value: `${Math.round(memory.peak / 1024 / 1024)} MB` });
  } finally {
    memory.stop();
    await metadata.end();
    await rm(dir, { recursive: true, force: true });
  }
  return rows;
}

async function encodeAll(encoder: Jp2Encoder, images: FolderImage[], out: string, parallel: number): Promise<void> {
  const limit = pLimit(parallel);
  await Promise.all(images.map((img) => limit(() => encoder.encodeLossless(img.path, join(out, `${img.stem}.jp2`)))));
}

/** The decode the check runs, alone: each JP2 in `out` to a TIFF, as many at once as are converted. */
async function decodeAll(command: string, threads: number, images: FolderImage[], out: string, parallel: number): Promise<void> {
  const limit = pLimit(parallel);
  await Promise.all(images.map((img) => limit(() =>
    runChild(command, ['-i', join(out, `${img.stem}.jp2`), '-o', join(out, `${img.stem}.decoded.tif`), '-threads', String(threads), '-quiet']))));
}

/** ImageMagick's tools when they are installed and can write JP2; undefined otherwise. */
async function imageMagick(): Promise<{ convert: string; identify: string } | undefined> {
  const tools = { convert: '/usr/bin/convert', identify: '/usr/bin/identify' };
  try {
    await access(tools.convert);
    await access(tools.identify);
    const r = await runChild(tools.convert, ['-list', 'format'], { exit: 'return' });
    return /^\s*JP2\*?\s+\S+\s+rw/m.test(r.stdout) ? tools : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The original's conversion of each image, one after another: signature of the TIFF, `convert` to
 * lossless JP2, a new exiftool process for the XMP, signature of the JP2 (compared).
 */
async function originalWay(images: FolderImage[], depth: 8 | 16, out: string, magick: { convert: string; identify: string } | undefined, opjDecompress: string, tmp: string): Promise<void> {
  const exiftool = createRequire(import.meta.url).resolve('exiftool-vendored.pl/bin/exiftool');
  for (const img of images) {
    const jp2 = join(out, `${img.stem}.jp2`);
    let before: string;
    let after: string;
    if (magick) {
      before = (await runChild(magick.identify, ['-format', '%#', img.path])).stdout.trim();
      await runChild(magick.convert, [img.path, '-quality', '0', jp2]);
    } else {
      before = (await pixelSignature(img.path)).sha512;
      await runChild('opj_compress', ['-i', img.path, '-o', jp2]);
    }
    await runChild('perl', [exiftool, '-overwrite_original', `-XMP-dc:Title=${XMP.title}`, `-XMP-dc:Identifier=${XMP.identifier}`,
      `-XMP-dc:Publisher=${XMP.publisher}`, `-XMP-dc:Source=${XMP.source}`, `-XMP-dc:Rights=${XMP.rights}`, jp2]);
    if (magick) after = (await runChild(magick.identify, ['-format', '%#', jp2])).stdout.trim();
    else after = (await pixelSignature(jp2, { opjDecompress, threads: 1, tmpDir: tmp })).sha512;
    // ImageMagick's 16-bit signature depends on the container's byte order (so the original's check
    // could not pass for 16-bit scans); only the 8-bit ones must match.
    if (before !== after && (!magick || depth === 8)) throw new Error(`the original's way: signatures of ${img.name} and its JP2 differ`);
  }
}

async function benchExiftool(dir: string, metadata: MetadataWriter): Promise<BenchRow[]> {
  const jp2s = (await readdir(join(dir))).filter((d) => d.startsWith('full8-'));
  const sample = join(dir, jp2s[jp2s.length - 1]);
  const file = (await readdir(sample)).find((f) => f.endsWith('.jp2'));
  if (!file) return [{ name: 'exiftool', value: 'no JP2 to measure', ok: false }];
  const n = 8;
  const copies: string[] = [];
  for (let i = 0; i < 2 * n; i++) {
    const p = join(dir, `xmp-${i}.jp2`);
    await copyFile(join(sample, file), p);
    copies.push(p);
  }
  const xmp = { title: 'T [image 0001]', identifier: 'abcd_efgh', publisher: 'P', source: 'S', rights: 'R' };
  await metadata.write(copies[0], xmp); // warm: the pool is already running in a real run
  const warm = (await timed(() => Promise.all(copies.slice(0, n).map((p) => metadata.write(p, xmp))))) / n;
  const exiftool = createRequire(import.meta.url).resolve('exiftool-vendored.pl/bin/exiftool');
  const run = promisify(execFile);
  const cold = (await timed(async () => {
    // The original: one perl exiftool process per file, one file after another.
    for (const p of copies.slice(n)) {
      await run('perl', [exiftool, '-overwrite_original', `-XMP-dc:Title=${xmp.title}`, `-XMP-dc:Identifier=${xmp.identifier}`,
        `-XMP-dc:Publisher=${xmp.publisher}`, `-XMP-dc:Source=${xmp.source}`, `-XMP-dc:Rights=${xmp.rights}`, p]);
    }
  })) / n;
  return [
    { name: 'exiftool: XMP write per file, warm pool', value: `${(warm * 1000).toFixed(0)} ms` },
    { name: 'exiftool: XMP write per file, one process each', value: `${(cold * 1000).toFixed(0)} ms` },
    { name: 'exiftool: warm pool speed-up', value: `${(cold / warm).toFixed(1)}×`, goal: '≥ 10×', ok: cold / warm >= 10 },
  ];
}

export async function writeTiff(path: string, width: number, height: number, depth: 8 | 16): Promise<void> {
  const n = width * height * 3;
  let x = 2463534242;
  if (depth === 8) {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      const p = (i / 3) | 0;
      b[i] = ((p % width) + ((p / width) | 0) + (x & 15)) & 255;
    }
    await sharp(b, { raw: { width, height, channels: 3 } }).tiff({ compression: 'none' }).toFile(path);
  } else {
    const a = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      const p = (i / 3) | 0;
      a[i] = ((p % width) * 7 + ((p / width) | 0) * 5 + (x & 255)) & 65535;
    }
    await sharp(a, { raw: { width, height, channels: 3 } }).toColourspace('rgb16').tiff({ compression: 'none' }).toFile(path);
  }
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Peak resident memory of this process plus its descendants (the encoders, decoders, exiftool),
 * sampled from /proc every 100 ms through the process tree only (processTree): reading every
 * process's stat instead cost a third of a core here, charged to the convert step it measures.
 */
class PeakMemory {
  peak = 0;
  private timer?: NodeJS.Timeout;
  private busy = false;
  start(): void {
    this.stop();
    this.timer = setInterval(() => { void this.sample(); }, 100);
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
  private async sample(): Promise<void> {
    if (this.busy) return; // never two samples at once on a slow /proc
    this.busy = true;
    try {
      const tree = await processTree(process.pid);
      if (!tree.length) return; // /proc unavailable: no number rather than a wrong one
      this.peak = Math.max(this.peak, tree.reduce((sum, p) => sum + p.rssBytes, 0));
    } finally {
      this.busy = false;
    }
  }
}
