/**
 * A tape write interrupted before anything reached the tape leaves the tape and its catalogue in
 * step: the next writer repositions by the catalogue and writes its file in its place.
 *
 * 1. One process: tar hangs before writing its first block and is stopped at its time-out; the
 *    record of the file that never reached the tape is dropped by the next run, which writes there.
 * 2. Two real alchemist processes on one status folder (two hosts sharing the mount): A is paused
 *    (SIGSTOP to its whole process group: node, tar and the tape link) the moment its tape write
 *    starts, B takes the run over once A's claim is stale and waits for the drive, A is resumed
 *    (SIGCONT), stops at its fence and lets the drive go without recording anything; B writes the
 *    run's tape file, reads it back and records it. One verified tape file holds each folder once,
 *    the tape read back agrees with the catalogue, and the record says succeeded, by B.
 * 3. The same with A on another host (its own hostname, `unshare -u`) paused with its tar holding the
 *    drive open: B takes A's stale drive lock over, but the drive refuses B's opens (EBUSY, one open
 *    at a time, as Linux st) — logged by the stand-in — and B writes nothing until A is gone (killed);
 *    B then writes and records the run once.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { loadCatalogue, locationsOf } from '../../../src/destinations/tape/catalogue.js';
import { TapeDestination } from '../../../src/destinations/tape/index.js';
import { rebuildTapeRecord } from '../../../src/destinations/tape/rebuild.js';
import { TapeDrive } from '../../../src/destinations/tape/drive.js';
import { standinLog, tapeFiles } from '../../../src/destinations/tape/standin/rmt-standin.js';
import { policies } from '../../../src/policies.js';
import { silentReporter } from '../../../src/runs/reporter.js';
import { StatusFolder } from '../../../src/runs/statusFolder.js';
import { NODE22, REPO } from '../../ocfl/helpers.js';
import { makeFolder, RecordingArchivesSpace, REAL_DEVICE, runScope, tapeEnv, type TapeEnv } from './fixture.js';

let env: TapeEnv | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) process.kill(-c.pid!, 'SIGKILL');
  await env?.cleanup();
  env = undefined;
});

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
async function until<T>(what: string, f: () => Promise<T | undefined | false>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function label(e: TapeEnv): Promise<void> {
  const { tapeCommand } = await import('../../../src/destinations/tape/cli.js');
  expect(await tapeCommand(['label', 'LTO-000001'], { settings: { ...e.options, ignoredKeys: [] }, out: () => undefined, err: () => undefined })).toBe(0);
}

test.skipIf(REAL_DEVICE)('a tape write stopped before anything reached the tape: the next run drops its record and writes its file in its place', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  await label(env);
  // tar hangs before writing (as when its drive or link stalls); reading is left to the real tar.
  const hung = join(env.dir, 'hung-tar');
  await writeFile(hung, '#!/bin/sh\nfor a in "$@"; do case "$a" in --create) echo started >> "$0.started"; exec sleep 600;; esac; done\nexec tar "$@"\n', { mode: 0o755 });
  const first = runScope(new RecordingArchivesSpace(), 'run-1');
  const dest1 = new TapeDestination({ ...env.options, tarCommand: hung });
  await dest1.begin(first);
  await dest1.deliver(first, await makeFolder(env, 'F1', [{ seq: '0001' }, { seq: '0002' }]));
  const before = policies.tapeTransfer.timeoutMs;
  policies.tapeTransfer.timeoutMs = 1_000;
  let err: unknown;
  try {
    err = await dest1.finish(first).catch((e: unknown) => e);
  } finally {
    policies.tapeTransfer.timeoutMs = before;
  }
  // The fault fired: the hung tar was started, and stopped at its time-out.
  expect(await readFile(`${hung}.started`, 'utf8')).toBe('started\n');
  expect((err as Error).message).toMatch(/did not finish in time and was stopped \(time-out 1 s, .*TAPE_TRANSFER_TIMEOUT/);
  expect(tapeFiles(env.library, 'A')).toHaveLength(1); // the label only: nothing reached the tape

  const second = runScope(new RecordingArchivesSpace(), 'run-2');
  const dest2 = new TapeDestination(env.options);
  const folder = await makeFolder(env, 'F2', [{ seq: '0001' }]);
  await dest2.begin(second);
  await dest2.deliver(second, folder);
  await dest2.finish(second);
  expect(second.reporter.lines, second.reporter.lines.join('\n')).toContain('⚠️ Tape LTO-000001 ends after file 0: the catalogue\'s record of file 1 (failed, never verified) is of a write that stopped before anything reached the tape; dropped, and this run\'s file is 1.');
  expect(second.reporter.lines.filter((l) => l.startsWith('✅ Tape file 1 on LTO-000001 verified: 1 object(s)'))).toHaveLength(1);
  const tape = (await loadCatalogue(env.options.cataloguePath)).tapes[0];
  expect(tape.files.map((f) => [f.number, f.state, f.runId])).toEqual([[0, 'verified', undefined], [1, 'verified', 'run-2']]);
  const rebuilt = await rebuildTapeRecord(new TapeDrive(env.options), silentReporter);
  expect(rebuilt.files.map((f) => [f.number, f.state, f.runId])).toEqual(tape.files.map((f) => [f.number, f.state, f.runId]));
}, 120_000);

// A new UTS namespace (its own hostname); as root no user namespace, whose unmapped owners upset tar.
const UNSHARE = process.getuid?.() === 0 ? ['-u'] : ['-Ur', '-u'];
const CAN_UNSHARE = spawnSync('unshare', [...UNSHARE, 'true']).status === 0;

function startWorker(e: TapeEnv, name: string, job: string, staleMs: number, opts: { otherHost?: boolean; lockStaleMs?: number } = {}): { child: ChildProcess; exited: Promise<string> } {
  // Another host: the worker under its own hostname (a new UTS namespace), so locks see another host's holder.
  const [cmd, pre] = opts.otherHost ? ['unshare', [...UNSHARE, 'sh', '-c', `hostname ${name} && exec "$0" "$@"`, NODE22]] : [NODE22, []];
  const child = spawn(cmd, [...pre, '--experimental-transform-types', '--no-warnings', '--import', join(REPO, 'test/ocfl/support/registerTs.mjs'), join(REPO, 'test/destinations/tape/support/tapeWorker.ts'), join(e.dir, 'status'), join(e.dir, 'work'), job], {
    cwd: REPO, detached: true, env: { ...process.env, WORKER_NAME: name, STALE_MS: String(staleMs), ...(opts.lockStaleMs ? { LOCK_STALE_MS: String(opts.lockStaleMs) } : {}) },
  });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  return { child, exited: new Promise((ok) => child.on('close', () => ok(out))) };
}

test.skipIf(REAL_DEVICE)('a worker paused in the middle of its tape write: the worker that takes over writes and records the run once, A writes nothing more', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  await label(env);
  const STALE_MS = 1500;
  const status = new StatusFolder(join(env.dir, 'status'));
  await mkdir(join(env.dir, 'work', 'stage1', 'TT'), { recursive: true });
  const folders = {
    F1: await makeFolder(env, 'F1', Array.from({ length: 3 }, (_, i) => ({ seq: `000${i + 1}`, content: randomBytes(1_000_000) }))),
    F2: await makeFolder(env, 'F2', Array.from({ length: 3 }, (_, i) => ({ seq: `000${i + 1}`, content: randomBytes(1_000_000) }))),
  };
  const job = join(env.dir, 'job.json');
  await writeFile(job, JSON.stringify({ options: env.options, folders }));
  await status.requestRun({ collectionId: 'TT', processes: ['onsite'], user: { email: 'a@example.edu', name: 'Ada' } });

  const stream = status.streamPath('TT');
  const a = startWorker(env, 'host-a', job, STALE_MS);
  await until('A to start its tape write', async () => (await readFile(stream, 'utf8').catch(() => '')).includes('📼 Writing tape file'));
  process.kill(-a.child.pid!, 'SIGSTOP'); // as a suspended VM: node, tar and the tape link
  const [aClaim] = await status.claimed();
  await until('A\'s claim to go stale', async () => ((await status.claimed()).find((c) => c.file === aClaim.file)?.heartbeatAgeMs ?? 0) > STALE_MS + 300);

  const b = startWorker(env, 'host-b', job, STALE_MS);
  const bClaim = await until('B to claim the run', async () => (await status.claimed()).find((c) => c.worker.host === 'host-b'));
  await until('B to wait for the drive A holds', async () => (await readFile(stream, 'utf8').catch(() => '')).includes('⏳ The tape drive localhost:/dev/nst0 is in use by process'));
  process.kill(-a.child.pid!, 'SIGCONT');
  const aOut = await a.exited;
  expect(aOut).toMatch(/This worker \(host-a, process \d+\) no longer holds the run TT-\S+ of TT/);
  // A ended its pass; B, if still at work, still holds its own claim.
  if (b.child.exitCode === null) expect(await status.holds(bClaim)).toBe(true);
  const bOut = await b.exited;
  expect(bOut).toContain('"resumed":["TT"]');

  const runs = await status.archived('TT');
  expect(runs).toHaveLength(1);
  const record = runs[0].record!;
  const log = await readFile(join(status.dir, runs[0].log), 'utf8');
  expect(record.state, `${record.reason}\n${log}`).toBe('succeeded');
  expect(record.worker?.host).toBe('host-b');
  expect(log.split('\n').filter((l) => l.startsWith('✅ Finished'))).toHaveLength(1);
  expect(await status.claimed()).toEqual([]);

  // One verified run file holds each folder's object version once; the tape agrees with the catalogue.
  const cat = await loadCatalogue(env.options.cataloguePath);
  const tape = cat.tapes[0];
  const runFiles = tape.files.filter((f) => f.kind === 'run');
  expect(runFiles.filter((f) => f.state === 'verified')).toHaveLength(1);
  expect(tape.files.filter((f) => f.kind === 'run' && f.state !== 'verified')).toEqual([]); // A recorded nothing
  for (const f of Object.values(folders)) expect(locationsOf(cat, f.package!.objectId, f.package!.version)).toHaveLength(1);
  const rebuilt = await rebuildTapeRecord(new TapeDrive(env.options), silentReporter);
  expect(rebuilt.files.map((f) => [f.number, f.state, f.runId])).toEqual(tape.files.map((f) => [f.number, f.state, f.runId]));
  // ArchivesSpace: every call by B, each folder's container and each image's file version once.
  const calls = (await readFile(join(env.dir, 'work', 'aspace.log'), 'utf8')).split('\n').filter(Boolean);
  expect(calls.every((c) => c.startsWith('host-b '))).toBe(true);
  expect(calls.filter((c) => c.includes(' container '))).toHaveLength(2);
  const versions = calls.filter((c) => c.includes(' file-version '));
  expect(versions).toHaveLength(6);
  expect(new Set(versions).size).toBe(6);
}, 180_000);


test.skipIf(REAL_DEVICE || !CAN_UNSHARE)('a worker on another host paused with the drive open: B takes its stale drive lock over, the drive refuses B (busy) until A is gone, then B writes the run once', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  await label(env);
  const STALE_MS = 1500;
  const status = new StatusFolder(join(env.dir, 'status'));
  await mkdir(join(env.dir, 'work', 'stage1', 'TT'), { recursive: true });
  const folders = {
    F1: await makeFolder(env, 'F1', Array.from({ length: 3 }, (_, i) => ({ seq: `000${i + 1}`, content: randomBytes(2_000_000) }))),
    F2: await makeFolder(env, 'F2', Array.from({ length: 3 }, (_, i) => ({ seq: `000${i + 1}`, content: randomBytes(2_000_000) }))),
  };
  const job = join(env.dir, 'job.json');
  await writeFile(job, JSON.stringify({ options: env.options, folders }));
  await status.requestRun({ collectionId: 'TT', processes: ['onsite'], user: { email: 'a@example.edu', name: 'Ada' } });
  const stream = status.streamPath('TT');
  const held = join(env.library, 'drive.open');
  const tapeBytes = (): number[] => tapeFiles(env!.library, 'A').map((f) => statSync(f).size);

  const a = startWorker(env, 'host-a', job, STALE_MS, { otherHost: true, lockStaleMs: STALE_MS });
  // Pause A while its tar has the drive open for writing.
  await until('A to start its tape write', async () => (await readFile(stream, 'utf8').catch(() => '')).includes('📼 Writing tape file'), 60_000).catch(async (e: Error) => {
    throw new Error(`${e.message}\n${await readFile(stream, 'utf8').catch(() => '')}\n${a.child.exitCode === null ? '' : await a.exited}`);
  });
  await until('A\'s tar to hold the drive open for its write', async () => existsSync(held), 10_000);
  process.kill(-a.child.pid!, 'SIGSTOP'); // as a suspended VM: node, tar and the tape link
  const aHolder = JSON.parse(readFileSync(held, 'utf8')) as { pid: number };
  const atPause = tapeBytes();
  const [aClaim] = await status.claimed();
  await until('A\'s claim to go stale', async () => ((await status.claimed()).find((c) => c.file === aClaim.file)?.heartbeatAgeMs ?? 0) > STALE_MS + 300);

  const b = startWorker(env, 'host-b', job, STALE_MS, { lockStaleMs: STALE_MS });
  // B takes the drive's lock over (A's, another host's, not renewed) and is refused by the drive.
  await until('B to take A\'s stale drive lock over', async () => (await readFile(stream, 'utf8').catch(() => '')).includes("⚠️ The tape drive localhost:/dev/nst0's lock, held by process"));
  await until('the drive to refuse B\'s open', async () => (await readFile(stream, 'utf8').catch(() => '')).includes('⏳ The tape drive localhost:/dev/nst0 refuses to open'));
  const text = await readFile(stream, 'utf8');
  expect(text).toMatch(/refuses to open \(mt-gnu: localhost:\/dev\/nst0: rmtopen failed: Device or resource busy\): another process still has it open — likely process \d+ on host-a \(holding it since [^)]+\), whose lock this run took over as stale/);
  // The fault fired: the stand-in refused opens while A's paused tar held the drive.
  const refused = standinLog(env.library);
  expect(refused.length).toBeGreaterThan(0);
  expect(refused.every((l) => l.includes(`held open by process ${aHolder.pid}`) && l.endsWith('Device or resource busy'))).toBe(true);
  await sleep(1500);
  expect(tapeBytes()).toEqual(atPause); // nothing written while refused
  expect(b.child.exitCode).toBe(null); // B still waiting, not failed

  process.kill(-a.child.pid!, 'SIGKILL'); // A is gone: its open of the drive with it
  await a.exited;
  const bOut = await b.exited;
  expect(bOut).toContain('"resumed":["TT"]');
  const runs = await status.archived('TT');
  expect(runs).toHaveLength(1);
  const record = runs[0].record!;
  const log = await readFile(join(status.dir, runs[0].log), 'utf8');
  expect(record.state, `${record.reason}\n${log}`).toBe('succeeded');
  expect(record.worker?.host).toBe('host-b');
  expect(standinLog(env.library).every((l) => l.includes(`held open by process ${aHolder.pid}`))).toBe(true);

  // The tape read back holds each folder once, verified; whatever A got onto it is kept as unknown.
  const cat = await loadCatalogue(env.options.cataloguePath);
  const tape = cat.tapes[0];
  expect(tape.files.filter((f) => f.kind === 'run' && f.state === 'verified')).toHaveLength(1);
  for (const f of Object.values(folders)) expect(locationsOf(cat, f.package!.objectId, f.package!.version)).toHaveLength(1);
  const rebuilt = await rebuildTapeRecord(new TapeDrive(env.options), silentReporter);
  // (A's partial file, if its tar got any of it onto the tape, reads back as a failed file of the run.)
  const verified = (files: typeof tape.files) => files.filter((f) => f.state === 'verified').map((f) => [f.number, f.runId]);
  expect(verified(rebuilt.files)).toEqual(verified(tape.files));
  expect(rebuilt.files.filter((f) => f.state === 'verified' && f.runId).flatMap((f) => f.objects.map((o) => o.objectId)).sort()).toEqual(Object.values(folders).map((f) => f.package!.objectId).sort());
  const calls = (await readFile(join(env.dir, 'work', 'aspace.log'), 'utf8')).split('\n').filter(Boolean);
  expect(calls.every((c) => c.startsWith('host-b '))).toBe(true);
}, 240_000);
