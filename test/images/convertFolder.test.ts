// Real tools throughout: vips/opj_compress, opj_decompress, sharp, and exiftool via exiftool-vendored.
// The "faulty encoder" below is a real Jp2Encoder that changes one sample, to prove the check refuses it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  convertFolder, DEFAULT_RIGHTS, ID_PATTERN, ImageIdRegistry, makeEncoder, MetadataWriter, pixelSignature, xmpFields,
  type FolderImage, type Jp2Encoder,
} from '../../src/images/index.js';
import { commandOf, descendantsOf, pidAlive, processTable } from '../../src/osProcess.js';
import { MemoryReporter } from '../../src/runs/reporter.js';
import { makeTiff, truncateCopy } from '../fixtures/images/make.js';
import { collection, folder } from '../fixtures/images/records.js';
import { transpileInto } from '../fixtures/images/transpile.js';

let root: string;
let metadata: MetadataWriter;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'distillery-convert-'));
  metadata = new MetadataWriter({ maxProcs: 2 });
});
afterAll(async () => {
  await metadata.end();
  await rm(root, { recursive: true, force: true });
});

/** A scanned folder `<collection>_<box>_<folder>` with n TIFFs named `<folder>_<sequence>.tif`. */
async function scanFolder(name: string, n: number, opts: { width?: number; height?: number } = {}): Promise<FolderImage[]> {
  const dir = join(root, 'scans', name);
  await mkdir(dir, { recursive: true });
  const images: FolderImage[] = [];
  for (let i = 1; i <= n; i++) {
    const sequence = String(i).padStart(4, '0');
    const stem = `${name}_${sequence}`;
    const path = join(dir, `${stem}.tif`);
    await makeTiff(path, { width: opts.width ?? 64, height: opts.height ?? 48, seed: i, depth: i % 2 ? 8 : 16 });
    images.push({ path, name: `${stem}.tif`, stem, sequence });
  }
  return images;
}

const vips = makeEncoder({ tool: 'vips', threads: 1 });
const simpleXmp = (img: FolderImage, imageId: string) => ({ title: `T ${img.sequence}`, identifier: imageId, publisher: 'P', source: 'S', rights: 'R' });

class CountingEncoder implements Jp2Encoder {
  readonly encoded: string[] = [];
  name = 'counting vips';
  constructor(private readonly inner: Jp2Encoder) {}
  version() { return this.inner.version(); }
  async encodeLossless(tiff: string, jp2: string) { this.encoded.push(tiff); await this.inner.encodeLossless(tiff, jp2); }
}

