/**
 * Status page benchmark (`npm run bench -- --only web`), with the real parts in their own processes:
 * the web app as `distillery web` starts it (default settings, so the live stream polls as in
 * production), a worker process recording a synthetic run through the worker's journal
 * (src/bench/webWorker.ts), and this process as the watchers.
 *
 * - The form (`/`) and Past runs (`/runs`) with 3,000 archived runs, written by the status folder's
 *   own archive (record, log and runs-index line each): the first view, and the median of 20 views.
 * - A 10,000-image run of all four processes (40,000 per-file results) followed by 100 watchers on
 *   `/distill/<id>/events`: the time from the worker's write of a line or of the record to each
 *   watcher receiving it (p50, p95), over HTTP as a browser gets it.
 * - The worker's CPU time for recording the first 1,000 and the last 1,000 per-file results
 *   (constant cost per file: the last within 1.2 × the first), and the record's size at the end.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import pLimit from 'p-limit';
import { runChild } from '../childProcess.js';
import { StatusFolder } from '../runs/statusFolder.js';
import type { FolderResult, RunRecord, StepRecord } from '../runs/types.js';
import { median } from './images.js';
import { WRITTEN_AT, type BenchRow } from './types.js';
import { freePort } from '../freePort.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const USER = 'bench@example.edu';
const COLLECTION = 'BENCHWEB';

export interface WebBenchOptions {
  quick: boolean;
}

export async function benchWeb(opts: WebBenchOptions): Promise<BenchRow[]> {
  const images = opts.quick ? 2_500 : 10_000;
  const durationMs = opts.quick ? 20_000 : 90_000;
  const watchers = 100;
  const archivedRuns = 3_000;
  const dir = await mkdtemp(join(tmpdir(), 'distillery-bench-web-'));
  const statusDir = join(dir, 'status');
  const status = new StatusFolder(statusDir);
  const stop = new AbortController();
  let web: Promise<unknown> | undefined;
  try {
    await mkdir(statusDir, { recursive: true });
    await writeArchivedRuns(status, archivedRuns);
    const port = await freePort();
    await writeFile(join(dir, 'users.csv'), `email_address,display_name\n${USER},Bench Archivist\n`);
    await writeFile(join(dir, 'settings.ini'), ['[settings]', `STATUS_FILES=${statusDir}`, 'STAGE_1_ORIGINAL_FILES=s1', 'STAGE_2_ORIGINAL_FILES=s2',
      'STAGE_3_ORIGINAL_FILES=s3', 'LOSSLESS_PRESERVATION_FILES=pres', `WEB_PORT=${port}`,
      'WEB_SESSION_SECRET=bench-session-secret-0123456789', 'WEB_SECURE_COOKIES=false', 'WEB_RUN_REQUESTS_PER_HOUR=1000'].join('\n') + '\n');
    const base = `http://127.0.0.1:${port}`;
    web = runChild(process.execPath, [join(HERE, '../../bin/distillery.js'), 'web'], {
      tool: 'distillery web', cwd: dir, signal: stop.signal, env: { ...process.env, DISTILLERY_SETTINGS: join(dir, 'settings.ini'), DISTILLERY_LOG_LEVEL: 'warn' },
    }).catch((err: unknown) => (stop.signal.aborted ? undefined : Promise.reject(err)));
    const client = new PageClient(base);
    await client.waitUp(web);

    const form = await client.times('/', 21);
    const runs = await client.times('/runs', 21);
    if (!(await client.text('/runs')).includes(`PAST_`)) throw new Error('the Past runs page does not list the archived runs');

    await status.requestRun({ collectionId: COLLECTION, processes: ['report', 'cloud', 'onsite', 'access'], user: { email: USER, name: 'Bench Archivist' } });
    const streams: Watcher[] = [];
    for (let i = 0; i < watchers; i++) streams.push(await Watcher.open(`${base}/distill/${COLLECTION}/events`, client.cookie));
    await Promise.all(streams.map((w) => w.firstState));

    const worker = await runChild(process.execPath, [join(HERE, 'webWorker.js'), statusDir, COLLECTION, String(images), '100', String(durationMs)], { tool: 'bench worker' });
    const result = JSON.parse(worker.stdout.trim().split('\n').pop() ?? '{}') as { files: number; firstCpuMs: number; lastCpuMs: number; recordBytes: number; filesBytes: number; seconds: number };
    await Promise.race([Promise.all(streams.map((w) => w.ended)), sleep(30_000).then(() => { throw new Error('the watchers were not told the run ended within 30 s'); })]);
    const lines = streams.flatMap((w) => w.lineLatency);
    const states = streams.flatMap((w) => w.stateLatency);
    const all = [...lines, ...states];
    const expectedLines = Math.floor(images / 10) * 4 + Math.ceil(images / 100) * 4;
    const missing = streams.filter((w) => w.lineLatency.length < expectedLines).length;
    const p95 = percentile(all, 0.95);
    const costRatio = result.lastCpuMs / result.firstCpuMs;
    return [
      { name: `web: ${archivedRuns} archived runs; ${images} images × 4 processes (${result.files} file results, ${result.seconds.toFixed(0)} s), ${watchers} watchers; \`distillery web\` with default settings`, value: '' },
      { name: `web: form (/) with ${archivedRuns} archived runs, median of 20 views (first view)`, value: `${ms(median(form.slice(1)))} (${ms(form[0])})`, goal: '< 50 ms', ok: median(form.slice(1)) < 0.05 },
      { name: `web: Past runs (/runs) with ${archivedRuns} archived runs, median of 20 views (first view)`, value: `${ms(median(runs.slice(1)))} (${ms(runs[0])})`, goal: '< 50 ms', ok: median(runs.slice(1)) < 0.05 },
      { name: 'web: event latency, worker write → watcher, p50 (lines / record)', value: `${ms(percentile(all, 0.5))} (${ms(percentile(lines, 0.5))} / ${ms(percentile(states, 0.5))})` },
      { name: `web: event latency p95 (lines / record), ${all.length} events${missing ? `, ${missing} watchers missed lines` : ''}`, value: `${ms(p95)} (${ms(percentile(lines, 0.95))} / ${ms(percentile(states, 0.95))})`, goal: '< 100 ms', ok: p95 < 0.1 && missing === 0 },
      { name: 'web: worker CPU recording the first / last 1,000 file results', value: `${result.firstCpuMs.toFixed(0)} / ${result.lastCpuMs.toFixed(0)} ms` },
      { name: 'web: record cost per file, last 1,000 / first 1,000', value: costRatio.toFixed(2), goal: '≤ 1.2', ok: costRatio <= 1.2 },
      { name: 'web: run record / file results log at the end', value: `${kb(result.recordBytes)} / ${kb(result.filesBytes)}` },
    ];
  } finally {
    stop.abort();
    await web?.catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}

/** Archived runs as the worker leaves them: stream, record and runs-index line, by StatusFolder.archive. */
async function writeArchivedRuns(status: StatusFolder, count: number): Promise<void> {
  const limit = pLimit(8);
  const first = Date.parse('2024-01-01T00:00:00Z');
  await Promise.all(Array.from({ length: count }, (_, i) => limit(async () => {
    const collectionId = `PAST_${String(i % 300).padStart(3, '0')}`;
    const when = new Date(first + i * 3_600_000);
    const steps: StepRecord[] = ['stage', 'report', 'metadata', 'convert', 'package', 'cloud', 'onsite', 'access', 'finish'].map((name) => ({
      name, title: name, state: 'done', startedAt: when.toISOString(), finishedAt: when.toISOString(), fileResults: { done: 40 },
    }));
    const folders: FolderResult[] = Array.from({ length: 10 }, (_, f) => ({
      name: `${collectionId}_${String(f + 1).padStart(3, '0')}`, images: 40,
      steps: Object.fromEntries(['convert', 'package', 'cloud', 'onsite', 'access'].map((s) => [s, { state: 'done' as const, counts: { images: 40 }, at: when.toISOString() }])),
    }));
    const record: RunRecord = {
      request: { runId: `${collectionId}-${i}`, collectionId, processes: ['report', 'cloud', 'onsite', 'access'], user: { email: USER, name: 'Bench Archivist' }, requestedAt: when.toISOString() },
      state: i % 7 === 0 ? 'failed' : 'succeeded', attempts: 1, steps, folders, startedAt: when.toISOString(), finishedAt: when.toISOString(),
    };
    await status.appendLines(`${collectionId}`, [`🟢 Started for Bench Archivist: report, cloud, onsite, access for ${collectionId}.`, `✅ Finished.`]);
    await status.archive(record, when);
  })));
}

