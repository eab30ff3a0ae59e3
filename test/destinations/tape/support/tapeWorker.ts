/**
 * A real alchemist worker process whose run writes to the tape (for the takeover-mid-tar test):
 * the real pass (runOnce: claims, heartbeats, fence, journal) over a status folder, with a
 * processor that does what the onsite step does — the tape destination's begin, deliver and
 * finish with the run's stop signal and fence — for folders prepared beforehand (OCFL objects).
 * Its ArchivesSpace calls are appended to <dir>/aspace.log with the worker's name, so a test can
 * see a call made twice or by whom.
 * Run with Node 22: tapeWorker.ts <statusDir> <workDir> <job.json>; environment WORKER_NAME, STALE_MS,
 * and LOCK_STALE_MS (the drive lock's staleness across hosts; renewed every fifth of it).
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { runOnce, type RunProcessor } from '../../../../src/alchemist/worker.js';
import { TapeDestination } from '../../../../src/destinations/tape/destination.js';
import { lockTiming } from '../../../../src/policies.js';
import { StatusFolder } from '../../../../src/runs/statusFolder.js';

if (process.env.LOCK_STALE_MS) {
  lockTiming.staleAfterMs = Number(process.env.LOCK_STALE_MS);
  lockTiming.heartbeatMs = Math.max(100, Math.floor(lockTiming.staleAfterMs / 5));
}

const [statusDir, workDir, job] = process.argv.slice(2);
const worker = process.env.WORKER_NAME ?? 'test-worker';
const { options, folders } = JSON.parse(await readFile(job, 'utf8'));
const effect = (what: string) => appendFile(join(workDir, 'aspace.log'), `${worker} ${what}\n`);
const aspace = {
  ensureTapeContainer: async (ao: string, indicator: string) => {
    await effect(`container ${ao} ${indicator}`);
    return '/repositories/2/top_containers/1';
  },
  upsertFileVersions: async (component: string, versions: { file_uri: string }[]) => {
    for (const v of versions) await effect(`file-version ${component} ${v.file_uri}`);
  },
  staffUrl: (u: string) => u,
};

const processor: RunProcessor = {
  steps: () => [{ name: 'onsite', title: 'Preservation files to tape' }],
  async run(ctx) {
    const step = ctx.journal.step('onsite');
    await step.start();
    const scope = { runId: ctx.request.runId, collectionId: ctx.request.collectionId, user: ctx.request.user, processes: ctx.request.processes, reporter: step, aspace, signal: ctx.signal, fence: ctx.fence };
    const dest = new TapeDestination(options);
    try {
      await dest.begin(scope as never);
      for (const f of Object.values(folders)) await dest.deliver(scope as never, f as never);
      await dest.finish(scope as never);
    } catch (err) {
      await step.failed((err as Error).message);
      return { ok: false, reason: (err as Error).message };
    }
    await step.done();
    return { ok: true };
  },
};

for (const n of ['stage1', 'stage2', 'stage3']) await mkdir(join(workDir, n), { recursive: true });
const r = await runOnce({
  status: new StatusFolder(statusDir), folders: { stage1: join(workDir, 'stage1'), stage2: join(workDir, 'stage2'), stage3: join(workDir, 'stage3') }, processor, log: pino({ level: 'info' }),
  staleClaimMs: Number(process.env.STALE_MS ?? 600_000), identity: { host: worker, pid: process.pid }, passEveryMs: 60_000,
});
process.stdout.write(`pass ${JSON.stringify(r)}\n`);
