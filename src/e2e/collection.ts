/**
 * The collections the end-to-end trials submit: folders spread over series and subseries, 8- and
 * 16-bit, grey and RGB scans, a few large enough that S3 sends them in parts, and (in the main
 * collection) bad files that must be reported by name and never lost. Everything is generated
 * from a seed, so a run can be repeated exactly.
 */
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mergeSeeds, type Seed, type SeriesSpec } from '../archivesspace/standin/index.js';
import sharp from 'sharp';
import { writeSampleScan } from '../demo/sampleScans.js';

export interface ImagePlan {
  width: number;
  height: number;
  depth: 8 | 16;
  channels: 1 | 3;
  /** A grainy photograph (hardly compressible), so its JPEG 2000 is large enough for a multipart upload. */
  grain?: boolean;
}

/** A file that must be reported and kept, but cannot be preserved. */
export interface BadFile {
  name: string;
  kind: 'zero-byte' | 'truncated';
}

export interface FolderPlan {
  name: string;
  images: ImagePlan[];
  bad: BadFile[];
}

export interface CollectionPlan {
  id: string;
  folders: FolderPlan[];
  series: SeriesSpec[];
}

export type CollectionSize = 'full' | 'quick' | 'trial';

/** Deterministic pseudo-random numbers (the trials are repeatable from their seed). */
export function random(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 0x1_0000_0000;
  };
}

const SMALL: ImagePlan[] = [
  { width: 900, height: 700, depth: 8, channels: 3 },
  { width: 800, height: 1000, depth: 8, channels: 1 },
  { width: 700, height: 900, depth: 16, channels: 1 },
  { width: 640, height: 480, depth: 16, channels: 3 },
];
/** About 60 MB of pixels: the JPEG 2000 goes to S3 in several 5 MB parts. */
const LARGE: ImagePlan = { width: 4600, height: 4400, depth: 8, channels: 3 };
/** A grainy 8 MB photograph: its JPEG 2000 goes to S3 in two 5 MB parts in the quick trials. */
const MEDIUM: ImagePlan = { width: 2000, height: 1400, depth: 8, channels: 3, grain: true };

/**
 * full: 3 series (two with subseries), 26 folders, about 55 images, 2 large ones and bad files.
 * quick: 2 series (one subseries), 4 folders, one medium image and one bad file.
 * trial: like quick without bad files (a crash trial must end in success).
 */
export function planCollection(id: string, size: CollectionSize, seed: number): CollectionPlan {
  const rnd = random(seed);
  const folders: FolderPlan[] = [];
  let box = 0;
  const folder = (count: number, extra: ImagePlan[] = []): string => {
    box++;
    const name = `${id}_${String(Math.ceil(box / 3)).padStart(3, '0')}_${String(((box - 1) % 3) + 1).padStart(2, '0')}`;
    const images = Array.from({ length: count }, () => SMALL[Math.floor(rnd() * SMALL.length)]);
    folders.push({ name, images: [...images, ...extra], bad: [] });
    return name;
  };
  const many = (n: number, perFolder: () => number) => Array.from({ length: n }, () => folder(perFolder()));
  const oneToThree = () => 1 + Math.floor(rnd() * 3);
  let series: SeriesSpec[];
  if (size === 'full') {
    series = [
      { title: 'Correspondence', identifier: '1', subseries: [
        { title: 'Incoming', identifier: '1.1', folders: many(5, oneToThree) },
        { title: 'Outgoing', identifier: '1.2', folders: [...many(4, oneToThree), folder(1, [LARGE])] },
      ] },
      { title: 'Photographs', identifier: '2', folders: [...many(7, oneToThree), folder(0, [LARGE])] },
      { title: 'Notebooks', identifier: '3', subseries: [
        { title: 'Field notebooks', identifier: '3.1', folders: many(4, oneToThree) },
        { title: 'Laboratory notebooks', identifier: '3.2', folders: many(4, oneToThree) },
      ] },
    ];
  } else {
    series = [
      { title: 'Correspondence', identifier: '1', subseries: [{ title: 'Incoming', identifier: '1.1', folders: [folder(2), folder(1)] }] },
      { title: 'Photographs', identifier: '2', folders: [folder(1), folder(0, [MEDIUM])] },
    ];
  }
  if (size !== 'trial') {
    // Bad files beside good ones: reported by name, kept with the originals, never preserved.
    const f = folders[1];
    const next = (k: number) => `${f.name}_${String(f.images.length + k).padStart(4, '0')}.tif`;
    f.bad.push({ name: next(1), kind: 'zero-byte' });
    if (size === 'full') f.bad.push({ name: next(2), kind: 'truncated' });
  }
  return { id, folders, series };
}

export function imageName(folder: FolderPlan, i: number): string {
  return `${folder.name}_${String(i + 1).padStart(4, '0')}.tif`;
}

/** Writes the scans (and bad files) of a collection into the originals folder. */
export async function writeCollection(plan: CollectionPlan, stage1: string, seed: number): Promise<void> {
  let n = seed * 1000;
  for (const f of plan.folders) {
    const dir = join(stage1, plan.id, f.name);
    await mkdir(dir, { recursive: true });
    for (const [i, img] of f.images.entries()) {
      if (img.grain) await writeGrainyPhoto(join(dir, imageName(f, i)), img, ++n);
      else await writeSampleScan(join(dir, imageName(f, i)), { ...img, seed: ++n, label: `${f.name} page ${i + 1}` });
    }
    for (const b of f.bad) {
      if (b.kind === 'zero-byte') await writeFile(join(dir, b.name), '');
      else {
        // The first part of a real scan: a valid header whose strips end early.
        const whole = join(dir, `${b.name}.whole`);
        await writeSampleScan(whole, { width: 600, height: 400, depth: 8, channels: 3, seed: ++n });
        const bytes = await readFile(whole);
        await writeFile(join(dir, b.name), bytes.subarray(0, Math.floor(bytes.length / 3)));
        await unlink(whole);
      }
    }
  }
}

/** A photograph with heavy film grain: a gradient plus noise that lossless coding cannot squeeze. */
async function writeGrainyPhoto(path: string, img: ImagePlan, seed: number): Promise<void> {
  const rnd = random(seed);
  const raw = Buffer.alloc(img.width * img.height * img.channels);
  for (let i = 0; i < raw.length; i++) {
    const x = Math.floor(i / img.channels) % img.width;
    raw[i] = Math.min(255, Math.floor((x / img.width) * 128 + rnd() * 128));
  }
  await sharp(raw, { raw: { width: img.width, height: img.height, channels: img.channels } }).tiff({ compression: 'none' }).toFile(path);
}

export function imageCount(plan: CollectionPlan): number {
  return plan.folders.reduce((s, f) => s + f.images.length, 0);
}

/** Every collection in one repository, so one ArchivesSpace stand-in holds all of them. */
export function mergedSeed(plans: CollectionPlan[]): Seed {
  return mergeSeeds(plans.map((p) => ({ collectionId: p.id, title: `End-to-end collection ${p.id}`, series: p.series })), { repoCode: 'E2E', name: 'End-to-end Archives' });
}
