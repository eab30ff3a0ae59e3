/**
 * The alchemist: each pass takes the run requests waiting in the status folder and executes them.
 * A pass is deterministic and can be driven by tests (`runOnce`), by node-cron every minute, or by
 * the system's cron (`distillery alchemist --once`).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FolderSettings } from '../settings/settings.js';
import type { Logger } from '../log.js';
import { RunJournal } from '../runs/journal.js';
import { type Claim, StatusFolder, thisWorker, type WorkerIdentity } from '../runs/statusFolder.js';
import type { RunRecord } from '../runs/types.js';
import { ClaimLost, RunCancelled, RunFence } from './fence.js';
import { moveCollection } from './moveCollection.js';
import { pidAlive } from '../osProcess.js';

export type { ProcessOutcome, RunContext, RunProcessor } from '../runs/processor.js';
import type { RunProcessor } from '../runs/processor.js';

export interface WorkerEnv {
  status: StatusFolder;
  folders: Pick<FolderSettings, 'stage1' | 'stage2' | 'stage3'>;
  processor: RunProcessor;
  log: Logger;
  /** Claims from other hosts whose heartbeat is older than this belong to a dead worker. */
  staleClaimMs: number;
  heartbeatMs?: number;
  /** Who this worker is in claims (ALCHEMIST_WORKER_NAME or the host name, and the process id). */
  identity?: WorkerIdentity;
  /** The longest a well worker goes between passes (from ALCHEMIST_SCHEDULE), for its pass heartbeat. */
  passEveryMs?: number;
  schedule?: string;
  /** How old a stream or temporary file with no request must be before it counts as left behind. */
  orphanGraceMs?: number;
  /** RUN_LOG_RETENTION_DAYS: archived run logs older than this are deleted after a run; 0 keeps all. */
  runLogRetentionDays?: number;
}

export interface PassResult {
  started: string[];
  resumed: string[];
  /** Status files set aside because they do not follow the protocol. */
  rejected: string[];
  /** Runs whose request never completed (stream with no request or claim), archived as abandoned. */
  abandoned: string[];
  /** Anything that went wrong with one status file or run; the pass carried on with the rest. */
  problems: string[];
}

/** Runs this process is executing now (so a pass never takes its own run for a dead one). */
const active = new Set<string>();

export async function runOnce(env: WorkerEnv): Promise<PassResult> {
  const result: PassResult = { started: [], resumed: [], rejected: [], abandoned: [], problems: [] };
  const me = env.identity ?? thisWorker();
  // One status file or run that goes wrong never stops the pass: it is reported and the pass goes on.
  const guarded = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      result.problems.push(`${what}: ${why}`);
      env.log.error({ err, what }, 'a status file could not be handled; the pass goes on');
    }
  };
  await guarded('pass heartbeat', () => passBeat(env, me));
  // 1. Runs whose worker died: put them back in the queue, saying so in their stream.
  for (const claim of await env.status.claimed()) {
    if (active.has(claim.file)) continue;
    const why = deadWorker(claim, env.staleClaimMs, me);
    if (!why) continue;
    await guarded(claim.file, async () => {
      if (await env.status.requeue(claim)) {
        result.resumed.push(claim.request.collectionId);
        await env.status.appendLines(claim.request.collectionId, [`⚠️ The run stopped unexpectedly (${why}); it resumes now where it left off.`]).catch(() => undefined);
        env.log.warn({ collection: claim.request.collectionId, worker: claim.worker, why }, 'requeued a run whose worker died');
      }
    });
  }
  // 2. Status files that do not follow the protocol: set aside once, never guessed at, never renamed again.
  for (const { name, why } of await env.status.malformed(env.orphanGraceMs)) {
    await guarded(name, async () => {
      const moved = await env.status.setAside(name, why);
      if (!moved) return;
      result.rejected.push(name);
      env.log.error({ file: name, why, to: moved.to }, 'set aside a status file that does not follow the protocol');
    });
  }
  // 3. Streams whose request never completed (or was removed): archived as abandoned, so the
  //    collection can be asked for again.
  for (const id of await env.status.orphanStreams(env.orphanGraceMs)) {
    await guarded(`${id}-processing`, async () => {
      const ended = await env.status.endUnfinished(id, 'the request was never completed (the web form stopped between writing the stream and the request, or the request file was removed), so no worker could run it.');
      if (!ended) return;
      result.abandoned.push(id);
      env.log.warn({ collection: id, state: ended.state, reason: ended.reason }, 'archived a run nobody could finish');
    });
  }
  // 4. New requests, oldest first, one at a time (the two cores are for the images of one run).
  for (const pending of await env.status.pending()) {
    await guarded(pending.file, async () => {
      const claim = await env.status.claim(pending, me);
      if (!claim) return;
      result.started.push(claim.request.collectionId);
      active.add(claim.file);
      try {
        await executeRun(claim, env);
      } finally {
        active.delete(claim.file);
      }
    });
  }
  return result;
}

