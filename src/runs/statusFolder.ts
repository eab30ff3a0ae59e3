/**
 * The status-file protocol on the shared mount, the only thing the web server and the workers
 * share (see README, "Status files"):
 *
 *   <C>-init-<processes>     a run request (JSON RunRequest; the original left it empty)
 *   <C>-claimed-<processes>-<token>
 *                            the same file, renamed by the worker that took it: rename is atomic,
 *                            so of two workers on two hosts exactly one wins. The token is the
 *                            claim's owner token: only its holder knows the name, so heartbeat,
 *                            re-queue and release act on its own claim and on no other. Its
 *                            newer of mtime and ctime is the heartbeat (a rename sets the ctime,
 *                            so a claim is fresh from the moment it is taken); its content says
 *                            which worker holds it
 *   <C>-processing           the human-readable stream the status page follows (🟢 = worker started)
 *   <C>-run.json             the machine-readable run record (small: steps, per-folder results)
 *   <C>-files.jsonl          per-file results, one JSON object per line, appended
 *   <C>-cancel.json          who asked to cancel which run, and when (written by the web form)
 *   <C>-<YYYYmmddHHMMSS>.log / .json / .files.jsonl   the stream, record and file results, archived when the run ends
 *   runs-index.jsonl         one summary line per archived run, so lists need not read every record
 *   set-aside/<stamp>/<name> a file that does not follow the protocol, moved once (reasons.log says why)
 *   workers/<name>.json      each worker's pass heartbeat (when it last looked for work)
 *
 * A collection ID never contains a marker of these names (PROTOCOL_MARKERS), so each parses one way.
 */
