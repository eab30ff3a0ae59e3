/**
 * The alchemist: each pass takes the run requests waiting in the status folder and executes them.
 * A pass is deterministic and can be driven by tests (`runOnce`), by node-cron every minute, or by
 * the system's cron (`distillery alchemist --once`).
 */
import { readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { FolderSettings } from '../settings/settings.js';
import type { Logger } from '../log.js';
import { RunJournal } from '../runs/journal.js';
import { type Claim, StatusFolder, thisWorker } from '../runs/statusFolder.js';
import type { RunRecord, RunRequest } from '../runs/types.js';
import { moveCollection } from './moveCollection.js';
import { pidAlive } from '../processes.js';

export interface RunContext {
  request: RunRequest;
  journal: RunJournal;
  /** Where the collection folder is while the processes run. */
  collectionPath: string;
  signal: AbortSignal;
  log: Logger;
}

export interface ProcessOutcome {
  /** True when every chosen process finished its work and verified it. */
  ok: boolean;
  /** Why not, for the record and the page. */
  reason?: string;
}

/** Runs the chosen processes of a run (report, then the distill core with its destinations). */
export interface RunProcessor {
  steps(request: RunRequest): { name: string; title: string }[];
  run(ctx: RunContext): Promise<ProcessOutcome>;
}

export interface WorkerEnv {
  status: StatusFolder;
  folders: Pick<FolderSettings, 'stage1' | 'stage2' | 'stage3'>;
  processor: RunProcessor;
  log: Logger;
  /** Claims from other hosts whose heartbeat is older than this belong to a dead worker. */
  staleClaimMs: number;
  heartbeatMs?: number;
  /** RUN_LOG_RETENTION_DAYS: archived run logs older than this are deleted after a run; 0 keeps all. */
  runLogRetentionDays?: number;
}

export interface PassResult {
  started: string[];
  resumed: string[];
  rejected: string[];
}

/** Runs this process is executing now (so a pass never takes its own run for a dead one). */
const active = new Set<string>();

export async function runOnce(env: WorkerEnv): Promise<PassResult> {
  const result: PassResult = { started: [], resumed: [], rejected: [] };
  // 1. Runs whose worker died: put them back in the queue, saying so in their stream.
  for (const claim of await env.status.claimed()) {
    if (active.has(claim.file)) continue;
    const why = deadWorker(claim, env.staleClaimMs);
    if (!why) continue;
    if (await env.status.requeue(claim)) {
      result.resumed.push(claim.request.collectionId);
      await env.status.appendLines(claim.request.collectionId, [`⚠️ The run stopped unexpectedly (${why}); it resumes now where it left off.`]).catch(() => undefined);
      env.log.warn({ collection: claim.request.collectionId, worker: claim.worker, why }, 'requeued a run whose worker died');
    }
  }
  // 2. Init files that do not follow the protocol: set aside with a note, never guessed at.
  for (const name of await env.status.malformed()) {
    await writeFile(join(env.status.dir, `${name}.rejected`), `Rejected: "${name}" is not <collection>-init-<processes> with a valid collection ID and processes (report, cloud, onsite, access joined by _).\n`);
    await unlink(join(env.status.dir, name)).catch(() => undefined);
    result.rejected.push(name);
    env.log.error({ file: name }, 'rejected a malformed init file');
  }
  // 3. New requests, oldest first, one at a time (the two cores are for the images of one run).
  for (const pending of await env.status.pending()) {
    const claim = await env.status.claim(pending);
    if (!claim) continue;
    result.started.push(claim.request.collectionId);
    active.add(claim.file);
    try {
      await executeRun(claim, env);
    } finally {
      active.delete(claim.file);
    }
  }
  return result;
}

function deadWorker(claim: Claim & { heartbeatAgeMs: number }, staleMs: number): string | undefined {
  const me = thisWorker();
  if (claim.worker.host === me.host && claim.worker.pid !== me.pid && !pidAlive(claim.worker.pid)) {
    return `worker process ${claim.worker.pid} on ${claim.worker.host} is no longer running`;
  }
  if (claim.heartbeatAgeMs > staleMs) {
    return `no sign of life from ${claim.worker.host} for ${Math.round(claim.heartbeatAgeMs / 60000)} minutes`;
  }
  return undefined;
}

/** Executes one claimed run to a truthful end: succeeded, or failed with why. */
export async function executeRun(claim: Claim, env: WorkerEnv): Promise<RunRecord> {
  const { request } = claim;
  const id = request.collectionId;
  const log = env.log.child({ run: request.runId, collection: id });
  const prior = await env.status.readRecord(id);
  const record: RunRecord = {
    ...(prior ?? { steps: [], files: [] }),
    request,
    state: 'running',
    attempts: (prior?.attempts ?? 0) + 1,
    startedAt: prior?.startedAt ?? new Date().toISOString(),
    worker: { host: claim.worker.host, pid: claim.worker.pid },
  };
  delete record.reason;
  delete record.finishedAt;
  const journal = new RunJournal(record, env.status, log);
  const controller = new AbortController();
  const heartbeat = setInterval(() => {
    void env.status.heartbeat(claim).then((held) => {
      if (!held) controller.abort(new Error('another worker took this run over after this one stopped answering'));
    }, (err) => log.error({ err }, 'heartbeat failed'));
  }, env.heartbeatMs ?? 30_000);
  heartbeat.unref();

  const movesFolder = request.processes.some((p) => p !== 'report');
  try {
    await journal.line(
      `🟢 ${record.attempts > 1 ? 'Resumed' : 'Started'} on ${hostname()} for ${request.user.name} <${request.user.email}>: ${request.processes.join(', ')} for ${id}.`,
    );
    await journal.plan([
      { name: 'stage', title: movesFolder ? 'Move the collection folder to processing' : 'Find the collection folder' },
      ...env.processor.steps(request),
      ...(movesFolder ? [{ name: 'finish', title: 'Move the collection folder to processed' }] : []),
    ]);

    const stageStep = journal.step('stage');
    await stageStep.start();
    const located = await locateCollection(id, env.folders, movesFolder);
    if (!located.path) {
      await stageStep.failed(located.message);
      return await end(journal, env, claim, 'failed', located.message, `❌ ${located.message}`);
    }
    stageStep.line(located.message);
    await stageStep.done();

    const outcome = await env.processor.run({ request, journal, collectionPath: located.path, signal: controller.signal, log });
    if (controller.signal.aborted) throw controller.signal.reason;
    if (!outcome.ok) {
      const reason = outcome.reason ?? 'a step failed';
      if (movesFolder) await journal.step('finish').skipped('not every chosen process finished; the files stay in the processing folder');
      return await end(journal, env, claim, 'failed', reason, `❌ ${reason} The files stay in ${env.folders.stage2}; fix the cause and submit the collection again.`);
    }
    if (movesFolder) {
      const finish = journal.step('finish');
      await finish.start();
      if (located.stage === 'stage3') {
        await finish.skipped('the folder was already in the processed folder');
      } else {
        const dest = join(env.folders.stage3, id);
        await moveCollection(located.path, dest);
        finish.line(`📦 Moved ${id} to ${env.folders.stage3}.`);
        await finish.done();
      }
    }
    return await end(journal, env, claim, 'succeeded', undefined, `✅ Finished ${request.processes.join(', ')} for ${id}.`);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    log.error({ err }, 'run failed');
    for (const step of record.steps) {
      if (step.state === 'running') {
        step.state = 'failed';
        step.why = reason;
        step.finishedAt = new Date().toISOString();
      } else if (step.state === 'pending') {
        step.state = 'skipped';
        step.why = 'an earlier step failed';
      }
    }
    if (controller.signal.aborted) {
      // Another worker owns the run now: leave the record and stream to it.
      await journal.flush();
      return record;
    }
    return await end(journal, env, claim, 'failed', reason, `❌ ${reason}`);
  } finally {
    clearInterval(heartbeat);
  }
}

async function end(journal: RunJournal, env: WorkerEnv, claim: Claim, state: 'succeeded' | 'failed', reason: string | undefined, line: string): Promise<RunRecord> {
  const record = journal.record;
  for (const step of record.steps) {
    if (step.state === 'pending') {
      step.state = 'skipped';
      step.why = state === 'failed' ? 'an earlier step failed' : 'nothing to do';
    }
  }
  record.state = state;
  if (reason) record.reason = reason;
  record.finishedAt = new Date().toISOString();
  await journal.line(line);
  await journal.flush();
  record.log = await env.status.archive(record);
  await env.status.release(claim);
  if (env.runLogRetentionDays) {
    const removed = await env.status.pruneArchived(env.runLogRetentionDays).catch((err: unknown) => {
      env.log.error({ err }, 'could not delete old run logs');
      return [];
    });
    if (removed.length) env.log.info({ removed: removed.length }, `deleted ${removed.length} archived run log(s) older than ${env.runLogRetentionDays} days (RUN_LOG_RETENTION_DAYS)`);
  }
  return record;
}

type Located = { path?: string; stage?: 'stage1' | 'stage2' | 'stage3'; message: string };

/** Finds the collection folder (exact, case-sensitive name) and, for processing runs, moves it to STAGE_2. */
async function locateCollection(id: string, folders: WorkerEnv['folders'], move: boolean): Promise<Located> {
  const inStage = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).includes(id) && (await stat(join(dir, id))).isDirectory();
  const [s1, s2, s3] = await Promise.all([inStage(folders.stage1), inStage(folders.stage2), inStage(folders.stage3)]);
  if (!move) {
    const stage = s2 ? 'stage2' : s1 ? 'stage1' : s3 ? 'stage3' : undefined;
    if (!stage) return notFound(id, folders);
    return { path: join(folders[stage], id), stage, message: `📂 Found ${id} in ${folders[stage]}.` };
  }
  if (s1) {
    const r = await moveCollection(join(folders.stage1, id), join(folders.stage2, id));
    return {
      path: join(folders.stage2, id),
      stage: 'stage2',
      message: s2 ? `📂 Merged ${id} from ${folders.stage1} into the folder already in ${folders.stage2} (${r.moved} files moved, ${r.alreadyThere} already there).` : `📂 Moved ${id} to ${folders.stage2}.`,
    };
  }
  if (s2) return { path: join(folders.stage2, id), stage: 'stage2', message: `📂 ${id} is already in ${folders.stage2}; continuing with it.` };
  if (s3) return { path: join(folders.stage3, id), stage: 'stage3', message: `📂 ${id} was already processed (it is in ${folders.stage3}); checking it again — only what is missing or changed is done.` };
  return notFound(id, folders);
}

function notFound(id: string, folders: WorkerEnv['folders']): Located {
  return {
    message: `The collection folder "${id}" was not found in ${folders.stage1}. Check that the folder name matches the collection ID exactly (case matters) and that the scans have been copied there, then submit again.`,
  };
}