/** Leaves this worker's pass heartbeat in the status folder (the form and status pages read it). */
async function passBeat(env: WorkerEnv, me: WorkerIdentity, busyWith?: string): Promise<void> {
  const now = Date.now();
  const heartbeatMs = heartbeatEvery(env);
  // While busy with a run the claim heartbeat renews it; between passes the schedule says when.
  const nextIn = busyWith ? 2 * heartbeatMs : (env.passEveryMs ?? 60_000) + heartbeatMs;
  await env.status.passHeartbeat({ worker: me, at: new Date(now).toISOString(), nextBy: new Date(now + nextIn).toISOString(), ...(env.schedule ? { schedule: env.schedule } : {}), ...(busyWith ? { busyWith } : {}) });
}

/** How often a claim is renewed: well within the stale threshold. */
function heartbeatEvery(env: WorkerEnv): number {
  return env.heartbeatMs ?? Math.max(250, Math.min(30_000, Math.floor(env.staleClaimMs / 4)));
}

function deadWorker(claim: Claim & { heartbeatAgeMs: number }, staleMs: number, me: WorkerIdentity): string | undefined {
  if (claim.worker.host === me.host && claim.worker.pid !== me.pid && !pidAlive(claim.worker.pid)) {
    return `worker process ${claim.worker.pid} on ${claim.worker.host} is no longer running`;
  }
  if (claim.heartbeatAgeMs > staleMs) {
    const age = claim.heartbeatAgeMs >= 120_000 ? `${Math.round(claim.heartbeatAgeMs / 60000)} minutes` : `${Math.round(claim.heartbeatAgeMs / 1000)} seconds`;
    return `no sign of life from ${claim.worker.host} for ${age}`;
  }
  return undefined;
}

