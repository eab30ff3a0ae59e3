// The alchemist against real folders on disk; the processes are small RunProcessor implementations
// that record what they were asked to do (the thing under test is the worker, not the processes).
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runOnce, type RunProcessor, type WorkerEnv } from '../../src/alchemist/worker.js';
import { silentLogger } from '../../src/log.js';
import { StatusFolder } from '../../src/runs/statusFolder.js';
import type { RunRecord } from '../../src/runs/types.js';

let root: string;
let env: WorkerEnv;
let calls: string[];

const user = { email: 'archivist@example.edu', name: 'Ada Archivist' };

function recorder(behaviour: (collectionPath: string) => Promise<{ ok: boolean; reason?: string }> = async () => ({ ok: true })): RunProcessor {
  return {
    steps: (req) => req.processes.map((p) => ({ name: p, title: p })),
    async run(ctx) {
      for (const p of ctx.request.processes) {
        const step = ctx.journal.step(p);
        await step.start();
        calls.push(`${p}:${ctx.collectionPath}`);
        step.line(`did ${p}`);
        await step.done();
      }
      return behaviour(ctx.collectionPath);
    },
  };
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'alchemist-'));
  const folders = { stage1: join(root, 'stage1'), stage2: join(root, 'stage2'), stage3: join(root, 'stage3') };
  for (const f of Object.values(folders)) await mkdir(f, { recursive: true });
  calls = [];
  env = { status: new StatusFolder(join(root, 'status')), folders, processor: recorder(), log: silentLogger, staleClaimMs: 600_000 };
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function addCollection(id: string): Promise<void> {
  await mkdir(join(env.folders.stage1, id, `${id}_001_01`), { recursive: true });
  await writeFile(join(env.folders.stage1, id, `${id}_001_01`, `${id}_001_01_0001.tif`), 'scan');
}

async function archivedRecord(id: string): Promise<{ record: RunRecord; log: string }> {
  const [run] = await env.status.archived(id);
  expect(run, `an archived run for ${id}`).toBeDefined();
  return { record: run.record!, log: await readFile(join(env.status.dir, run.log), 'utf8') };
}