describe('convertFolder', () => {
  it('converts a 12-image folder in parallel and returns components in sequence order', async () => {
    const images = await scanFolder('HaleGE_001_01', 12);
    const outDir = join(root, 'out', 'HaleGE_001_01');
    const reporter = new MemoryReporter();
    const ids = await ImageIdRegistry.open(join(root, 'ids-12.json'));
    const { converted, failed } = await convertFolder({ images, outDir, xmp: simpleXmp, encoder: vips, metadata, ids, concurrency: 4, reporter });
    expect(failed).toEqual([]);
    expect(converted.map((c) => c.sequence)).toEqual(images.map((i) => i.sequence));
    expect(new Set(converted.map((c) => c.imageId)).size).toBe(12);
    for (const c of converted) {
      expect(c.imageId).toMatch(ID_PATTERN);
      expect(c.jp2Path).toBe(join(outDir, `${c.sourcePath.split('/').pop()!.replace('.tif', '')}-LOSSLESS.jp2`));
      expect(c.technical.caption).toBe('width: 64; height: 48; compression: lossless');
      const digest = (await import('node:crypto')).createHash('sha512').update(await readFile(c.jp2Path)).digest('hex');
      expect(c.digests.sha512).toBe(digest);
      expect(c.bytes).toBe((await stat(c.jp2Path)).size);
    }
    // Status lines in the original's words; the count goes 1..12 whatever order images finish in.
    expect(reporter.lines.filter((l) => l.startsWith('⏳ Converting ')).length).toBe(12);
    const ok = reporter.lines.filter((l) => l.startsWith('✅ Successfully converted '));
    expect(ok.map((l) => /\[image (\d+)\/12\]$/.exec(l)?.[1])).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
    expect(ok[0]).toMatch(/^✅ Successfully converted HaleGE_001_01_\d{4}\.tif to JPEG 2000\. \[image 1\/12\]$/);
    expect(reporter.progresses.at(-1)).toMatchObject({ done: 12, total: 12 });
    // Where the time went, per phase, for the run record (and `npm run bench -- --only run`).
    for (const phase of ['TIFF signature', 'encode', 'XMP', 'verify', 'technical facts and digests']) {
      expect(reporter.timings[phase]?.count, phase).toBe(12);
      expect(reporter.timings[phase].ms, phase).toBeGreaterThan(0);
    }
    expect((await readdir(outDir)).sort()).toEqual(images.flatMap((i) => [`${i.stem}-LOSSLESS.jp2`, `${i.stem}-LOSSLESS.json`]).sort());
    // Ids are remembered: a fresh registry from the same file gives the same id.
    const again = await ImageIdRegistry.open(join(root, 'ids-12.json'));
    expect(await again.idFor(`HaleGE_001_01/${images[3].name}`)).toBe(converted[3].imageId);

    // A rerun reuses every verified JP2 and encodes nothing.
    const counting = new CountingEncoder(vips);
    const rerun = await convertFolder({ images, outDir, xmp: simpleXmp, encoder: counting, metadata, ids: again, reporter: new MemoryReporter() });
    expect(counting.encoded).toEqual([]);
    expect(rerun.converted.map((c) => [c.sequence, c.imageId, c.digests.sha512])).toEqual(converted.map((c) => [c.sequence, c.imageId, c.digests.sha512]));
  });

  it.each([
    { label: 'series and subseries, published use restriction', series: true, subseries: true, restriction: 'Copyright held by the Hale family; ask before publishing.' },
    { label: 'neither series nor subseries, no use restriction', series: false, subseries: false, restriction: undefined },
    { label: 'series only, one extent', series: true, subseries: false, restriction: undefined, extent: '3' },
  ])('embeds XMP-dc read back by exiftool: $label', async ({ label, series, subseries, restriction, extent }) => {
    const name = `HaleGE_002_0${label.length % 9}`;
    const images = await scanFolder(name, 2);
    const outDir = join(root, 'out-xmp', name);
    const coll = collection(restriction);
    const rec = folder({ series, subseries, extentNumber: extent });
    const { converted } = await convertFolder({
      images, outDir, encoder: vips, metadata, concurrency: 2, reporter: new MemoryReporter(),
      ids: await ImageIdRegistry.open(join(root, `ids-${name}.json`)),
      xmp: (img, imageId) => xmpFields({ collection: coll, folder: rec, sequence: img.sequence, imageId }),
    });
    const read = await metadata.read(converted[1].jp2Path);
    expect(read).toEqual({
      title: extent ? 'Letters, 1908-1910 [image 0002/0003]' : 'Letters, 1908-1910 [image 0002]',
      identifier: converted[1].imageId,
      publisher: 'Caltech Archives & Special Collections',
      source: 'CaltechArchives: George Ellery Hale Papers'
        + (series ? ' / Series 1: Correspondence' : '') + (subseries ? ' / Subseries 2: Letters to Evershed' : ''),
      rights: restriction ?? DEFAULT_RIGHTS,
    });
    // XMP does not touch the pixels.
    expect((await pixelSignature(converted[1].jp2Path)).sha512).toBe((await pixelSignature(images[1].path)).sha512);
  });

  it('reports each bad image by file name, converts the good ones, and leaves nothing half-written', async () => {
    const name = 'HaleGE_003_01';
    const [good] = await scanFolder(name, 1);
    const dir = join(root, 'scans', name);
    const bad = async (stem: string, make: (p: string) => Promise<void>): Promise<FolderImage> => {
      const path = join(dir, `${stem}.tif`);
      await make(path);
      return { path, name: `${stem}.tif`, stem, sequence: stem.slice(-4) };
    };
    const images = [
      good,
      await bad(`${name}_0002`, (p) => writeFile(p, '')),
      await bad(`${name}_0003`, async (p) => { await makeTiff(`${p}.whole`, { width: 200, height: 100 }); await truncateCopy(`${p}.whole`, p, 0.5); }),
      await bad(`${name}_0004`, (p) => sharp({ create: { width: 30, height: 20, channels: 3, background: '#777' } }).jpeg().toFile(p).then(() => undefined)),
      await bad(`${name}_0005`, (p) => makeTiff(p, { pages: 3 })),
      await bad(`${name}_0006`, async (p) => {
        // Header and directory intact, compressed strips scribbled over: only a full decode finds it.
        await makeTiff(p, { width: 300, height: 200, compression: 'lzw' });
        const b = await readFile(p);
        for (let i = 2000; i < 6000; i++) b[i] = 0xff;
        await writeFile(p, b);
      }),
    ];
    const outDir = join(root, 'out-bad', name);
    const reporter = new MemoryReporter();
    const { converted, failed } = await convertFolder({
      images, outDir, xmp: simpleXmp, encoder: vips, metadata, reporter, ids: await ImageIdRegistry.open(join(root, 'ids-bad.json')),
    });
    expect(converted.map((c) => c.sequence)).toEqual(['0001']);
    expect(failed).toEqual([
      { path: images[1].path, reason: 'zero bytes' },
      { path: images[2].path, reason: expect.stringMatching(/^truncated or corrupt TIFF: /) },
      { path: images[3].path, reason: 'not a TIFF (JPEG data)' },
      { path: images[4].path, reason: 'multi-page TIFF (3 pages) — split it first' },
      { path: images[5].path, reason: expect.stringMatching(/^truncated or corrupt TIFF: cannot decode HaleGE_003_01_0006\.tif: /) },
    ]);
    expect(reporter.lines).toContain(`❌ Unable to convert ${name}_0002.tif to JPEG 2000: zero bytes`);
    expect(reporter.lines).toContain(`❌ Unable to convert ${name}_0004.tif to JPEG 2000: not a TIFF (JPEG data)`);
    expect(reporter.files.filter((f) => f.outcome === 'failed').map((f) => f.path).sort()).toEqual(images.slice(1).map((i) => i.path).sort());
    expect((await readdir(outDir)).sort()).toEqual([`${name}_0001-LOSSLESS.jp2`, `${name}_0001-LOSSLESS.json`]);
  });

  it('reports a missing encoder by its configured path, for every image', async () => {
    const images = await scanFolder('HaleGE_006_01', 2);
    const { converted, failed } = await convertFolder({
      images, outDir: join(root, 'out-missing', 'HaleGE_006_01'), xmp: simpleXmp, metadata, reporter: new MemoryReporter(),
      encoder: makeEncoder({ tool: 'opj', command: '/nowhere/opj_compress' }), ids: await ImageIdRegistry.open(join(root, 'ids-missing.json')),
    });
    expect(converted).toEqual([]);
    expect(failed.map((f) => f.reason)).toEqual(Array(2).fill('opj_compress (/nowhere/opj_compress) is not installed or not on PATH: install it or set its path in settings.ini.'));
  });

  it('reads the kept JP2\'s technical facts and digests while its verifying decode runs, not after it', async () => {
    // Phases end in this order only when they overlap: the decode (a child process, then the pixel
    // hash) takes far longer than reading a 64x48 JP2's headers and hashing its few kilobytes.
    const order: string[] = [];
    const reporter = new MemoryReporter();
    reporter.time = (phase) => { order.push(phase); };
    const name = 'HaleGE_005_01';
    const images = (await scanFolder(name, 1));
    const outDir = join(root, 'out-overlap', name);
    const { converted, failed } = await convertFolder({
      images, outDir, xmp: simpleXmp, encoder: vips, metadata, reporter, concurrency: 1, ids: await ImageIdRegistry.open(join(root, 'ids-overlap.json')),
    });
    expect(failed).toEqual([]);
    expect(order.indexOf('technical facts and digests')).toBeGreaterThan(order.indexOf('XMP'));
    expect(order.indexOf('technical facts and digests')).toBeLessThan(order.indexOf('verify'));
    // The digests recorded are those of the file kept, which the check decoded.
    const [c] = converted;
    const kept = await readFile(c.jp2Path);
    expect(c.digests.sha512).toBe(createHash('sha512').update(kept).digest('hex'));
    expect(c.bytes).toBe(kept.length);
    expect(c.signature).toBe(`sha512:${(await pixelSignature(c.jp2Path, { tmpDir: root })).sha512};64x48x3@8`);
  });

  it('refuses a JP2 whose pixels differ from the TIFF by one sample, keeping nothing', async () => {
    // A real encoder that changes one sample before encoding: what a faulty codec would do.
    const faulty: Jp2Encoder = {
      name: 'faulty', version: async () => '0',
      async encodeLossless(tiff, jp2) {
        const { data, info } = await sharp(tiff).raw().toBuffer({ resolveWithObject: true });
        data[123] ^= 1;
        const altered = `${jp2}.altered.tif`;
        await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } }).tiff({ compression: 'none' }).toFile(altered);
        try { await vips.encodeLossless(altered, jp2); } finally { await rm(altered, { force: true }); }
      },
    };
    const name = 'HaleGE_004_01';
    const images = (await scanFolder(name, 3)).filter((i) => i.sequence !== '0002'); // 8-bit ones
    const outDir = join(root, 'out-faulty', name);
    const reporter = new MemoryReporter();
    const { converted, failed } = await convertFolder({
      images, outDir, xmp: simpleXmp, encoder: faulty, metadata, reporter, ids: await ImageIdRegistry.open(join(root, 'ids-faulty.json')),
    });
    expect(converted).toEqual([]);
    expect(failed.map((f) => f.reason)).toEqual([expect.stringMatching(/^image signatures did not match \(TIFF 64x48, 3 channel\(s\), 8-bit, sha512 [0-9a-f]{12}…, JP2 64x48, 3 channel\(s\), 8-bit, sha512 [0-9a-f]{12}…\); the JP2 was not kept$/), expect.anything()]);
    expect(await readdir(outDir).catch(() => [])).toEqual([]);
  });

  it('a rerun converts again a JP2 damaged since (same size) and a rescanned TIFF, and reuses the rest', async () => {
    const name = 'HaleGE_007_01';
    const images = await scanFolder(name, 4);
    const outDir = join(root, 'out-rerun', name);
    const ids = await ImageIdRegistry.open(join(root, 'ids-rerun.json'));
    const first = await convertFolder({ images, outDir, xmp: simpleXmp, encoder: vips, metadata, ids, reporter: new MemoryReporter() });
    expect(first.failed).toEqual([]);
    // Bit rot in image 2's JP2: one byte flipped, size unchanged.
    const damaged = first.converted[1].jp2Path;
    const bytes = await readFile(damaged);
    bytes[bytes.length - 10] ^= 0xff;
    await writeFile(damaged, bytes);
    // Image 3 rescanned: a different TIFF under the same name.
    await makeTiff(images[2].path, { width: 64, height: 48, seed: 99, depth: 8 });

    const counting = new CountingEncoder(vips);
    const reporter = new MemoryReporter();
    const rerun = await convertFolder({ images, outDir, xmp: simpleXmp, encoder: counting, metadata, ids, reporter });
    expect(rerun.failed).toEqual([]);
    expect([...counting.encoded].sort()).toEqual([images[1].path, images[2].path]);
    expect(reporter.lines.filter((l) => l.startsWith('♻️ ')).map((l) => l.split(' ')[1])).toEqual([images[0].name, images[3].name]);
    expect(rerun.converted.map((c) => c.imageId)).toEqual(first.converted.map((c) => c.imageId));
    expect(rerun.converted[1].digests.sha512).toBe(first.converted[1].digests.sha512);
    expect(rerun.converted[2].digests.sha512).not.toBe(first.converted[2].digests.sha512);
    for (const [i, c] of rerun.converted.entries()) expect(await pixelSignature(c.jp2Path)).toEqual(await pixelSignature(images[i].path));
  });

  it('after a crash halfway, a rerun converts no image twice and every JP2 verifies', { timeout: 180_000 }, async () => {
    const name = 'HaleGE_005_01';
    const images = await scanFolder(name, 6, { width: 1200, height: 900 });
    const outDir = join(root, 'out-crash', name);
    const registry = join(root, 'ids-crash.json');
    const js = join(root, 'js');
    await transpileInto(js, ['src/images', 'src/runs', 'src/archivesspace', 'src/childProcess.ts', 'src/osProcess.ts', 'src/policies.ts', 'src/settings/environment.ts', 'src/hash.ts', 'src/blake2b.ts', 'src/atomicWrite.ts', 'test/fixtures/images']);

    // The child converts one image at a time; kill it hard once two are done.
    const warmExiftools: number[] = [];
    let killing = false;
    const child = spawn(process.execPath, [join(js, 'test/fixtures/images/convertChild.js'), JSON.stringify({ images, outDir, registry })], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => { err += String(d); });
    const killedAfter = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += String(d);
        const n = (out.match(/^✅ /gm) ?? []).length;
        if (n >= 2 && !killing) {
          killing = true;
          void (async () => {
            for (const p of descendantsOf(child.pid!, await processTable())) {
              if ((await commandOf(p.pid)).includes('exiftool')) warmExiftools.push(p.pid);
            }
            child.kill('SIGKILL');
            resolve(n);
          })();
        }
      });
      child.on('exit', (code, signal) => { if (signal !== 'SIGKILL') reject(new Error(`child ended early (${code}): ${err}${out}`)); });
    });
    await new Promise((r) => child.once('close', r));
    expect(killedAfter).toBeGreaterThanOrEqual(2);
    // Its warm exiftool (and the watcher beside it) do not outlive it: exiftool's -stay_open alone would keep polling forever.
    expect(warmExiftools.length).toBe(2);
    for (let i = 0; i < 50 && warmExiftools.some(pidAlive); i++) await new Promise((r) => setTimeout(r, 200));
    expect(warmExiftools.filter(pidAlive)).toEqual([]);
    const doneBefore = (await readdir(outDir)).filter((f) => f.endsWith('-LOSSLESS.json')).sort();
    expect(doneBefore.length).toBeGreaterThanOrEqual(2);
    expect(doneBefore.length).toBeLessThan(6);
    const before = new Map<string, number>();
    for (const f of doneBefore) before.set(f, (await stat(join(outDir, f.replace('.json', '.jp2')))).mtimeMs);

    const counting = new CountingEncoder(vips);
    const reporter = new MemoryReporter();
    // The same XMP as the killed child wrote (test/fixtures/images/convertChild.ts): a reused JP2
    // whose XMP differs would rightly be refreshed.
    const childXmp = (img: FolderImage, imageId: string) => ({ title: `Test [image ${img.sequence}]`, identifier: imageId, publisher: 'P', source: 'S', rights: 'R' });
    const { converted, failed } = await convertFolder({
      images, outDir, xmp: childXmp, encoder: counting, metadata, reporter, ids: await ImageIdRegistry.open(registry), concurrency: 2,
    });
    expect(failed).toEqual([]);
    expect(converted.map((c) => c.sequence)).toEqual(images.map((i) => i.sequence));
    // Exactly the images without a verified JP2 were encoded, each once.
    const notDone = images.filter((i) => !before.has(`${i.stem}-LOSSLESS.json`)).map((i) => i.path);
    expect([...counting.encoded].sort()).toEqual(notDone.sort());
    expect(reporter.files.filter((f) => f.outcome === 'skipped').length).toBe(doneBefore.length);
    for (const [f, mtime] of before) expect((await stat(join(outDir, f.replace('.json', '.jp2')))).mtimeMs).toBe(mtime);
    for (const [i, c] of converted.entries()) {
      expect(await pixelSignature(c.jp2Path)).toEqual(await pixelSignature(images[i].path));
      const record = JSON.parse(await readFile(c.jp2Path.replace('.jp2', '.json'), 'utf8'));
      expect(record.imageId).toBe(c.imageId);
    }
    expect((await readdir(outDir)).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});
