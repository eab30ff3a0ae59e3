// The status-file protocol under names and contents that used to break it: IDs containing the
// protocol's own markers, malformed files over many passes, a stream left by a web process that
// stopped between its writes, a wrong-shaped record, an orphan claim, a claim taken from an old
// request. Real folders, the real worker pass; the processes are a small recorder.
import { mkdtemp, mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runOnce, type RunProcessor, type WorkerEnv } from '../../src/alchemist/worker.js';
import { silentLogger } from '../../src/log.js';
import { RequestProblem } from '../../src/runs/requests.js';
import { StatusFolder } from '../../src/runs/statusFolder.js';

let root: string;
let env: WorkerEnv;
let calls: string[];
const user = { email: 'archivist@example.edu', name: 'Ada Archivist' };

const recorder: RunProcessor = {
  steps: (req) => req.processes.map((p) => ({ name: p, title: p })),
  async run(ctx) {
    for (const p of ctx.request.processes) {
      const step = ctx.journal.step(p);
      await step.start();
      calls.push(`${ctx.request.collectionId}:${p}`);
      await step.done();
    }
    return { ok: true };
  },
};

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'protocol-'));
  const folders = { stage1: join(root, 'stage1'), stage2: join(root, 'stage2'), stage3: join(root, 'stage3') };
  for (const f of Object.values(folders)) await mkdir(f, { recursive: true });
  calls = [];
  env = { status: new StatusFolder(join(root, 'status')), folders, processor: recorder, log: silentLogger, staleClaimMs: 600_000, orphanGraceMs: 0 };
  await mkdir(env.status.dir, { recursive: true });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function addCollection(id: string): Promise<void> {
  await mkdir(join(env.folders.stage1, id, `${id}_001_01`), { recursive: true });
  await writeFile(join(env.folders.stage1, id, `${id}_001_01`, `${id}_001_01_0001.tif`), 'scan');
}

/** Every name in the status folder (top level only), without the workers' pass heartbeats. */
async function names(): Promise<string[]> {
  return (await readdir(env.status.dir)).filter((n) => n !== 'workers').sort();
}

describe('collection IDs containing the protocol markers', () => {
  it.each([['X-init-report'], ['X-claimed-cloud'], ['X-processing'], ['X.rejected'], ['X-run.json']])('%s is refused at the request with a clear message and nothing written', async (id) => {
    const err = await env.status.requestRun({ collectionId: id, processes: ['report'], user }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestProblem);
    expect((err as Error).message).toMatch(new RegExp(`^The collection ID "${id.replace(/[.]/g, '\\.')}" contains ".+", which Distillery uses in the names of its status files`));
    expect(await names()).toEqual([]);
  });

  it('a request file for such an ID (written by another tool) is set aside once, and every other request still runs', async () => {
    await addCollection('GOOD');
    await writeFile(join(env.status.dir, 'X-init-report-init-report'), '');
    await env.status.requestRun({ collectionId: 'GOOD', processes: ['cloud'], user });
    const pass = await runOnce(env);
    expect(pass.rejected).toEqual(['X-init-report-init-report']);
    expect(pass.started).toEqual(['GOOD']);
    expect(calls).toEqual(['GOOD:cloud']);
  });
});

describe('malformed status files', () => {
  it('are set aside once and never touched again, no name grows, and requests keep being taken over many passes', async () => {
    await writeFile(join(env.status.dir, 'X-init-report'), '{"collectionId":"X"}');
    await writeFile(join(env.status.dir, 'bad id-init-cloud'), '');
    await writeFile(join(env.status.dir, 'Y-init-report_sing'), '');
    const seen = new Set<string>();
    let longest = 0;
    for (let pass = 0; pass < 40; pass++) {
      if (pass === 35) {
        await addCollection('LATE');
        await env.status.requestRun({ collectionId: 'LATE', processes: ['cloud'], user });
      }
      const r = await runOnce(env);
      expect(r.problems).toEqual([]);
      for (const n of r.rejected) {
        expect(seen.has(n), `${n} set aside twice`).toBe(false);
        seen.add(n);
      }
      const all = await readdir(env.status.dir, { recursive: true });
      longest = Math.max(longest, ...all.map((n) => n.split('/').at(-1)!.length));
    }
    // X-init-report parses as collection X with processes "report": a valid request, run (X has no folder).
    expect(calls).toEqual(['LATE:cloud']);
    expect((await env.status.archived('X'))[0].record?.reason).toMatch(/collection folder "X" was not found/);
    expect([...seen].sort()).toEqual(['Y-init-report_sing', 'bad id-init-cloud']);
    expect(longest).toBeLessThanOrEqual('bad id-init-cloud'.length + 10);
    expect((await names()).filter((n) => n.includes('-init-') || n.includes('rejected'))).toEqual([]);
    const reasons = await readFile(join(env.status.dir, 'set-aside', 'reasons.log'), 'utf8');
    expect(reasons.trim().split('\n')).toHaveLength(2);
    expect(reasons).toContain('"report_sing" is not processes');
  });

  it('files set aside by an older version (….rejected) are moved once, under their own name', async () => {
    await writeFile(join(env.status.dir, 'bad id-init-cloud.rejected.rejected'), 'Rejected: …');
    expect((await runOnce(env)).rejected).toEqual(['bad id-init-cloud.rejected.rejected']);
    expect((await runOnce(env)).rejected).toEqual([]);
    expect(await names()).toEqual(['set-aside']);
  });
});