/** A browser-like client of the pages: keeps the session cookie, sends the identity header as the proxy does. */
class PageClient {
  cookie = '';
  constructor(private readonly base: string) {}

  async get(path: string): Promise<Response> {
    const res = await fetch(this.base + path, { headers: { 'x-remote-user': USER, ...(this.cookie ? { cookie: this.cookie } : {}) }, redirect: 'manual' });
    const set = res.headers.getSetCookie();
    if (set.length) this.cookie = set.map((c) => c.split(';')[0]).join('; ');
    return res;
  }

  async text(path: string): Promise<string> {
    const res = await this.get(path);
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
    return res.text();
  }

  /** Seconds to receive the whole page, `n` views one after another. */
  async times(path: string, n: number): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = process.hrtime.bigint();
      await this.text(path);
      out.push(Number(process.hrtime.bigint() - t) / 1e9);
    }
    return out;
  }

  async waitUp(server: Promise<unknown>): Promise<void> {
    let exited = false;
    void server.finally(() => { exited = true; });
    for (let i = 0; i < 300; i++) {
      if (exited) await server.then(() => { throw new Error('distillery web exited before it served the form'); });
      const res = await this.get('/').catch(() => undefined);
      if (res?.status === 200) return void (await res.text());
      await sleep(100);
    }
    throw new Error('distillery web did not answer within 30 s');
  }
}

