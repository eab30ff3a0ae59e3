/**
 * A whole run (`npm run bench -- --only run`): all four processes (report, cloud, onsite, access)
 * on a generated collection of 40 scans of 24 megapixels and 200 of 2 megapixels (`--quick`: 2 of
 * 6 and 20 of 0.5), ten to a folder, against the stand-ins of the demo and the end-to-end trials
 * (src/e2e/stack.ts: ArchivesSpace, the local S3 server, the tape drive over rmt, Islandora over
 * ssh, the preservation network), with `distillery alchemist --once` as its own process as an
 * installation runs it.
 *
 * Where the time went comes from the run's own record: each step's `timings` (ms per phase, summed
 * over images and folders). Also: images per hour, the worker's CPU time (Node and every tool it
 * ran) over the wall time, and the peak memory of the worker and its tools, sampled from /proc.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergedSeed, type CollectionPlan, type FolderPlan } from '../e2e/collection.js';
import { BIN, E2E_USER, startStack } from '../e2e/stack.js';
import { writeSampleScan } from '../demo/sampleScans.js';
import { processTree } from '../osProcess.js';
import { StatusFolder } from '../runs/statusFolder.js';
import type { PhaseTiming, RunRecord } from '../runs/types.js';
import type { BenchRow } from './types.js';

const ID = 'BENCHRUN';
const PER_FOLDER = 10;

/** Phases that are the codecs (or OCR): the goal "< 10 % of the wall time" is for every other one. */
const CODECS = new Set([
  'convert: TIFF signature', 'convert: encode', 'convert: verify',
  'access: access decode', 'access: access derivatives', 'access: OCR', 'access: pages: decode, derivatives and OCR',
  // The whole access delivery: its codec and OCR parts above, its transfer parts (send, ingest) below.
  'access: deliver',
]);

/** What a phase is, for people reading the table. */
const LABELS: Record<string, string> = {
  'cloud: deliver': 'cloud: S3 upload, checked (deliver)',
  'onsite: deliver': 'onsite: tape, queued (deliver)',
  'onsite: finish': 'onsite: tape write and read-back (finish)',
  'access: deliver': 'access: everything (deliver)',
};

