/**
 * Takeover with two real alchemist processes on one status folder, with different worker names
 * (two hosts sharing the mount): A runs a run and is paused (SIGSTOP) past the stale threshold,
 * B takes the run over and runs it, A is resumed (SIGCONT) while B is at work. A must stop at its
 * next boundary, write nothing more and say so in its own log; B's claim stays intact; the run's
 * effects happen once each and its record is truthful. The processes run the real pass (claims,
 * heartbeats, fence, journal) with a stand-in processor whose effects are logged with their
 * worker (test/support/worker.ts); the whole pipeline under takeover is `npm run e2e -- --takeover N`.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { StatusFolder } from '../../src/runs/statusFolder.js';
import { NODE22, REPO } from '../ocfl/helpers.js';
import { startWorkerProcess } from '../support/worker.js';

const STALE_MS = 1500;
const FOLDERS = 12;
let dir: string;
let status: StatusFolder;
const children: { child: ChildProcess }[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'takeover-'));
  status = new StatusFolder(join(dir, 'status'));
  await mkdir(join(dir, 'work', 'stage1', 'TK', 'TK_001_01'), { recursive: true });
});

afterEach(async () => {
  for (const c of children) if (c.child.exitCode === null) c.child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
const effects = async () => (await readFile(join(dir, 'work', 'effects.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean);

it('a paused worker that lost its claim stops at its next boundary; one run\'s effects only, B\'s claim intact, the record truthful', async () => {
  await status.requestRun({ collectionId: 'TK', processes: ['cloud'], user: { email: 'a@example.edu', name: 'Ada' } });
  const args = [status.dir, join(dir, 'work'), String(FOLDERS), '300'];
  const a = startWorkerProcess(REPO, NODE22, args, { WORKER_NAME: 'host-a', STALE_MS: String(STALE_MS) });
  children.push(a);
  await until('A to make two effects', async () => (await effects()).length >= 2);
  process.kill(a.child.pid!, 'SIGSTOP');
  const pausedAt = (await effects()).length;
  const [aClaim] = await status.claimed();
  expect(aClaim.worker.pid).toBe(a.child.pid);
  await until('A\'s claim to go stale', async () => ((await status.claimed())[0]?.heartbeatAgeMs ?? 0) > STALE_MS + 300);

  const b = startWorkerProcess(REPO, NODE22, args, { WORKER_NAME: 'host-b', STALE_MS: String(STALE_MS) });
  children.push(b);
  const bClaim = await until('B to claim the run', async () => (await status.claimed()).find((c) => c.worker.pid === b.child.pid));
  await until('B to make an effect', async () => (await effects()).some((e) => e.startsWith('host-b')));
  process.kill(a.child.pid!, 'SIGCONT');
  const aOut = await a.exited;
  // A is done; B still works, under its own claim.
  expect(b.child.exitCode).toBeNull();
  expect(await status.holds(bClaim)).toBe(true);
  const bOut = await b.exited;

  const all = await effects();
  // Every effect exactly once; A made none after it was paused.
  expect(all.map((e) => e.replace(/^host-. /, '')).sort()).toEqual([...Array.from({ length: FOLDERS }, (_, i) => `folder ${i + 1}`), 'cloud'].sort());
  expect(all.filter((e) => e.startsWith('host-a'))).toHaveLength(pausedAt);
  // A said in its own log why it stopped, and wrote nothing to the run's stream after resuming.
  expect(aOut).toMatch(/This worker \(host-a, process \d+\) no longer holds the run TK-\S+ of TK: another worker took it over after this one stopped answering\. Stopped before /);
  expect(aOut).toContain('"started":["TK"]');
  expect(bOut).toContain('"resumed":["TK"]');
  const runs = await status.archived('TK');
  expect(runs).toHaveLength(1);
  const record = runs[0].record!;
  expect(record.state).toBe('succeeded');
  expect(record.worker?.host).toBe('host-b');
  expect(record.attempts).toBe(2);
  const log = await readFile(join(status.dir, runs[0].log), 'utf8');
  expect(log.split('\n').filter((l) => l.startsWith('✅ Finished'))).toHaveLength(1);
  // Each folder's line once in the run's stream: A wrote none after it resumed.
  const installed = log.split('\n').filter((l) => l.startsWith('📦 folder'));
  expect(new Set(installed).size).toBe(installed.length);
  expect(log).toContain('⚠️ The run stopped unexpectedly (no sign of life from host-a for');
  expect(log).toMatch(/🟢 Resumed on host-b/);
  expect(await status.claimed()).toEqual([]);
}, 90_000);