describe('alchemist pass', () => {
  it('claims a request, moves the folder through the stages, runs processes in order and archives the log', async () => {
    await addCollection('HBF');
    await env.status.requestRun({ collectionId: 'HBF', processes: ['access', 'cloud', 'report'], user });
    const pass = await runOnce(env);
    expect(pass.started).toEqual(['HBF']);
    expect(calls).toEqual([`report:${join(env.folders.stage2, 'HBF')}`, `cloud:${join(env.folders.stage2, 'HBF')}`, `access:${join(env.folders.stage2, 'HBF')}`]);
    expect(await readdir(env.folders.stage1)).toEqual([]);
    expect(await readdir(join(env.folders.stage3, 'HBF', 'HBF_001_01'))).toEqual(['HBF_001_01_0001.tif']);
    const names = await readdir(env.status.dir);
    expect(names.filter((n) => n.startsWith('HBF-init') || n.startsWith('HBF-claimed') || n === 'HBF-processing')).toEqual([]);
    const { record, log } = await archivedRecord('HBF');
    expect(record.state).toBe('succeeded');
    expect(record.steps.map((s) => [s.name, s.state])).toEqual([
      ['stage', 'done'], ['report', 'done'], ['cloud', 'done'], ['access', 'done'], ['finish', 'done'],
    ]);
    expect(log.split('\n')[0]).toMatch(/^🟢 Started on .* for Ada Archivist <archivist@example.edu>: report, cloud, access for HBF\.$/);
    expect(log).toContain('✅ Finished');
    // The next pass finds nothing to do.
    expect((await runOnce(env)).started).toEqual([]);
  });

  it('runs a claimed request exactly once when two alchemists race for it', async () => {
    await addCollection('RACE');
    await env.status.requestRun({ collectionId: 'RACE', processes: ['cloud'], user });
    const [a, b] = await Promise.all([runOnce(env), runOnce({ ...env })]);
    expect(a.started.length + b.started.length).toBe(1);
    expect(calls).toHaveLength(1);
  });

  it('reports a missing collection folder clearly, cleans up the request and moves nothing', async () => {
    await addCollection('Other');
    await env.status.requestRun({ collectionId: 'Missing', processes: ['cloud'], user });
    await runOnce(env);
    expect(calls).toEqual([]);
    const { record, log } = await archivedRecord('Missing');
    expect(record.state).toBe('failed');
    expect(record.reason).toMatch(/collection folder "Missing" was not found in .*stage1.*case matters/);
    expect(log).toContain('❌ The collection folder "Missing" was not found');
    expect(await readdir(env.status.dir)).not.toContain('Missing-processing');
    expect((await readdir(env.status.dir)).some((n) => n.startsWith('Missing-init') || n.startsWith('Missing-claimed'))).toBe(false);
    expect(await readdir(env.folders.stage1)).toEqual(['Other']);
    expect(await readdir(env.folders.stage2)).toEqual([]);
  });

  it('matches the collection folder case-sensitively', async () => {
    await addCollection('hbf');
    await env.status.requestRun({ collectionId: 'HBF', processes: ['cloud'], user });
    await runOnce(env);
    expect((await archivedRecord('HBF')).record.state).toBe('failed');
    expect(await readdir(env.folders.stage1)).toEqual(['hbf']);
  });

  it('marks the run failed with the reason when a process throws, and leaves the files in processing', async () => {
    await addCollection('BOOM');
    env.processor = {
      steps: () => [{ name: 'cloud', title: 'Send to the cloud' }, { name: 'access', title: 'Publish' }],
      async run(ctx) {
        await ctx.journal.step('cloud').start();
        throw new Error('S3 said AccessDenied: check the bucket policy');
      },
    };
    await env.status.requestRun({ collectionId: 'BOOM', processes: ['cloud', 'access'], user });
    await runOnce(env);
    const { record, log } = await archivedRecord('BOOM');
    expect(record.state).toBe('failed');
    expect(record.reason).toBe('S3 said AccessDenied: check the bucket policy');
    expect(record.steps.map((s) => [s.name, s.state])).toEqual([
      ['stage', 'done'], ['cloud', 'failed'], ['access', 'skipped'], ['finish', 'skipped'],
    ]);
    expect(log).toContain('❌ S3 said AccessDenied');
    expect(await readdir(join(env.folders.stage2, 'BOOM', 'BOOM_001_01'))).toEqual(['BOOM_001_01_0001.tif']);
    expect(await readdir(env.folders.stage3)).toEqual([]);
  });

  it('keeps the files in processing when a process reports that not everything was done', async () => {
    await addCollection('PART');
    env.processor = recorder(async () => ({ ok: false, reason: '2 of 5 images could not be converted.' }));
    await env.status.requestRun({ collectionId: 'PART', processes: ['cloud'], user });
    await runOnce(env);
    const { record } = await archivedRecord('PART');
    expect(record.state).toBe('failed');
    expect(record.reason).toBe('2 of 5 images could not be converted.');
    expect(record.steps.find((s) => s.name === 'finish')?.state).toBe('skipped');
    expect(await readdir(env.folders.stage2)).toEqual(['PART']);
    // Submitting again continues from the processing folder.
    env.processor = recorder();
    await env.status.requestRun({ collectionId: 'PART', processes: ['cloud'], user });
    await runOnce(env);
    expect((await archivedRecord('PART')).record.state).toBe('succeeded');
    expect(await readdir(env.folders.stage3)).toEqual(['PART']);
  });

  it('does not move the folder for a report-only run', async () => {
    await addCollection('REP');
    await env.status.requestRun({ collectionId: 'REP', processes: ['report'], user });
    await runOnce(env);
    expect(calls).toEqual([`report:${join(env.folders.stage1, 'REP')}`]);
    expect(await readdir(env.folders.stage1)).toEqual(['REP']);
    expect((await archivedRecord('REP')).record.state).toBe('succeeded');
  });

  it('resumes a run whose worker process died, saying so in the stream', async () => {
    await addCollection('CRASH');
    await env.status.requestRun({ collectionId: 'CRASH', processes: ['cloud'], user });
    const [pending] = await env.status.pending();
    // A worker on this host with a process id that no longer exists claimed it, then died.
    await env.status.claim(pending, { host: (await import('node:os')).hostname(), pid: 999_999_9 });
    const pass = await runOnce(env);
    expect(pass.resumed).toEqual(['CRASH']);
    expect(pass.started).toEqual(['CRASH']);
    const { record, log } = await archivedRecord('CRASH');
    expect(record.state).toBe('succeeded');
    expect(log).toContain('⚠️ The run stopped unexpectedly (worker process 9999999');
  });

  it('leaves a run held by a live worker on another host alone until its heartbeat is stale', async () => {
    await addCollection('HELD');
    await env.status.requestRun({ collectionId: 'HELD', processes: ['cloud'], user });
    const [pending] = await env.status.pending();
    await env.status.claim(pending, { host: 'other-host', pid: 42 });
    expect((await runOnce(env)).started).toEqual([]);
    expect(calls).toEqual([]);
    const pass = await runOnce({ ...env, staleClaimMs: -1 });
    expect(pass.resumed).toEqual(['HELD']);
    expect((await archivedRecord('HELD')).record.state).toBe('succeeded');
  });

  it('sets aside an init file that does not follow the protocol', async () => {
    await mkdir(env.status.dir, { recursive: true });
    await writeFile(join(env.status.dir, 'bad id-init-cloud'), '');
    const pass = await runOnce(env);
    expect(pass.rejected).toEqual(['bad id-init-cloud']);
    expect((await readdir(env.status.dir)).filter((n) => n !== 'workers')).toEqual(['set-aside']);
    const [stampDir] = await readdir(join(env.status.dir, 'set-aside'), { withFileTypes: true }).then((d) => d.filter((e) => e.isDirectory()).map((e) => e.name));
    expect(await readdir(join(env.status.dir, 'set-aside', stampDir))).toEqual(['bad id-init-cloud']);
    expect(await readFile(join(env.status.dir, 'set-aside', 'reasons.log'), 'utf8')).toMatch(/bad id-init-cloud: The collection ID "bad id" may contain only/);
  });
});