export async function benchRun(opts: { quick: boolean }): Promise<BenchRow[]> {
  const sizes = opts.quick
    ? [{ count: 2, width: 3000, height: 2000 }, { count: 20, width: 800, height: 600 }]
    : [{ count: 40, width: 6000, height: 4000 }, { count: 200, width: 1600, height: 1250 }];
  const dataDir = await mkdtemp(join(tmpdir(), 'distillery-bench-run-'));
  try {
    const plan = planOf(sizes);
    const stack = await startStack(dataDir, mergedSeed([plan]));
    try {
      await writeScans(plan, sizes, join(stack.stage1, ID), dataDir);
      const images = sizes.reduce((n, s) => n + s.count, 0);
      const status = new StatusFolder(stack.statusDir);
      await status.requestRun({ collectionId: ID, processes: ['report', 'cloud', 'onsite', 'access'], user: E2E_USER });
      const pass = await measuredPass(stack.childEnv);
      const record = (await status.archived(ID))[0]?.record;
      if (!record) throw new Error(`the run left no record:\n${pass.output.slice(-2000)}`);
      if (record.state !== 'succeeded') throw new Error(`the run ${record.state}: ${record.reason ?? ''}`);
      return rowsOf(record, images, sizes, pass);
    } finally {
      await stack.stop();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

type Size = { count: number; width: number; height: number };

function planOf(sizes: Size[]): CollectionPlan {
  const folders: FolderPlan[] = [];
  let box = 0;
  for (const s of sizes) {
    for (let left = s.count; left > 0; left -= PER_FOLDER) {
      box++;
      const name = `${ID}_${String(Math.ceil(box / 3)).padStart(3, '0')}_${String(((box - 1) % 3) + 1).padStart(2, '0')}`;
      folders.push({ name, images: Array.from({ length: Math.min(PER_FOLDER, left) }, () => ({ width: s.width, height: s.height, depth: 8 as const, channels: 3 as const })), bad: [] });
    }
  }
  return { id: ID, folders, series: [{ title: 'Bench', identifier: '1', folders: folders.map((f) => f.name) }] };
}

/** One scan per size, copied: each JP2 still differs (its XMP names the image), so nothing is stored once for two. */
async function writeScans(plan: CollectionPlan, sizes: Size[], collectionDir: string, scratch: string): Promise<void> {
  const masters = new Map<string, string>();
  for (const [i, s] of sizes.entries()) {
    const path = join(scratch, `master-${i}.tif`);
    await writeSampleScan(path, { width: s.width, height: s.height, depth: 8, channels: 3, seed: i + 1, label: `Bench scan ${s.width}x${s.height}` });
    masters.set(`${s.width}x${s.height}`, path);
  }
  for (const f of plan.folders) {
    await mkdir(join(collectionDir, f.name), { recursive: true });
    for (const [i, img] of f.images.entries()) {
      await copyFile(masters.get(`${img.width}x${img.height}`)!, join(collectionDir, f.name, `${f.name}_${String(i + 1).padStart(4, '0')}.tif`));
    }
  }
}

interface Pass {
  wallS: number;
  cpuS: number;
  peakBytes: number;
  output: string;
}

/**
 * `distillery alchemist --once` under a shell whose `times` gives the CPU time of the worker and of
 * every tool it waited for; memory is sampled from /proc every 200 ms.
 */
async function measuredPass(env: NodeJS.ProcessEnv): Promise<Pass> {
  const start = process.hrtime.bigint();
  const child = spawn('bash', ['-c', `"${process.execPath}" "${BIN}" alchemist --once; rc=$?; times; exit $rc`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-200_000)));
  let peakBytes = 0;
  const timer = setInterval(() => {
    // The tree only (processTree): a scan of every process would take CPU from the run measured.
    void processTree(child.pid!).then((tree) => {
      const total = tree.slice(1).reduce((n, p) => n + p.rssBytes, 0);
      peakBytes = Math.max(peakBytes, total);
    });
  }, 200);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(timer);
  const wallS = Number(process.hrtime.bigint() - start) / 1e9;
  if (code !== 0) throw new Error(`distillery alchemist --once exited with ${code}:\n${output.slice(-3000)}`);
  // `times`: the shell's own user and system time, then its children's.
  const lines = output.trim().split('\n').filter((l) => /^\d+m[\d.]+s \d+m[\d.]+s$/.test(l));
  const children = lines.at(-1)?.split(' ').map(seconds) ?? [NaN, NaN];
  return { wallS, cpuS: children[0] + children[1], peakBytes, output };
}

function seconds(t: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(t);
  return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
}

function rowsOf(record: RunRecord, images: number, sizes: Size[], pass: Pass): BenchRow[] {
  const phases: [string, PhaseTiming][] = [];
  for (const step of record.steps) for (const [phase, t] of Object.entries(step.timings ?? {})) phases.push([`${step.name}: ${phase}`, t]);
  // The access delivery less its timed parts: finding the collection, read-back checks, records.
  const access = new Map(phases.filter(([n]) => n.startsWith('access: ')));
  const whole = access.get('access: deliver');
  if (whole) {
    const parts = ['access: pages: decode, derivatives and OCR', 'access: send (rsync)', 'access: ingest'].reduce((n, k) => n + (access.get(k)?.ms ?? 0), 0);
    if (parts > 0) phases.push(['access: the rest of deliver (collection, checks, records)', { ms: Math.max(0, whole.ms - parts), count: whole.count }]);
  }
  const perHour = (images / pass.wallS) * 3600;
  const busy = pass.cpuS / pass.wallS;
  const over = phases.filter(([name, t]) => !CODECS.has(name) && t.ms / 1000 > 0.1 * pass.wallS).map(([name]) => name);
  const rows: BenchRow[] = [
    { name: `run: ${sizes.map((s) => `${s.count} × ${((s.width * s.height) / 1e6).toFixed(1)} MP`).join(' + ')}, ${PER_FOLDER} a folder; report, cloud, onsite, access`, value: `${pass.wallS.toFixed(0)} s` },
    { name: 'run: images per hour', value: perHour.toFixed(0) },
    { name: 'run: CPU time / wall time (worker and its tools)', value: busy.toFixed(2), goal: '≥ 1.8', ok: busy >= 1.8 },
    { name: 'run: peak memory (worker and its tools, sampled)', value: `${Math.round(pass.peakBytes / 1024 / 1024)} MB` },
  ];
  for (const [name, t] of phases) {
    rows.push({ name: `run: ${LABELS[name] ?? name} (×${t.count}), per image; share of wall`, value: `${(t.ms / 1000 / images).toFixed(2)} s; ${((t.ms / 1000 / pass.wallS) * 100).toFixed(0)} %` });
  }
  rows.push({ name: 'run: every phase but the codecs and OCR < 10 % of the wall time', value: over.length ? `over: ${over.join(', ')}` : 'all under', goal: '< 10 % each', ok: over.length === 0 });
  return rows;
}
