/**
 * OCFL benchmark: copy-with-fixity (one read, sha512 + sha256, write, fsync) against `sha512sum`
 * alone on the same file (goal: at least 0.9 of its throughput), and the peak memory of a copy of
 * a 100 MB and a 4 GB file (goal: about the same — memory must not grow with file size).
 * Then validation of a storage root of 1,000 objects with every digest re-read (the manifest's
 * sha512 and the sha256 fixity Distillery records) against `sha512sum` over the same content
 * files (goal: within 1.2× its time), and the peak memory of validating an object with a small
 * and with a large file (goal: about the same).
 */
import { execFile } from 'node:child_process';
import { open, mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { copyWithDigests } from '../hash.js';
import { commitVersion } from '../ocfl/commit.js';
import { validateObject } from '../ocfl/validate/object.js';
import { validateStorageRoot } from '../ocfl/validate/storageRoot.js';
import { objectPath } from '../ocfl/layout.js';
import { listFiles } from '../ocfl/fsutil.js';
import type { BenchRow } from './types.js';

const run = promisify(execFile);
const MB = 1024 * 1024;

export async function benchOcfl(opts: { bytes?: number; quick?: boolean } = {}): Promise<BenchRow[]> {
  const bytes = opts.bytes ?? (opts.quick ? 128 * MB : 1024 * MB);
  const [small, large] = opts.quick ? [16 * MB, 256 * MB] : [100 * MB, 4096 * MB];
  const dir = await mkdtemp(join(tmpdir(), 'distillery-bench-ocfl-'));
  const rows: BenchRow[] = [];
  try {
    const src = join(dir, 'source.bin');
    await writeRandomFile(src, bytes);
    // Warm the page cache for both contenders alike.
    await run('sha512sum', [src]);
    const shaTimes: number[] = [];
    const copyTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      shaTimes.push(await timed(() => run('sha512sum', [src])));
      const dst = join(dir, `copy-${i}.bin`);
      copyTimes.push(await timed(() => copyWithDigests(src, dst)));
      await rm(dst);
    }
    const sha = (bytes / MB) / (median(shaTimes) / 1000);
    const copy = (bytes / MB) / (median(copyTimes) / 1000);
    rows.push({ name: `sha512sum alone, ${Math.round(bytes / MB)} MiB`, value: `${sha.toFixed(0)} MiB/s` });
    rows.push({ name: 'copy with sha512+sha256+fsync', value: `${copy.toFixed(0)} MiB/s` });
    rows.push({ name: 'copy-with-fixity / sha512sum', value: (copy / sha).toFixed(2), goal: '>= 0.90', ok: copy / sha >= 0.9 });
    await rm(src);

    const peaks: number[] = [];
    for (const size of [small, large]) {
      const p = join(dir, `mem-${size}.bin`);
      await writeRandomFile(p, size);
      peaks.push(await peakRssGrowth(() => copyWithDigests(p, `${p}.copy`)));
      await rm(p);
      await rm(`${p}.copy`);
    }
    rows.push({ name: `peak memory growth, copy of ${Math.round(small / MB)} MiB`, value: `${(peaks[0] / MB).toFixed(1)} MiB` });
    rows.push({
      name: `peak memory growth, copy of ${Math.round(large / MB)} MiB`,
      value: `${(peaks[1] / MB).toFixed(1)} MiB`,
      goal: `about the same (< ${((peaks[0] + 16 * MB) / MB).toFixed(0)} MiB)`,
      ok: peaks[1] <= peaks[0] + 16 * MB,
    });
    rows.push(...(await benchValidation(dir, opts.quick ? { objects: 100, objectBytes: 256 * 1024, memory: [16 * MB, 128 * MB] } : { objects: 1000, objectBytes: MB, memory: [64 * MB, 1024 * MB] })));
    return rows;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Validation of a storage root with full fixity checking, against sha512sum over the same files. */
export async function benchValidation(dir: string, o: { objects: number; objectBytes: number; memory: [number, number] }): Promise<BenchRow[]> {
  const root = join(dir, 'root');
  const src = join(dir, 'validate-src');
  const meta = { message: 'bench', user: { name: 'Bench', address: 'mailto:bench@example.org' } };
  for (let i = 0; i < o.objects; i++) {
    const a = join(src, `${i}-a.bin`);
    const b = join(src, `${i}-b.bin`);
    await writeRandomFile(a, o.objectBytes / 2);
    await writeRandomFile(b, o.objectBytes / 2);
    await commitVersion(root, `https://bench.example.org/objects/${i}`, [
      { logicalPath: 'a.bin', sourcePath: a },
      { logicalPath: 'b.bin', sourcePath: b },
    ], meta);
    await rm(a);
    await rm(b);
  }
  const content = (await listFiles(root)).filter((p) => p.includes('/content/')).map((p) => join(root, p));
  const sha512sumAll = async () => {
    for (let i = 0; i < content.length; i += 500) await run('sha512sum', content.slice(i, i + 500), { maxBuffer: 64 * MB });
  };
  await sha512sumAll(); // warm the page cache for both alike
  const shaTimes: number[] = [];
  const valTimes: number[] = [];
  let valid = true;
  for (let i = 0; i < 3; i++) {
    shaTimes.push(await timed(sha512sumAll));
    valTimes.push(await timed(async () => (valid = (await validateStorageRoot(root)).valid && valid)));
  }
  const total = (o.objects * o.objectBytes) / MB;
  const ratio = median(valTimes) / median(shaTimes);
  const rows: BenchRow[] = [
    { name: `sha512sum over ${o.objects} objects' content (${total.toFixed(0)} MiB)`, value: `${(total / (median(shaTimes) / 1000)).toFixed(0)} MiB/s` },
    { name: `validate the storage root, every digest re-read${valid ? '' : ' (INVALID!)'}`, value: `${(total / (median(valTimes) / 1000)).toFixed(0)} MiB/s` },
    { name: 'validate time / sha512sum time', value: ratio.toFixed(2), goal: '<= 1.20', ok: valid && ratio <= 1.2 },
  ];
  const peaks: number[] = [];
  for (const size of o.memory) {
    const memRoot = join(dir, 'mem-root');
    const f = join(dir, `validate-mem-${size}.bin`);
    await writeRandomFile(f, size);
    const id = `https://bench.example.org/memory/${size}`;
    await commitVersion(memRoot, id, [{ logicalPath: 'big.bin', sourcePath: f }], meta);
    await rm(f);
    peaks.push(await peakRssGrowth(() => validateObject(join(memRoot, objectPath(id)))));
  }
  rows.push({ name: `peak memory growth, validating an object of ${Math.round(o.memory[0] / MB)} MiB`, value: `${(peaks[0] / MB).toFixed(1)} MiB` });
  rows.push({
    name: `peak memory growth, validating an object of ${Math.round(o.memory[1] / MB)} MiB`,
    value: `${(peaks[1] / MB).toFixed(1)} MiB`,
    goal: `about the same (< ${((peaks[0] + 16 * MB) / MB).toFixed(0)} MiB)`,
    ok: peaks[1] <= peaks[0] + 16 * MB,
  });
  return rows;
}

async function writeRandomFile(path: string, bytes: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const fh = await open(path, 'w');
  try {
    // Random blocks so no layer can compress or deduplicate them away.
    const blocks = [randomBytes(Math.min(4 * MB, bytes)), randomBytes(Math.min(4 * MB, bytes)), randomBytes(Math.min(4 * MB, bytes))];
    for (let off = 0, i = 0; off < bytes; off += 4 * MB, i++) {
      const b = blocks[i % 3].subarray(0, Math.min(4 * MB, bytes - off));
      await fh.write(b);
    }
  } finally {
    await fh.close();
  }
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Highest resident-set growth over the starting RSS while `fn` runs, sampled every 10 ms. */
async function peakRssGrowth(fn: () => Promise<unknown>): Promise<number> {
  globalThis.gc?.();
  const base = process.memoryUsage.rss();
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage.rss());
  return peak - base;
}
