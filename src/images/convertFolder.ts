/**
 * The per-folder image pipeline: each TIFF becomes a verified lossless JP2 with XMP, in parallel
 * (bounded), reported and returned in sequence order. Work happens under `<outDir>/.partial/`;
 * a JP2 gets its final name only after its pixels matched the TIFF's and its XMP was written,
 * and a sidecar record (`<stem>-LOSSLESS.json`) written last lets a rerun skip verified images.
 */
import { availableParallelism, hostname } from 'node:os';
import { copyFile, mkdir, readdir, readFile, rename, rm, rmdir, stat, statfs, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import pLimit from 'p-limit';
import { pidAlive } from '../osProcess.js';
import { timePhase, type Reporter } from '../runs/reporter.js';
import { hashFile, type Digests } from '../hash.js';
import type { Jp2Encoder } from './encoder.js';
import type { ImageIdRegistry } from './ids.js';
import { cleanMessage, inspectImage } from './inspect.js';
import type { MetadataWriter } from './metadata.js';
import { pixelSignature, signatureString, type PixelSignature } from './signature.js';
import { jp2Technical, type Jp2Technical } from './technical.js';
import type { XmpFields } from './xmp.js';

/** sha512 (OCFL), sha256 (fixity) and md5 (ArchivesSpace) of a preservation file, from one read. */
const PRESERVATION_DIGESTS = ['sha512', 'sha256', 'md5'] as const;
export type FileDigests = Digests<(typeof PRESERVATION_DIGESTS)[number]>;

export interface FolderImage { path: string; name: string; stem: string; sequence: string }

export interface ConvertedImage {
  sequence: string;
  sourcePath: string;
  imageId: string;
  jp2Path: string;
  bytes: number;
  digests: FileDigests;
  /**
   * The JP2 as it was when `digests` were computed (size, modification time, inode): the OCFL
   * install trusts the digests, without reading the file again, only while the JP2 is still so.
   */
  made: JP2File;
  technical: Jp2Technical;
  /** The pixel signature both the TIFF and the decoded JP2 have (see signatureString). */
  signature: string;
  /** True when a previous run had already converted and verified this image. */
  reused?: boolean;
}

export interface JP2File {
  bytes: number;
  mtimeMs: number;
  ino: number;
}

/** Size, modification time and inode, taken before the digests are computed: a later write shows. */
async function fileFacts(path: string): Promise<JP2File> {
  const s = await stat(path);
  return { bytes: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
}

export interface ConvertFolderOptions {
  images: FolderImage[];
  outDir: string;
  xmp: (img: FolderImage, imageId: string) => XmpFields;
  encoder: Jp2Encoder;
  metadata: MetadataWriter;
  ids: ImageIdRegistry;
  /** Images converted at once; default: the number of cores. */
  concurrency?: number;
  reporter: Reporter;
  signal?: AbortSignal;
  /** opj_decompress command for decoding JP2s to check their pixels. */
  opjDecompress?: string;
  /** Threads the decoder may use for each image. */
  decodeThreads?: number;
  /** Key under which an image's id is remembered; default "<folder name>/<file name>". */
  idKey?: (img: FolderImage) => string;
}

/** What the sidecar record holds; a rerun trusts a JP2 only if it still matches this. */
interface SidecarRecord {
  format: 'distillery-preservation-image/1';
  source: { name: string; bytes: number; mtimeMs: number };
  imageId: string;
  jp2: string;
  bytes: number;
  digests: FileDigests;
  technical: Jp2Technical;
  signature: string;
  encoder: string;
  /** The XMP-dc fields embedded (absent in records of earlier versions: then read from the JP2). */
  xmp?: XmpFields;
}

export const jp2NameFor = (stem: string): string => `${stem}-LOSSLESS.jp2`;
export const recordNameFor = (stem: string): string => `${stem}-LOSSLESS.json`;

/** Which process on which host writes a partial file: `<pid>@<host>`. */
const PARTIAL_OWNER = `${process.pid}@${hostname()}`;

/** Partial files left by a process of this host that is gone (a crash): nothing will finish them. */
async function removeDeadPartials(partialDir: string): Promise<void> {
  for (const name of await readdir(partialDir).catch(() => [] as string[])) {
    const m = /\.(\d+)@(.+)-LOSSLESS\.(jp2|json)$/.exec(name);
    if (m && m[2] === hostname() && !pidAlive(Number(m[1]))) await rm(join(partialDir, name), { force: true });
  }
}

export async function convertFolder(opts: ConvertFolderOptions): Promise<{ converted: ConvertedImage[]; failed: { path: string; reason: string }[] }> {
  const { images, outDir, reporter } = opts;
  const partialDir = join(outDir, '.partial');
  await mkdir(partialDir, { recursive: true });
  await removeDeadPartials(partialDir);
  const limit = pLimit(Math.max(1, opts.concurrency ?? availableParallelism()));
  const total = images.length;
  let done = 0;
  const results: (ConvertedImage | { failed: string } | undefined)[] = new Array(total);

  const finish = (i: number, r: ConvertedImage | { failed: string }) => {
    results[i] = r;
    done++;
    const img = images[i];
    if ('failed' in r) {
      reporter.line(`❌ Unable to convert ${img.name} to JPEG 2000: ${r.failed}`);
      reporter.file({ path: img.path, outcome: 'failed', why: r.failed });
    } else if (r.reused) {
      reporter.line(`♻️ ${img.name} was already converted and verified. [image ${done}/${total}]`);
      reporter.file({ path: img.path, outcome: 'skipped', why: 'already converted and verified' });
    } else {
      reporter.line(`✅ Successfully converted ${img.name} to JPEG 2000. [image ${done}/${total}]`);
      reporter.file({ path: img.path, outcome: 'done' });
    }
    reporter.progress(done, total, img.name);
  };

  try {
    await Promise.all(images.map((img, i) => limit(async () => {
      if (opts.signal?.aborted) return;
      try {
        finish(i, await convertOne(img, opts, partialDir));
      } catch (e) {
        if (opts.signal?.aborted) return;
        finish(i, { failed: (e as Error).message });
      }
    })));
  } finally {
    // Leave nothing half-written behind; keep the folder tidy when nothing is in flight.
    await rmdir(partialDir).catch(() => undefined);
  }
  if (opts.signal?.aborted) throw new Error('image conversion was cancelled; rerun to continue where it stopped');

  const converted: ConvertedImage[] = [];
  const failed: { path: string; reason: string }[] = [];
  results.forEach((r, i) => {
    if (!r) return;
    if ('failed' in r) failed.push({ path: images[i].path, reason: r.failed });
    else converted.push(r);
  });
  return { converted, failed };
}

async function convertOne(img: FolderImage, opts: ConvertFolderOptions, partialDir: string): Promise<ConvertedImage> {
  const jp2Path = join(opts.outDir, jp2NameFor(img.stem));
  const recordPath = join(opts.outDir, recordNameFor(img.stem));
  const source = await stat(img.path);
  const sourceFacts = { name: img.name, bytes: source.size, mtimeMs: Math.round(source.mtimeMs) };

  const previous = await reusable(jp2Path, recordPath, sourceFacts);
  if (previous) {
    const fresh = await refreshXmp(img, opts, partialDir, jp2Path, recordPath, previous);
    return { ...fresh, sequence: img.sequence, sourcePath: img.path };
  }

  opts.reporter.line(`⏳ Converting ${img.name} to JPEG 2000`);
  const inspection = await inspectImage(img.path, { decode: false });
  if (!inspection.ok) throw new Error(inspection.reason);
  const imageId = await opts.ids.idFor(opts.idKey ? opts.idKey(img) : `${basename(dirname(img.path))}/${img.name}`);

  // Named for this process: a worker paused and resumed after another took its run over never
  // writes into (or removes) the other's partial files in a shared preservation folder.
  const partialJp2 = join(partialDir, jp2NameFor(`${img.stem}.${PARTIAL_OWNER}`));
  const partialRecord = join(partialDir, recordNameFor(`${img.stem}.${PARTIAL_OWNER}`));
  // The JP2 and the decode that checks it need about twice the TIFF's size. Do not start without
  // it: vips spins instead of failing when the disk fills under jp2ksave, and a JP2 cut short by a
  // full disk would otherwise be reported as an unreadable image.
  const need = source.size * 2;
  const free = await freeBytes(partialDir);
  if (free !== undefined && free < need) throw new Error(noSpace(opts.outDir, free, need, img.name));
  try {
    const sigOpts = { opjDecompress: opts.opjDecompress, threads: opts.decodeThreads, tmpDir: partialDir, signal: opts.signal };
    // The TIFF's signature (a full decode, which also catches damaged strips) is computed while the encoder runs.
    const r = opts.reporter;
    const [sig, enc] = await Promise.allSettled([
      timePhase(r, 'TIFF signature', () => pixelSignature(img.path, sigOpts)),
      timePhase(r, 'encode', () => opts.encoder.encodeLossless(img.path, partialJp2, opts.signal)),
    ]);
    if (sig.status === 'rejected') throw new Error(`truncated or corrupt TIFF: ${cleanMessage(sig.reason)}`);
    if (enc.status === 'rejected') throw enc.reason;
    const tiffSig = sig.value;
    const xmp = opts.xmp(img, imageId);
    await timePhase(r, 'XMP', () => opts.metadata.write(partialJp2, xmp, opts.signal));
    // Checked after the XMP is in: the file we keep is the file we verified.
    const jp2Sig = await timePhase(r, 'verify', () => pixelSignature(partialJp2, sigOpts));
    if (!sameSignature(tiffSig, jp2Sig)) {
      throw new Error(`image signatures did not match (TIFF ${describe(tiffSig)}, JP2 ${describe(jp2Sig)}); the JP2 was not kept`);
    }
    const made = await fileFacts(partialJp2); // a rename keeps inode and modification time
    const [technical, { bytes, digests }] = await timePhase(r, 'technical facts and digests', () => Promise.all([jp2Technical(partialJp2), hashFile(partialJp2, PRESERVATION_DIGESTS)]));
    const record: SidecarRecord = {
      format: 'distillery-preservation-image/1',
      source: sourceFacts, imageId, jp2: basename(jp2Path), bytes, digests, technical,
      signature: signatureString(tiffSig), encoder: opts.encoder.name, xmp,
    };
    await writeFile(partialRecord, `${JSON.stringify(record, null, 2)}\n`);
    // JP2 first, record last: a record always describes a complete, verified JP2 beside it.
    if (opts.signal?.aborted) throw opts.signal.reason; // a stopped run (lost claim, cancel) keeps nothing more
    await rename(partialJp2, jp2Path);
    await rename(partialRecord, recordPath);
    return { sequence: img.sequence, sourcePath: img.path, imageId, jp2Path, bytes, digests, made, technical, signature: record.signature };
  } catch (err) {
    // Checked before the partial files are removed: a disk that filled mid-way says so, whatever the tool said.
    const left = await freeBytes(partialDir);
    if (left !== undefined && left < Math.max(need, 1 << 20)) throw new Error(noSpace(opts.outDir, left, need, img.name));
    throw err;
  } finally {
    await rm(partialJp2, { force: true });
    await rm(partialRecord, { force: true });
  }
}

/**
 * A reused JP2 whose XMP no longer says what ArchivesSpace says (a title, date or rights edited)
 * gets the current fields: written into a copy under .partial/, its pixels checked again against
 * the recorded signature, then renamed over the JP2 with a new record. The OCFL object then gets a
 * new version, because the JP2's bytes changed.
 */
async function refreshXmp(
  img: FolderImage,
  opts: ConvertFolderOptions,
  partialDir: string,
  jp2Path: string,
  recordPath: string,
  previous: Omit<ConvertedImage, 'sequence' | 'sourcePath'>,
): Promise<Omit<ConvertedImage, 'sequence' | 'sourcePath'>> {
  const record = JSON.parse(await readFile(recordPath, 'utf8')) as SidecarRecord;
  const wanted = opts.xmp(img, previous.imageId);
  const embedded = record.xmp ?? (await opts.metadata.read(jp2Path));
  if (sameXmp(embedded, wanted)) return previous;
  const partialJp2 = join(partialDir, jp2NameFor(img.stem));
  const partialRecord = join(partialDir, recordNameFor(img.stem));
  try {
    await copyFile(jp2Path, partialJp2);
    await opts.metadata.write(partialJp2, wanted);
    const sig = await pixelSignature(partialJp2, { opjDecompress: opts.opjDecompress, threads: opts.decodeThreads, tmpDir: partialDir, signal: opts.signal });
    if (signatureString(sig) !== record.signature) throw new Error(`the JP2's pixels changed while its XMP was refreshed (${describe(sig)}); the JP2 was not kept`);
    const made = await fileFacts(partialJp2);
    const { bytes, digests } = await hashFile(partialJp2, PRESERVATION_DIGESTS);
    const next: SidecarRecord = { ...record, bytes, digests, xmp: wanted };
    await writeFile(partialRecord, `${JSON.stringify(next, null, 2)}\n`);
    await rename(partialJp2, jp2Path);
    await rename(partialRecord, recordPath);
    opts.reporter.line(`📝 ${img.name}: XMP refreshed from ArchivesSpace (${changedFields(embedded, wanted).join(', ')}).`);
    return { ...previous, bytes, digests, made, reused: true };
  } finally {
    await rm(partialJp2, { force: true });
    await rm(partialRecord, { force: true });
  }
}

const XMP_KEYS = ['title', 'identifier', 'publisher', 'source', 'rights'] as const;
function sameXmp(a: XmpFields, b: XmpFields): boolean {
  return changedFields(a, b).length === 0;
}
function changedFields(a: XmpFields, b: XmpFields): string[] {
  return XMP_KEYS.filter((k) => (a[k] ?? '') !== (b[k] ?? ''));
}

/** Bytes an unprivileged writer may still use in `dir`, or undefined when the file system does not say. */
async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const fs = await statfs(dir);
    return fs.bavail * fs.bsize;
  } catch {
    return undefined;
  }
}