/** One status page's event stream, read as it arrives; latencies in seconds. */
class Watcher {
  readonly lineLatency: number[] = [];
  readonly stateLatency: number[] = [];
  private lastState = 0;
  private gotState!: () => void;
  readonly firstState = new Promise<void>((r) => (this.gotState = r));
  ended!: Promise<void>;

  static async open(url: string, cookie: string): Promise<Watcher> {
    const w = new Watcher();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', 'x-remote-user': USER, cookie } });
    if (res.status !== 200 || !res.body) throw new Error(`GET ${url}: ${res.status}`);
    w.ended = w.read(res.body);
    return w;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of body) {
      const now = Date.now();
      buffered += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffered.indexOf('\n\n')) !== -1) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
        if (event === 'end') return;
        const data = block.split('\n').filter((l) => l.startsWith('data:')).join('\n');
        const stamps = [...data.matchAll(new RegExp(`${WRITTEN_AT}(\\d{13})`, 'g'))].map((m) => Number(m[1]));
        if (event === 'line' || event === 'init') {
          for (const t of stamps) this.lineLatency.push((now - t) / 1000);
        } else if (event !== 'message') {
          // The record (whole or as a change): its newest stamp is the write it reports.
          this.gotState();
          const t = Math.max(0, ...stamps);
          if (t > this.lastState) {
            this.stateLatency.push((now - t) / 1000);
            this.lastState = t;
          }
        }
      }
    }
    throw new Error('an event stream closed before the run ended');
  }
}

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
}

const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
const kb = (b: number) => (b >= 1_000_000 ? `${(b / 1_000_000).toFixed(1)} MB` : `${(b / 1000).toFixed(0)} kB`);

