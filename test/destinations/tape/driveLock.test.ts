/**
 * One lock per tape drive, across processes and hosts: two real worker processes writing to one
 * tape drive stand-in take turns (neither's mt or tar interleaves with the other's), both runs'
 * files are on the tape and verified, and the catalogue on the shared mount holds both (re-read
 * and merged under the lock). A lock left by a dead holder is taken over; a live holder's is waited
 * for, up to TAPE_DRIVE_LOCK_TIMEOUT.
 */
import { spawn } from 'node:child_process';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { driveLockPath, loadCatalogue } from '../../../src/destinations/tape/catalogue.js';
import { TapeDestination } from '../../../src/destinations/tape/index.js';
import { policies } from '../../../src/policies.js';
import { NODE22, REPO } from '../../ocfl/helpers.js';
import { makeFolder, RecordingArchivesSpace, REAL_DEVICE, runScope, tapeEnv, type TapeEnv } from './fixture.js';

let env: TapeEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

function writer(job: string, name: string, runId: string): Promise<{ code: number | null; out: string[] }> {
  return new Promise((resolve, reject) => {
    const p = spawn(NODE22, ['--experimental-transform-types', '--no-warnings', '--import', join(REPO, 'test/ocfl/support/registerTs.mjs'), join(REPO, 'test/destinations/tape/support/writer.ts'), job, name, runId], { cwd: REPO });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d));
    p.stderr.on('data', (d: Buffer) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out: out.split('\n').filter(Boolean) }));
  });
}

test.skipIf(REAL_DEVICE)('two processes writing to one tape drive take turns; both runs are on tape, verified, and in the catalogue', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  const { tapeCommand } = await import('../../../src/destinations/tape/cli.js');
  expect(await tapeCommand(['label', 'LTO-000001'], { settings: { ...env.options, ignoredKeys: [] }, out: () => undefined, err: () => undefined })).toBe(0);
  const folders = {
    F1: await makeFolder(env, 'F1', [{ seq: '0001' }, { seq: '0002' }, { seq: '0003' }]),
    F2: await makeFolder(env, 'F2', [{ seq: '0001' }, { seq: '0002' }, { seq: '0003' }]),
  };
  const job = join(env.dir, 'job.json');
  await writeFile(job, JSON.stringify({ options: env.options, folders }));
  const [a, b] = await Promise.all([writer(job, 'F1', 'run-1'), writer(job, 'F2', 'run-2')]);
  expect(a.out.at(-1), a.out.join('\n')).toBe('DONE');
  expect(b.out.at(-1), b.out.join('\n')).toBe('DONE');
  // One of them found the drive in use and waited for it.
  expect([...a.out, ...b.out].filter((l) => l.startsWith('⏳ The tape drive localhost:/dev/nst0 is in use by process'))).not.toHaveLength(0);

  const tape = (await loadCatalogue(env.options.cataloguePath)).tapes.find((t) => t.indicator === 'LTO-000001')!;
  expect(tape.files.map((f) => [f.number, f.kind, f.state])).toEqual([[0, 'label', 'verified'], [1, 'run', 'verified'], [2, 'run', 'verified']]);
  expect(tape.files.slice(1).map((f) => f.runId).sort()).toEqual(['run-1', 'run-2']);
  expect(tape.files.slice(1).flatMap((f) => f.objects.map((o) => o.objectId)).sort()).toEqual([folders.F1.package!.objectId, folders.F2.package!.objectId].sort());
  // The tape itself agrees: read back from the drive, file by file.
  const { rebuildTapeRecord } = await import('../../../src/destinations/tape/rebuild.js');
  const { TapeDrive } = await import('../../../src/destinations/tape/drive.js');
  const { silentReporter } = await import('../../../src/runs/reporter.js');
  const rebuilt = await rebuildTapeRecord(new TapeDrive(env.options), silentReporter);
  expect(rebuilt.files.map((f) => [f.number, f.state, f.runId])).toEqual(tape.files.map((f) => [f.number, f.state, f.runId]));
}, 240_000);