function noSpace(dir: string, free: number, need: number, name: string): string {
  const kb = (n: number) => `${Math.round(n / 1024).toLocaleString('en-US')} KB`;
  return `No space left on device in ${dir}: ${kb(free)} free, about ${kb(need)} needed to convert ${name}. Free space in LOSSLESS_PRESERVATION_FILES (or give it a larger disk), then run again; retrying before that cannot help.`;
}

/** A previous run's JP2, if its record matches the unchanged TIFF and the JP2's bytes still match the record. */
async function reusable(jp2Path: string, recordPath: string, source: SidecarRecord['source']): Promise<Omit<ConvertedImage, 'sequence' | 'sourcePath'> | undefined> {
  let record: SidecarRecord;
  try {
    record = JSON.parse(await readFile(recordPath, 'utf8')) as SidecarRecord;
  } catch {
    return undefined;
  }
  if (record.format !== 'distillery-preservation-image/1') return undefined;
  if (record.source.bytes !== source.bytes || record.source.mtimeMs !== source.mtimeMs || record.source.name !== source.name) return undefined;
  let made: JP2File;
  try {
    made = await fileFacts(jp2Path);
  } catch {
    return undefined;
  }
  if (made.bytes !== record.bytes) return undefined;
  const { bytes, digests } = await hashFile(jp2Path, PRESERVATION_DIGESTS);
  if (bytes !== record.bytes || digests.sha512 !== record.digests.sha512 || digests.sha256 !== record.digests.sha256 || digests.md5 !== record.digests.md5) {
    return undefined;
  }
  return {
    imageId: record.imageId, jp2Path, bytes, digests, made,
    technical: record.technical, signature: record.signature, reused: true,
  };
}

function sameSignature(a: PixelSignature, b: PixelSignature): boolean {
  return a.sha512 === b.sha512 && a.width === b.width && a.height === b.height && a.channels === b.channels && a.depth === b.depth;
}

function describe(s: PixelSignature): string {
  return `${s.width}x${s.height}, ${s.channels} channel(s), ${s.depth}-bit, sha512 ${s.sha512.slice(0, 12)}…`;
}