import { randomUUID } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { type Stats } from 'node:fs';
import { appendFile, mkdir, open, readdir, rename, stat, unlink, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from '../atomicWrite.js';
import { asRunRecord } from './recordShape.js';
import { collectionIdProblem, parseProcesses, parseRegenerate, RequestProblem } from './requests.js';
import { PROCESSES, type FileRecord, type ProcessName, type RunRecord, type RunRequest, type RunSummary, type RunUser } from './types.js';

export interface PendingRun {
  collectionId: string;
  processes: ProcessName[];
  file: string;
}

export interface WorkerIdentity {
  host: string;
  pid: number;
}

export interface Claim {
  request: RunRequest;
  worker: WorkerIdentity;
  claimedAt: string;
  file: string;
  /** The owner token, also the end of the claim file's name (absent only in claims of older versions). */
  token?: string;
}

/** An archivist's request to cancel a run (`<C>-cancel.json`). */
export interface CancelRequest {
  runId: string;
  by: RunUser;
  at: string;
}

/** A worker's pass heartbeat (`workers/<name>.json`). */
export interface PassHeartbeat {
  worker: WorkerIdentity;
  /** When it last started a pass or showed it is busy with a run. */
  at: string;
  /** By when it will have shown a sign of life again, if it is well. */
  nextBy: string;
  schedule?: string;
  busyWith?: string;
}

/** A status file that did not follow the protocol, moved to `set-aside/` once. */
export interface SetAside {
  name: string;
  why: string;
  to: string;
}

export interface ArchivedRun {
  collectionId: string;
  stamp: string;
  log: string;
  record?: RunRecord;
}

/** An archived run as lists show it: from the runs index (or, for a run not in it, its record, read once). */
export interface PastRun {
  collectionId: string;
  stamp: string;
  log: string;
  summary?: RunSummary;
}

export const RUNS_INDEX = 'runs-index.jsonl';

export class RunConflict extends Error {
  override readonly name = 'RunConflict';
}

const INIT = /^(.+)-init-([a-z_]+)$/;
const CLAIMED = /^(.+)-claimed-([a-z_]+)(?:-([0-9a-f]{16}))?$/;
const STREAM = /^(.+)-processing$/;
const ARCHIVED = /^(.+)-(\d{14})\.log$/;
/** Names a writer uses for a moment (writeAtomic, requeue); left alone until they are this old. */
const IN_FLIGHT = /(\.tmp|\.requeue-\d+)$/;
export const SET_ASIDE_DIR = 'set-aside';
export const WORKERS_DIR = 'workers';
/**
 * A stream file with no request or claim younger than this may be a request being written (the
 * form writes the stream, the record, then the request, within milliseconds).
 */
export const ORPHAN_GRACE_MS = 60_000;

/** This worker: the host name (ALCHEMIST_WORKER_NAME when set) and the process id. */
export function thisWorker(name?: string): WorkerIdentity {
  return { host: name || hostname(), pid: process.pid };
}

/** A claim's heartbeat: the newer of mtime (touched by the holder) and ctime (set by the rename that took it). */
export function heartbeatOf(st: Stats): number {
  return Math.max(st.mtimeMs, st.ctimeMs);
}

/** `YYYYmmddHHMMSS` in UTC, the original's archive stamp. */
export function stamp(date = new Date()): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export class StatusFolder {
  /** Summaries of archived runs by log name, read from the index once (then only what was appended). */
  private readonly summaries = new Map<string, RunSummary | null>();
  private indexRead = { ino: 0, offset: 0 };
  /** A listing of the folder under way, shared by the list calls made meanwhile (sharedNames). */
  private listing?: Promise<string[]>;

  constructor(readonly dir: string) {}

  filesPath(collectionId: string): string {
    return join(this.dir, `${collectionId}-files.jsonl`);
  }

  streamPath(collectionId: string): string {
    return join(this.dir, `${collectionId}-processing`);
  }

  recordPath(collectionId: string): string {
    return join(this.dir, `${collectionId}-run.json`);
  }

  /**
   * Asks for a run: creates the stream file exclusively (so two requests for one collection cannot
   * both succeed, even from two web servers), then the record, then the init file by rename.
   */
  async requestRun(input: { collectionId: string; processes: unknown; user: RunRequest['user']; now?: Date; regenerate?: unknown }): Promise<RunRequest> {
    const problem = collectionIdProblem(input.collectionId);
    if (problem) throw new RequestProblem(problem);
    const collectionId = input.collectionId.trim();
    const processes = parseProcesses(input.processes);
    const regenerate = parseRegenerate(input.regenerate, input.collectionId.trim(), processes);
    await mkdir(this.dir, { recursive: true });
    const existing = await this.activeFor(collectionId);
    if (existing) throw new RunConflict(existing);
    const twin = await this.caseTwin(collectionId);
    if (twin) throw new RequestProblem(`There is already a run of "${twin}", which differs from "${collectionId}" only in upper and lower case: on a case-insensitive or SMB share both would be the same files. Use the ID exactly as "${twin}" if it is that collection.`);
    const now = input.now ?? new Date();
    const request: RunRequest = {
      runId: `${collectionId}-${stamp(now)}-${randomUUID().slice(0, 8)}`,
      collectionId,
      processes,
      user: input.user,
      requestedAt: now.toISOString(),
      ...(regenerate ? { regenerate } : {}),
    };
    let handle;
    try {
      handle = await open(this.streamPath(collectionId), fsc.O_CREAT | fsc.O_EXCL | fsc.O_WRONLY, 0o664);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new RunConflict(`A run of ${collectionId} is already queued or in progress; wait for it to finish.`);
      }
      throw err;
    }
    await handle.close();
    await unlink(this.filesPath(collectionId)).catch(() => undefined); // left by a run that never ended
    await this.writeRecord({ request, state: 'queued', attempts: 0, steps: [] });
    await writeShared(join(this.dir, `${collectionId}-init-${processes.join('_')}`), JSON.stringify(request, null, 2) + '\n');
    return request;
  }

  /** Why a new run of this collection cannot start now, or undefined. */
  async activeFor(collectionId: string): Promise<string | undefined> {
    for (const name of await this.names()) {
      const m = INIT.exec(name) ?? CLAIMED.exec(name);
      if (m && m[1] === collectionId) {
        return name.includes('-init-')
          ? `A run of ${collectionId} is already queued; it starts within a minute.`
          : `A run of ${collectionId} is in progress; wait for it to finish.`;
      }
    }
    if (await exists(this.streamPath(collectionId))) {
      return `A run of ${collectionId} is already queued or in progress; wait for it to finish.`;
    }
    return undefined;
  }

  /** A collection ID of a run here (active or archived) that equals this one but for case, if any. */
  async caseTwin(collectionId: string): Promise<string | undefined> {
    const lower = collectionId.toLowerCase();
    for (const name of await this.names()) {
      const id = (INIT.exec(name) ?? CLAIMED.exec(name) ?? ARCHIVED.exec(name) ?? /^(.+)-(?:processing|run\.json|\d{14}\.json)$/.exec(name))?.[1];
      if (id !== undefined && id !== collectionId && id.toLowerCase() === lower) return id;
    }
    return undefined;
  }

  /** Init files waiting for a worker, oldest first. */
  async pending(): Promise<PendingRun[]> {
    const found: (PendingRun & { mtime: number })[] = [];
    for (const name of await this.sharedNames()) {
      const m = INIT.exec(name);
      if (!m) continue;
      const processes = safeProcesses(m[2]);
      if (!processes || collectionIdProblem(m[1])) continue;
      const st = await stat(join(this.dir, name)).catch(() => undefined);
      if (st) found.push({ collectionId: m[1], processes, file: name, mtime: st.mtimeMs });
    }
    return found.sort((a, b) => a.mtime - b.mtime).map(({ mtime: _m, ...p }) => p);
  }

  /**
   * Takes a pending run. Returns undefined when another worker took it first. The rename is the
   * claim; the content then says who holds it.
   */
  async claim(run: PendingRun, worker: WorkerIdentity = thisWorker()): Promise<Claim | undefined> {
    const from = join(this.dir, run.file);
    const token = randomUUID().replace(/-/g, '').slice(0, 16);
    const file = `${run.collectionId}-claimed-${run.processes.join('_')}-${token}`;
    const to = join(this.dir, file);
    // A run of this collection is already held.
    if ((await this.names()).some((n) => CLAIMED.exec(n)?.[1] === run.collectionId)) return undefined;
    try {
      await rename(from, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const text = await readText(to).catch(() => '');
    const request = parseRequest(text, run);
    const claim: Claim = { request, worker, claimedAt: new Date().toISOString(), file, token };
    await writeShared(to, JSON.stringify(claim, null, 2) + '\n');
    return claim;
  }

  /** Whether this claim is still held: its file, whose name only its holder knows, is still there. */
  async holds(claim: Claim): Promise<boolean> {
    return exists(join(this.dir, claim.file));
  }

  /** Runs held by some worker, with their heartbeat age. */
  async claimed(): Promise<(Claim & { heartbeatAgeMs: number })[]> {
    const out: (Claim & { heartbeatAgeMs: number })[] = [];
    for (const name of await this.sharedNames()) {
      const m = CLAIMED.exec(name);
      if (!m) continue;
      const path = join(this.dir, name);
      const [text, st] = await Promise.all([readText(path).catch(() => ''), stat(path).catch(() => undefined)]);
      if (!st || collectionIdProblem(m[1])) continue;
      const processes = safeProcesses(m[2]) ?? [];
      // Whatever the content (a request not yet replaced by the claim, a wrong shape, nothing), the
      // name says which run it is; the content only adds who holds it.
      let parsed: Partial<Claim> = {};
      try {
        parsed = JSON.parse(text) as Partial<Claim>;
      } catch {
        /* a claim being written, or damaged: judged by its name and heartbeat */
      }
      const worker = isWorker(parsed?.worker) ? parsed.worker : { host: '?', pid: 0 };
      const request = parseRequest(text, { collectionId: m[1], processes, file: name });
      const claimedAt = typeof parsed?.claimedAt === 'string' ? parsed.claimedAt : st.mtime.toISOString();
      out.push({ request, worker, claimedAt, file: name, ...(m[3] ? { token: m[3] } : {}), heartbeatAgeMs: Date.now() - heartbeatOf(st) });
    }
    return out;
  }

  /** Renews the claim's heartbeat. Returns false when the claim is gone (taken over after a time-out). */
  async heartbeat(claim: Claim): Promise<boolean> {
    const now = new Date();
    try {
      await utimes(join(this.dir, claim.file), now, now);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /** Puts a claimed run back in the queue (a worker died holding it). Only one caller wins. */
  async requeue(claim: Claim): Promise<boolean> {
    const init = join(this.dir, `${claim.request.collectionId}-init-${claim.request.processes.join('_')}`);
    try {
      await rename(join(this.dir, claim.file), `${init}.requeue-${process.pid}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    await writeFile(`${init}.requeue-${process.pid}`, JSON.stringify(claim.request, null, 2) + '\n');
    await rename(`${init}.requeue-${process.pid}`, init);
    return true;
  }

  /** Releases a claim at the end of a run. */
  async release(claim: Claim): Promise<void> {
    await unlink(join(this.dir, claim.file)).catch((err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    });
  }

  /** Appends lines to the run's stream; each becomes exactly one line. */
  async appendLines(collectionId: string, lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    const text = lines.map((l) => l.replace(/\r?\n/g, ' ')).join('\n') + '\n';
    await writeFile(this.streamPath(collectionId), text, { flag: 'a' });
  }
  /**
   * Appends per-file results to `<C>-files.jsonl`: the cost of one result does not depend on how
   * many came before. A later line for the same step and path supersedes an earlier one.
   */
  async appendFileResults(collectionId: string, results: FileRecord[]): Promise<void> {
    if (results.length === 0) return;
    await writeFile(this.filesPath(collectionId), results.map((r) => JSON.stringify(r)).join('\n') + '\n', { flag: 'a' });
  }

  /**
   * Per-file results of the current run (by collection id) or of an archived one (by its log name),
   * the last word for each step and path; records written before the files log carry them inline.
   */
  async readFileResults(collectionOrLog: string): Promise<FileRecord[]> {
    const archived = ARCHIVED.exec(collectionOrLog);
    const path = archived ? join(this.dir, collectionOrLog.replace(/\.log$/, '.files.jsonl')) : this.filesPath(collectionOrLog);
    let text: string;
    try {
      text = await readText(path);
    } catch {
      const record = archived ? asRunRecord(await readJson(join(this.dir, collectionOrLog.replace(/\.log$/, '.json')))) : await this.readRecord(collectionOrLog);
      return record?.files ?? [];
    }
    const last = new Map<string, FileRecord>();
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        const r = JSON.parse(line) as FileRecord;
        last.delete(`${r.step}\u0000${r.path}`);
        last.set(`${r.step}\u0000${r.path}`, r);
      } catch {
        /* a line cut short by a crash: the results before it stand */
      }
    }
    return [...last.values()];
  }


  /** The run record, or undefined when there is none or it is not a run record of this collection. */
  async readRecord(collectionId: string): Promise<RunRecord | undefined> {
    const r = await readJson<unknown>(this.recordPath(collectionId));
    return isRunRecord(r, collectionId) ? asRunRecord(r) : undefined;
  }

  /** Whether a record file exists that is not a run record of this collection (damaged or wrong-shaped). */
  async recordIsDamaged(collectionId: string): Promise<boolean> {
    return (await exists(this.recordPath(collectionId))) && !(await this.readRecord(collectionId));
  }

  cancelPath(collectionId: string): string {
    return join(this.dir, `${collectionId}-cancel.json`);
  }

  /** Asks the worker running (or about to run) this run to stop at its next safe boundary. */
  async requestCancel(collectionId: string, cancel: CancelRequest): Promise<void> {
    await writeShared(this.cancelPath(collectionId), JSON.stringify(cancel, null, 2) + '\n');
  }

  /** The cancel request of this run, if an archivist made one. */
  async cancelRequest(collectionId: string, runId: string): Promise<CancelRequest | undefined> {
    const c = await readJson<Partial<CancelRequest>>(this.cancelPath(collectionId));
    if (!c || c.runId !== runId || typeof c.at !== 'string' || !c.by || typeof c.by.name !== 'string') return undefined;
    return c as CancelRequest;
  }

  /**
   * Takes a queued run back before any worker claims it: the init file is removed by one rename,
   * so either this wins (and no worker will start it) or a worker already claimed it.
   */
  async withdraw(collectionId: string): Promise<boolean> {
    for (const name of await this.names()) {
      const m = INIT.exec(name);
      if (!m || m[1] !== collectionId) continue;
      const aside = join(this.dir, `${name}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`);
      try {
        await rename(join(this.dir, name), aside);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw err;
      }
      await unlink(aside).catch(() => undefined);
      return true;
    }
    return false;
  }

  /**
   * Stream files whose run has no request and no claim (the form stopped between its writes, or a
   * request was removed by hand): nothing will ever finish them, and they keep the collection from
   * being asked for again.
   */
  async orphanStreams(graceMs = ORPHAN_GRACE_MS): Promise<string[]> {
    const names = await this.names();
    const held = new Set<string>();
    // Requests, claims and their in-flight names (a collection ID never contains these markers).
    for (const n of names) {
      const m = /^(.+?)-(?:init|claimed)-/.exec(n);
      if (m) held.add(m[1]);
    }
    const out: string[] = [];
    for (const n of names) {
      const m = STREAM.exec(n);
      if (!m || held.has(m[1]) || collectionIdProblem(m[1])) continue;
      const st = await stat(join(this.dir, n)).catch(() => undefined);
      if (st && Date.now() - heartbeatOf(st) >= graceMs) out.push(m[1]);
    }
    return out;
  }

  /**
   * Ends a run nobody will finish, truthfully: its record (or a new one) says what was done and
   * that the rest was not, and stream and record are archived. The stream is taken by one rename,
   * so of two workers only one archives it. Returns the archived record, or undefined when another
   * worker took it first.
   */
  async endUnfinished(collectionId: string, why: string, when = new Date()): Promise<RunRecord | undefined> {
    const prior = await this.readRecord(collectionId);
    const cancel = prior ? await this.cancelRequest(collectionId, prior.request.runId) : undefined;
    const record: RunRecord = prior ?? {
      request: { runId: `${collectionId}-${stamp(when)}-abandoned`, collectionId, processes: [], user: { email: 'unknown', name: 'unknown (the request was never completed)' }, requestedAt: when.toISOString() },
      state: 'failed',
      attempts: 0,
      steps: [],
      files: [],
    };
    const nothingDone = !record.steps.some((s) => s.state === 'done');
    for (const step of record.steps) {
      if (step.state === 'running' || step.state === 'pending') {
        step.state = 'skipped';
        step.why = cancel ? 'the run was cancelled' : 'the run was abandoned before this step finished';
      }
    }
    if (cancel) {
      record.state = 'cancelled';
      record.cancelled = cancel;
      const done = record.steps.filter((x) => x.state === 'done').map((x) => x.title);
      const notDone = record.steps.filter((x) => x.state !== 'done').map((x) => x.title);
      record.reason = nothingDone
        ? `Cancelled by ${cancel.by.name} at ${cancel.at} before any worker started it: nothing was done (${record.request.processes.join(', ') || 'no process'} not run).`
        : `Cancelled by ${cancel.by.name} at ${cancel.at}. Done and verified: ${done.join('; ')}. Not done: ${notDone.join('; ') || 'nothing'}.`;
    } else {
      record.state = 'failed';
      record.reason = `Abandoned: ${why} ${nothingDone ? 'Nothing was done' : 'Steps marked done were done and verified; the rest was not'}; submit the collection again.`;
    }
    record.finishedAt = when.toISOString();
    let s = stamp(when);
    while (await exists(join(this.dir, `${collectionId}-${s}.log`))) s = stamp(new Date(Date.parse(isoOf(s)) + 1000));
    const log = `${collectionId}-${s}.log`;
    await appendFile(this.streamPath(collectionId), `${cancel ? '⛔' : '⚠️'} ${record.reason}\n`).catch(() => undefined);
    try {
      await rename(this.streamPath(collectionId), join(this.dir, log));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const finished = { ...record, log };
    await writeShared(join(this.dir, `${collectionId}-${s}.json`), JSON.stringify(finished, null, 2) + '\n');
    if (await exists(this.filesPath(collectionId))) await rename(this.filesPath(collectionId), join(this.dir, `${collectionId}-${s}.files.jsonl`));
    await unlink(this.recordPath(collectionId)).catch(() => undefined);
    await unlink(this.cancelPath(collectionId)).catch(() => undefined);
    await writeFile(join(this.dir, RUNS_INDEX), JSON.stringify(summaryOf(finished, s)) + '\n', { flag: 'a' });
    return finished;
  }

  /**
   * Status files that do not follow the protocol: requests and claims whose name does not parse
   * (a bad collection ID or processes), files left over by an older version's set-aside, and
   * temporary files a crashed writer left behind. In-flight files get ORPHAN_GRACE_MS first.
   */
  async malformed(graceMs = ORPHAN_GRACE_MS): Promise<{ name: string; why: string }[]> {
    const out: { name: string; why: string }[] = [];
    for (const name of await this.names()) {
      if (!name.includes('-init-') && !name.includes('-claimed-') && !name.endsWith('.rejected') && !IN_FLIGHT.test(name)) continue;
      if (IN_FLIGHT.test(name)) {
        const st = await stat(join(this.dir, name)).catch(() => undefined);
        if (st && Date.now() - heartbeatOf(st) >= graceMs) out.push({ name, why: 'a temporary file left by a writer that stopped halfway' });
        continue;
      }
      const m = INIT.exec(name) ?? CLAIMED.exec(name);
      if (!m) out.push({ name, why: 'not <collection>-init-<processes> or <collection>-claimed-<processes>-<token>' });
      else if (!safeProcesses(m[2])) out.push({ name, why: `"${m[2]}" is not processes (report, cloud, onsite, access joined by _)` });
      else if (collectionIdProblem(m[1])) out.push({ name, why: collectionIdProblem(m[1])! });
    }
    return out;
  }

  /**
   * Moves a file that does not follow the protocol to `set-aside/<stamp>/` under its own name (so
   * no name grows), and says why in `set-aside/reasons.log`. Never touched again by any pass.
   */
  async setAside(name: string, why: string, when = new Date()): Promise<SetAside | undefined> {
    const dir = join(this.dir, SET_ASIDE_DIR, stamp(when));
    await mkdir(dir, { recursive: true });
    try {
      await rename(join(this.dir, name), join(dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const to = `${SET_ASIDE_DIR}/${stamp(when)}/${name}`;
    await appendFile(join(this.dir, SET_ASIDE_DIR, 'reasons.log'), `${when.toISOString()} ${to}: ${why.replace(/\r?\n/g, ' ')}\n`);
    return { name, why, to };
  }

  /** Records that this worker is alive and when it will show a sign of life again. */
  async passHeartbeat(beat: PassHeartbeat): Promise<void> {
    const dir = join(this.dir, WORKERS_DIR);
    await mkdir(dir, { recursive: true });
    const file = `${beat.worker.host.replace(/[^a-zA-Z0-9._-]/g, '_')}-${beat.worker.pid}.json`;
    await writeShared(join(dir, file), JSON.stringify(beat, null, 2) + '\n');
  }

  /** Every worker's latest pass heartbeat, newest first. */
  async passHeartbeats(): Promise<PassHeartbeat[]> {
    const dir = join(this.dir, WORKERS_DIR);
    const names = await readdir(dir).catch(() => [] as string[]);
    const out: PassHeartbeat[] = [];
    for (const n of names.filter((x) => x.endsWith('.json'))) {
      const b = await readJson<PassHeartbeat>(join(dir, n));
      if (b && isWorker(b.worker) && typeof b.at === 'string' && typeof b.nextBy === 'string') out.push(b);
    }
    return out.sort((a, b) => b.at.localeCompare(a.at));
  }

  async writeRecord(record: RunRecord): Promise<void> {
    await writeShared(this.recordPath(record.request.collectionId), JSON.stringify(record, null, 2) + '\n');
  }

  /**
   * Ends a run: the stream becomes `<C>-<stamp>.log`, the record `<C>-<stamp>.json` and the file
   * results `<C>-<stamp>.files.jsonl`, so the collection can be asked for again; a summary line
   * goes to the runs index. Returns the log's file name.
   */
  async archive(record: RunRecord, when = new Date()): Promise<string> {
    const id = record.request.collectionId;
    let s = stamp(when);
    while (await exists(join(this.dir, `${id}-${s}.log`))) s = stamp(new Date(Date.parse(isoOf(s)) + 1000));
    const log = `${id}-${s}.log`;
    const finished = { ...record, log };
    await writeShared(join(this.dir, `${id}-${s}.json`), JSON.stringify(finished, null, 2) + '\n');
    if (await exists(this.filesPath(id))) await rename(this.filesPath(id), join(this.dir, `${id}-${s}.files.jsonl`));
    if (await exists(this.streamPath(id))) await rename(this.streamPath(id), join(this.dir, log));
    else await writeFile(join(this.dir, log), '');
    await unlink(this.recordPath(id)).catch(() => undefined);
    await unlink(this.cancelPath(id)).catch(() => undefined);
    // One write of one line: appends from workers on other hosts do not interleave within it.
    await writeFile(join(this.dir, RUNS_INDEX), JSON.stringify(summaryOf(finished, s)) + '\n', { flag: 'a' });
    return log;
  }

  /** Archived runs with their whole records, newest first (for one collection; lists use pastRuns). */
  async archived(collectionId?: string): Promise<ArchivedRun[]> {
    const out: ArchivedRun[] = [];
    for (const name of await this.names()) {
      const m = ARCHIVED.exec(name);
      if (!m || (collectionId !== undefined && m[1] !== collectionId)) continue;
      const record = asRunRecord(await readJson<unknown>(join(this.dir, name.replace(/\.log$/, '.json'))));
      out.push({ collectionId: m[1], stamp: m[2], log: name, record });
    }
    return out.sort(newestFirst);
  }

  /**
   * Archived runs for lists (the form, Past runs), newest first, from the file names and the runs
   * index: a record is read only for a run the index does not know (archived before the index
   * existed, or its line was lost), and then once per process.
   */
  async pastRuns(collectionId?: string): Promise<PastRun[]> {
    const names = await this.sharedNames();
    await this.readIndex();
    const out: PastRun[] = [];
    for (const name of names) {
      const m = ARCHIVED.exec(name);
      if (!m || (collectionId !== undefined && m[1] !== collectionId)) continue;
      let summary = this.summaries.get(name);
      if (summary === undefined) {
        const record = asRunRecord(await readJson(join(this.dir, name.replace(/\.log$/, '.json'))));
        summary = record ? summaryOf({ ...record, log: name }, m[2]) : null;
        this.summaries.set(name, summary);
      }
      out.push({ collectionId: m[1], stamp: m[2], log: name, ...(summary ? { summary } : {}) });
    }
    return out.sort(newestFirst);
  }

  /** Reads what was appended to the runs index since the last call (all of it after a rewrite). */
  private async readIndex(): Promise<void> {
    const path = join(this.dir, RUNS_INDEX);
    const st = await stat(path).catch(() => undefined);
    if (!st) return;
    if (st.ino !== this.indexRead.ino || st.size < this.indexRead.offset) this.indexRead = { ino: st.ino, offset: 0 };
    if (st.size === this.indexRead.offset) return;
    const handle = await openNoFollow(path);
    try {
      const length = st.size - this.indexRead.offset;
      const buf = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buf, 0, length, this.indexRead.offset);
      const text = buf.subarray(0, bytesRead).toString('utf8');
      const complete = text.lastIndexOf('\n') + 1;
      for (const line of text.slice(0, complete).split('\n')) {
        if (!line) continue;
        try {
          const summary = JSON.parse(line) as RunSummary;
          if (summary.log) this.summaries.set(summary.log, summary);
        } catch {
          /* a damaged line: that run's record is read instead */
        }
      }
      this.indexRead.offset += Buffer.byteLength(text.slice(0, complete));
    } finally {
      await handle.close();
    }
  }

  /**
   * Deletes archived run logs, records and file results older than `days` (RUN_LOG_RETENTION_DAYS)
   * and their index lines. Only run logs: the preservation ledger (OCFL inventories, tape
   * catalogue, ArchivesSpace) is never touched. Returns the log names removed.
   */
  async pruneArchived(days: number, now = new Date()): Promise<string[]> {
    if (!(days > 0)) return [];
    const cutoff = stamp(new Date(now.getTime() - days * 86_400_000));
    const removed: string[] = [];
    for (const name of await this.names()) {
      const m = ARCHIVED.exec(name);
      if (!m || m[2] >= cutoff) continue;
      for (const f of [name, name.replace(/\.log$/, '.json'), name.replace(/\.log$/, '.files.jsonl')]) await unlink(join(this.dir, f)).catch(() => undefined);
      this.summaries.delete(name);
      removed.push(name);
    }
    if (removed.length) {
      const path = join(this.dir, RUNS_INDEX);
      const text = await readText(path).catch(() => '');
      const gone = new Set(removed);
      const kept = text.split('\n').filter((line) => {
        if (!line) return false;
        try {
          return !gone.has((JSON.parse(line) as RunSummary).log);
        } catch {
          return false;
        }
      });
      await writeShared(path, kept.length ? kept.join('\n') + '\n' : '');
    }
    return removed;
  }

  /** Path of an archived log, or undefined when the name is not one (guards against path tricks). */
  archivedLogPath(name: string): string | undefined {
    const m = ARCHIVED.exec(name);
    if (!m || collectionIdProblem(m[1])) return undefined;
    return join(this.dir, name);
  }

  private async names(): Promise<string[]> {
    try {
      return await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  /**
   * The folder's file names for lists (waiting, running and archived runs): calls made while a
   * listing is under way share it, so a page that lists all three reads thousands of names once,
   * not three times. What acts on a file (request, claim, archive) lists afresh with names().
   */
  private sharedNames(): Promise<string[]> {
    this.listing ??= this.names().finally(() => {
      this.listing = undefined;
    });
    return this.listing;
  }
}

/**
 * Newest stamp first, then by collection ID. Plain code-unit comparison: stamps are digits, and
 * with thousands of archived runs localeCompare alone cost tens of milliseconds per page view.
 */
function newestFirst(a: { stamp: string; collectionId: string }, b: { stamp: string; collectionId: string }): number {
  if (a.stamp !== b.stamp) return a.stamp < b.stamp ? 1 : -1;
  return a.collectionId < b.collectionId ? -1 : a.collectionId > b.collectionId ? 1 : 0;
}

/** The index line of an archived run. */
export function summaryOf(record: RunRecord & { log: string }, runStamp: string): RunSummary {
  const failedFolders = (record.folders ?? []).filter((f) => Object.values(f.steps).some((r) => r.state === 'failed')).length;
  return {
    collectionId: record.request.collectionId,
    stamp: runStamp,
    log: record.log,
    runId: record.request.runId,
    state: record.state,
    ...(record.reason ? { reason: record.reason } : {}),
    user: record.request.user.name,
    processes: record.request.processes,
    requestedAt: record.request.requestedAt,
    ...(record.finishedAt ? { finishedAt: record.finishedAt } : {}),
    ...(failedFolders ? { failedFolders } : {}),
  };
}

function isWorker(w: unknown): w is WorkerIdentity {
  return typeof w === 'object' && w !== null && typeof (w as WorkerIdentity).host === 'string' && typeof (w as WorkerIdentity).pid === 'number';
}

/** Whether a parsed record file is a run record of this collection (not `{}` or another shape). */
export function isRunRecord(r: unknown, collectionId: string): r is RunRecord {
  if (typeof r !== 'object' || r === null) return false;
  const x = r as Partial<RunRecord>;
  return (
    typeof x.request === 'object' && x.request !== null && x.request.collectionId === collectionId && typeof x.request.runId === 'string' &&
    Array.isArray(x.request.processes) && x.request.processes.every((p) => (PROCESSES as readonly string[]).includes(p)) &&
    typeof x.request.user === 'object' && x.request.user !== null && typeof x.state === 'string' && Array.isArray(x.steps) && (x.files === undefined || Array.isArray(x.files))
  );
}

function safeProcesses(joined: string): ProcessName[] | undefined {
  try {
    return parseProcesses(joined.split('_'));
  } catch {
    return undefined;
  }
}

/** A request from an init file's content; an empty file (as the original wrote) gets defaults. */
function parseRequest(text: string, run: PendingRun): RunRequest {
  try {
    const parsed = JSON.parse(text) as Partial<RunRequest> & { request?: RunRequest };
    const r = parsed.request ?? parsed;
    if (r && r.collectionId === run.collectionId && Array.isArray(r.processes) && r.processes.every((p) => (PROCESSES as readonly string[]).includes(p)) && typeof r.runId === 'string' && r.user && typeof r.user.name === 'string') {
      return r as RunRequest;
    }
  } catch {
    /* fall through: an empty or foreign init file */
  }
  const now = new Date();
  return {
    runId: `${run.collectionId}-${stamp(now)}`,
    collectionId: run.collectionId,
    processes: run.processes,
    user: { email: 'unknown', name: 'unknown (init file without request data)' },
    requestedAt: now.toISOString(),
  };
}

function isoOf(s: string): string {
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}Z`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readText(path)) as T;
  } catch {
    return undefined;
  }
}

/**
 * Opens a file of the status folder for reading without following a symbolic link: the folder may
 * be a share written from other hosts, and a link there (to /etc/passwd, to settings.ini) must not
 * be served as a log or record. A link fails with ELOOP.
 */
export async function openNoFollow(path: string): Promise<FileHandle> {
  return open(path, fsc.O_RDONLY | (fsc.O_NOFOLLOW ?? 0));
}

async function readText(path: string): Promise<string> {
  const handle = await openNoFollow(path);
  try {
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Status files are written whole (src/atomicWrite.ts), readable and writable by the group the web form and worker share. */
function writeShared(path: string, data: string): Promise<void> {
  return writeFileAtomic(path, data, { mode: 0o664 });
}