test.skipIf(REAL_DEVICE)("a dead holder's lock is taken over; a live holder's is waited for, then the run fails naming it and the setting", async () => {
  env = await tapeEnv({ A: {} }, 'A');
  const { tapeCommand } = await import('../../../src/destinations/tape/cli.js');
  expect(await tapeCommand(['label', 'LTO-000001'], { settings: { ...env.options, ignoredKeys: [] }, out: () => undefined, err: () => undefined })).toBe(0);
  const lock = driveLockPath(env.options.cataloguePath, env.options.device);
  await mkdir(dirname(lock), { recursive: true });

  // Another host's lock, not renewed for an hour: its holder is dead.
  await writeFile(lock, JSON.stringify({ pid: 1, host: 'tapehost-2', since: '2026-01-01T00:00:00Z', what: 'tape', token: 'old' }));
  const old = new Date(Date.now() - 3600_000);
  await utimes(lock, old, old);
  const scope = runScope(new RecordingArchivesSpace(), 'run-1');
  const dest = new TapeDestination(env.options);
  await dest.begin(scope);
  await dest.deliver(scope, await makeFolder(env, 'F1', [{ seq: '0001' }]));
  await dest.finish(scope);
  expect((await loadCatalogue(env.options.cataloguePath)).tapes[0].files.map((f) => f.state)).toEqual(['verified', 'verified']);

  // A live holder on another host (renewed just now): waited for, up to the policy's time-out.
  await writeFile(lock, JSON.stringify({ pid: 1, host: 'tapehost-2', since: new Date().toISOString(), what: 'tape', token: 'live' }));
  const before = policies.tapeDriveLock.timeoutMs;
  policies.tapeDriveLock.timeoutMs = 1_000;
  try {
    const second = runScope(new RecordingArchivesSpace(), 'run-2');
    const err = await new TapeDestination(env.options).begin(second).catch((e: unknown) => e);
    expect(second.reporter.lines).toContain(`⏳ The tape drive localhost:/dev/nst0 is in use by process 1 on tapehost-2 since ${JSON.parse(await (await import('node:fs/promises')).readFile(lock, 'utf8')).since}; waiting for it to finish.`);
    expect((err as Error).message).toMatch(/^The tape drive localhost:\/dev\/nst0 is in use by process 1 on tapehost-2 since .* \(waited 1 s; raise TAPE_DRIVE_LOCK_TIMEOUT in settings\.ini to wait longer\)/);
  } finally {
    policies.tapeDriveLock.timeoutMs = before;
  }
}, 120_000);

test.skipIf(REAL_DEVICE)('a hung mt is stopped at its time-out, and the run says which tool, drive and setting', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  const hung = join(env.dir, 'hung-mt');
  await writeFile(hung, '#!/bin/sh\nwhile :; do sleep 1; done\n', { mode: 0o755 });
  const before = policies.tapePosition.timeoutMs;
  policies.tapePosition.timeoutMs = 1_000;
  try {
    const scope = runScope(new RecordingArchivesSpace(), 'run-1');
    const err = await new TapeDestination({ ...env.options, mtCommand: hung }).begin(scope).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'The tape drive localhost:/dev/nst0 is not ready: hung-mt on localhost:/dev/nst0 did not finish in time and was stopped (time-out 1 s, tape positioning policy; if it needs longer, raise TAPE_POSITION_TIMEOUT in settings.ini).',
    );
  } finally {
    policies.tapePosition.timeoutMs = before;
  }
}, 60_000);