/** Executes one claimed run to a truthful end: succeeded, or failed with why. */
export async function executeRun(claim: Claim, env: WorkerEnv): Promise<RunRecord> {
  const { request } = claim;
  const id = request.collectionId;
  const log = env.log.child({ run: request.runId, collection: id });
  const damaged = await env.status.recordIsDamaged(id);
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
  const controller = new AbortController();
  const fence = new RunFence(env.status, claim, controller, log);
  // A worker that lost the claim writes nothing more to the run's stream and record.
  const journal = new RunJournal(record, env.status, log, () => fence.holds('writing the run record'));
  const heartbeat = setInterval(() => {
    void env.status.heartbeat(claim).then((held) => {
      if (!held) fence.lose('its next step');
      else return passBeat(env, claim.worker, id);
    }).catch((err: unknown) => log.error({ err }, 'heartbeat failed'));
  }, heartbeatEvery(env));
  heartbeat.unref();

  const movesFolder = request.processes.some((p) => p !== 'report');
  try {
    await journal.line(
      `🟢 ${record.attempts > 1 ? 'Resumed' : 'Started'} on ${claim.worker.host} for ${request.user.name} <${request.user.email}>: ${request.processes.join(', ')} for ${id}.`,
    );
    if (damaged) {
      await journal.line(`⚠️ The run record ${id}-run.json was not a run record (damaged or of another shape); a new one is kept from now on.`);
      log.error({ collection: id }, 'the run record was damaged; started a new one');
    }
    await journal.plan([
      { name: 'stage', title: movesFolder ? 'Move the collection folder to processing' : 'Find the collection folder' },
      ...env.processor.steps(request),
      ...(movesFolder ? [{ name: 'finish', title: 'Move the collection folder to processed' }] : []),
    ]);

    const stageStep = journal.step('stage');
    await stageStep.start();
    await fence.check(movesFolder ? 'moving the collection folder to processing' : 'reading the collection folder');
    const located = await locateCollection(id, env.folders, movesFolder);
    if (!located.path) {
      await stageStep.failed(located.message);
      return await end(journal, env, claim, 'failed', located.message, `❌ ${located.message}`);
    }
    stageStep.line(located.message);
    await stageStep.done();

    const outcome = await env.processor.run({ request, journal, collectionPath: located.path, signal: controller.signal, log, fence: fence.check });
    if (fence.reason) throw fence.reason;
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
        await fence.check('moving the collection folder to processed');
        const dest = join(env.folders.stage3, id);
        await moveCollection(located.path, dest);
        finish.line(`📦 Moved ${id} to ${env.folders.stage3}.`);
        await finish.done();
      }
    }
    return await end(journal, env, claim, 'succeeded', undefined, `✅ Finished ${request.processes.join(', ')} for ${id}.`);
  } catch (err) {
    if (fence.lostClaim || err instanceof ClaimLost) {
      // Another worker owns the run now: its stream, record and claim are left to it untouched.
      log.warn({ claim: claim.file }, 'stopped: this worker lost the claim of the run; wrote nothing more');
      return record;
    }
    if (fence.reason instanceof RunCancelled) return await endCancelled(journal, env, claim, fence.reason);
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
  return await close(journal, env, claim, line);
}

/** Writes the last line, archives stream and record and releases the claim, if this worker still holds it. */
async function close(journal: RunJournal, env: WorkerEnv, claim: Claim, line: string): Promise<RunRecord> {
  const record = journal.record;
  await journal.line(line);
  await journal.flush();
  if (!(await env.status.holds(claim))) {
    env.log.warn({ run: record.request.runId, claim: claim.file }, 'stopped: this worker lost the claim of the run before archiving it; wrote nothing more');
    return record;
  }
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

/**
 * Ends a cancelled run: what was done and verified stays (and is said), what was not is skipped
 * with why; the files stay in the processing folder, and a new request finishes the work.
 */
async function endCancelled(journal: RunJournal, env: WorkerEnv, claim: Claim, stop: RunCancelled): Promise<RunRecord> {
  const record = journal.record;
  const done: string[] = [];
  const notDone: string[] = [];
  for (const step of record.steps) {
    if (step.state === 'running' || step.state === 'pending' || (step.state === 'failed' && step.why?.includes(stop.message))) {
      step.state = 'skipped';
      step.why = `cancelled by ${stop.cancel.by.name}`;
      step.finishedAt = new Date().toISOString();
    }
    (step.state === 'done' ? done : notDone).push(step.title);
  }
  // Files the stop interrupted are skipped, not failed: a later line supersedes the earlier one.
  const interrupted = (await env.status.readFileResults(record.request.collectionId)).filter((f) => f.outcome === 'failed' && f.why?.includes(stop.message));
  await env.status.appendFileResults(record.request.collectionId, interrupted.map((f) => ({ ...f, outcome: 'skipped' as const, why: `cancelled by ${stop.cancel.by.name}` })));
  record.state = 'cancelled';
  record.cancelled = stop.cancel;
  record.reason =
    `Cancelled by ${stop.cancel.by.name} at ${stop.cancel.at}; the worker stopped before ${stop.before}. ` +
    `Done and verified: ${done.length ? done.join('; ') : 'nothing'}. Not done: ${notDone.length ? notDone.join('; ') : 'nothing'}. ` +
    `What was done is kept; submit the collection again to finish it.`;
  record.finishedAt = new Date().toISOString();
  return await close(journal, env, claim, `⛔ ${record.reason}`);
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