describe('a stream left without its request', () => {
  it('(the web process stopped between its writes) is archived as abandoned on the next pass, and the collection can be submitted again', async () => {
    await addCollection('LEFT');
    await env.status.requestRun({ collectionId: 'LEFT', processes: ['cloud'], user });
    // What a web process killed after the stream and the record leaves: no request.
    await rm(join(env.status.dir, 'LEFT-init-cloud'));
    await expect(env.status.requestRun({ collectionId: 'LEFT', processes: ['cloud'], user })).rejects.toThrow(/already queued or in progress/);
    const pass = await runOnce(env);
    expect(pass.abandoned).toEqual(['LEFT']);
    const [archived] = await env.status.archived('LEFT');
    expect(archived.record?.state).toBe('failed');
    expect(archived.record?.reason).toMatch(/^Abandoned: the request was never completed .* Nothing was done; submit the collection again\.$/);
    expect(await readFile(join(env.status.dir, archived.log), 'utf8')).toContain('⚠️ Abandoned:');
    await env.status.requestRun({ collectionId: 'LEFT', processes: ['cloud'], user });
    expect((await runOnce(env)).started).toEqual(['LEFT']);
    expect(calls).toEqual(['LEFT:cloud']);
  });

  it('a stream with no record at all is archived too, and a fresh stream is left alone until it is old enough', async () => {
    await writeFile(join(env.status.dir, 'BARE-processing'), '');
    expect((await runOnce({ ...env, orphanGraceMs: 60_000 })).abandoned).toEqual([]);
    expect(await names()).toContain('BARE-processing');
    const pass = await runOnce(env);
    expect(pass.abandoned).toEqual(['BARE']);
    const [archived] = await env.status.archived('BARE');
    expect(archived.record?.state).toBe('failed');
    expect(archived.record?.request.user.name).toMatch(/unknown/);
  });
});

describe('wrong-shaped records and orphan claims', () => {
  it('a record "{}" does not stop the pass: the run is done with a new record, the claim released, the damage reported in the stream', async () => {
    await addCollection('SHAPE');
    await env.status.requestRun({ collectionId: 'SHAPE', processes: ['cloud'], user });
    await writeFile(join(env.status.dir, 'SHAPE-run.json'), '{}');
    const pass = await runOnce(env);
    expect(pass.problems).toEqual([]);
    expect(pass.started).toEqual(['SHAPE']);
    const [archived] = await env.status.archived('SHAPE');
    expect(archived.record?.state).toBe('succeeded');
    expect(await readFile(join(env.status.dir, archived.log), 'utf8')).toContain('⚠️ The run record SHAPE-run.json was not a run record');
    expect((await names()).filter((n) => n.startsWith('SHAPE-') && !/-\d{14}\.(log|json)$/.test(n))).toEqual([]);
  });

  it('a claim without its request (empty or wrong-shaped content) never stops a pass; once stale it is resumed from its name', async () => {
    await addCollection('ORPH');
    await addCollection('NEXT');
    await writeFile(join(env.status.dir, 'ORPH-processing'), '');
    await writeFile(join(env.status.dir, 'ORPH-claimed-cloud'), '{"worker":{"host":"gone"}}');
    await writeFile(join(env.status.dir, 'ORPH-run.json'), '[]');
    await env.status.requestRun({ collectionId: 'NEXT', processes: ['cloud'], user });
    const first = await runOnce(env);
    expect(first.problems).toEqual([]);
    expect(first.started).toEqual(['NEXT']);
    const pass = await runOnce({ ...env, staleClaimMs: -1 });
    expect(pass.problems).toEqual([]);
    expect(pass.resumed).toEqual(['ORPH']);
    expect(pass.started).toEqual(['ORPH']);
    const [archived] = await env.status.archived('ORPH');
    expect(archived.record?.state).toBe('succeeded');
  });
});

describe('claims', () => {
  it('are fresh from the moment of the rename, even when the request is hours old', async () => {
    await env.status.requestRun({ collectionId: 'OLD', processes: ['cloud'], user });
    const init = join(env.status.dir, 'OLD-init-cloud');
    const hoursAgo = new Date(Date.now() - 3 * 3600_000);
    await utimes(init, hoursAgo, hoursAgo);
    // The moment between the rename and the claim's content: another worker must not see a dead claim.
    await rename(init, join(env.status.dir, 'OLD-claimed-cloud-0123456789abcdef'));
    expect((await stat(join(env.status.dir, 'OLD-claimed-cloud-0123456789abcdef'))).mtimeMs).toBeLessThan(Date.now() - 3600_000);
    const [held] = await env.status.claimed();
    expect(held.heartbeatAgeMs).toBeLessThan(10_000);
    expect(held.token).toBe('0123456789abcdef');
    expect((await runOnce({ ...env, staleClaimMs: 60_000 })).resumed).toEqual([]);
  });

  it('carry an owner token in their name: heartbeat, release and re-queue of a lost claim touch nothing of the new owner', async () => {
    await env.status.requestRun({ collectionId: 'TAKE', processes: ['cloud'], user });
    const [p] = await env.status.pending();
    const a = (await env.status.claim(p, { host: 'host-a', pid: 1 }))!;
    // B finds A stale, re-queues and claims the same run: the claim file has the same prefix, another token.
    const [stale] = await env.status.claimed();
    expect(await env.status.requeue(stale)).toBe(true);
    const b = (await env.status.claim((await env.status.pending())[0], { host: 'host-b', pid: 2 }))!;
    expect(b.file).not.toBe(a.file);
    expect(b.file.startsWith('TAKE-claimed-cloud-')).toBe(true);
    expect(await env.status.heartbeat(a)).toBe(false);
    expect(await env.status.holds(a)).toBe(false);
    expect(await env.status.requeue(a)).toBe(false);
    await env.status.release(a);
    expect(await env.status.holds(b)).toBe(true);
    expect(await env.status.heartbeat(b)).toBe(true);
    const [held] = await env.status.claimed();
    expect(held.worker).toEqual({ host: 'host-b', pid: 2 });
  });
});