test.skipIf(REAL_DEVICE)("the run's stop signal stops tar in the middle of a tape write; nothing is recorded as on tape", async () => {
  env = await tapeEnv({ A: {} }, 'A');
  const { tapeCommand } = await import('../../../src/destinations/tape/cli.js');
  expect(await tapeCommand(['label', 'LTO-000001'], { settings: { ...env.options, ignoredKeys: [] }, out: () => undefined, err: () => undefined })).toBe(0);
  const stop = new AbortController();
  const scope = { ...runScope(new RecordingArchivesSpace(), 'run-1'), signal: stop.signal };
  const dest = new TapeDestination(env.options);
  await dest.begin(scope);
  const { randomBytes } = await import('node:crypto');
  await dest.deliver(scope, await makeFolder(env, 'F1', Array.from({ length: 8 }, (_, i) => ({ seq: String(i + 1).padStart(4, '0'), content: randomBytes(2_000_000) }))));
  // Stop as soon as the write starts.
  const orig = scope.reporter.line.bind(scope.reporter);
  scope.reporter.line = (l: string) => {
    orig(l);
    if (l.startsWith('📼 Writing tape file')) setTimeout(() => stop.abort(new Error('the run was cancelled')), 200);
  };
  const err = await dest.finish(scope).catch((e: unknown) => e);
  expect((err as Error).message).toMatch(/tar on localhost:\/dev\/nst0 was stopped because the run was stopped: the run was cancelled/);
  const files = (await loadCatalogue(env.options.cataloguePath)).tapes[0].files;
  expect(files.filter((f) => f.state === 'verified' && f.kind === 'run')).toHaveLength(0);
}, 120_000);

test.skipIf(REAL_DEVICE)('a drive another process has open (busy) is tried again up to TAPE_DRIVE_LOCK_TIMEOUT, then the run fails naming it; nothing is written', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  const { tapeCommand } = await import('../../../src/destinations/tape/cli.js');
  expect(await tapeCommand(['label', 'LTO-000001'], { settings: { ...env.options, ignoredKeys: [] }, out: () => undefined, err: () => undefined })).toBe(0);
  // A real stand-in process (as rmt on the tape server) that opens the drive and keeps it open.
  const { standinCommand } = await import('../../../src/destinations/tape/standin/rsh.js');
  const { standinLog, tapeFiles } = await import('../../../src/destinations/tape/standin/rmt-standin.js');
  const [cmd, ...args] = standinCommand();
  const holder = spawn(cmd, [...args, '--library', env.library], { stdio: ['pipe', 'pipe', 'inherit'] });
  const opened = new Promise<string>((ok) => holder.stdout.once('data', (b: Buffer) => ok(b.toString())));
  holder.stdin.write('O/dev/nst0\n2\n');
  expect(await opened).toBe('A0\n');
  const before = policies.tapeDriveLock.timeoutMs;
  policies.tapeDriveLock.timeoutMs = 1_500;
  try {
    const scope = runScope(new RecordingArchivesSpace(), 'run-1');
    const err = await new TapeDestination(env.options).begin(scope).catch((e: unknown) => e);
    expect(scope.reporter.lines.filter((l) => l.startsWith('⏳ The tape drive localhost:/dev/nst0 refuses to open (mt-gnu: localhost:/dev/nst0: rmtopen failed: Device or resource busy)'))).toHaveLength(1);
    expect((err as Error).message).toMatch(/^The tape drive localhost:\/dev\/nst0 stayed busy \(mt-gnu: localhost:\/dev\/nst0: rmtopen failed: Device or resource busy\) for 2 s: another process still has it open — no other Distillery process holds its lock, so likely a program outside Distillery .*Nothing was written to the tape by this run\. End that process .*`fuser -v \/dev\/nst0`.*TAPE_DRIVE_LOCK_TIMEOUT/);
    expect(standinLog(env.library).filter((l) => l.includes(`held open by process ${holder.pid}`)).length).toBeGreaterThan(1); // refused, tried again
    expect(tapeFiles(env.library, 'A')).toHaveLength(1); // the label only
  } finally {
    policies.tapeDriveLock.timeoutMs = before;
    holder.kill('SIGKILL');
  }
  // The holder gone (as the kernel closes a dead process's device), the drive opens again.
  const scope = runScope(new RecordingArchivesSpace(), 'run-2');
  await new TapeDestination(env.options).begin(scope);
  expect(scope.reporter.lines.some((l) => l.includes('📼 Tape LTO-000001 is in'))).toBe(true);
}, 60_000);
