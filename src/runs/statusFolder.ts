/**
 * The status-file protocol on the shared mount, the only thing the web server and the workers
 * share (see README, "Status files"):
 *
 *   <C>-init-<processes>     a run request (JSON RunRequest; the original left it empty)
 *   <C>-claimed-<processes>  the same file, renamed by the worker that took it: rename is atomic,
 *                            so of two workers on two hosts exactly one wins; its mtime is the
 *                            worker's heartbeat and its content says which worker holds it
 *   <C>-processing           the human-readable stream the status page follows (🟢 = worker started)
 *   <C>-run.json             the machine-readable run record
 *   <C>-<YYYYmmddHHMMSS>.log / .json   the stream and the record, archived when the run ends
 */
import { randomUUID } from 'node:crypto';
import { constants as fsc } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink, utimes, writeFile, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { asRunRecord } from './recordShape.js';
import { collectionIdProblem, parseProcesses, parseRegenerate, RequestProblem } from './requests.js';
import type { ProcessName, RunRecord, RunRequest } from './types.js';

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
}

export interface ArchivedRun {
  collectionId: string;
  stamp: string;
  log: string;
  record?: RunRecord;
}

export class RunConflict extends Error {
  override readonly name = 'RunConflict';
}

const INIT = /^(.+)-init-([a-z_]+)$/;
const CLAIMED = /^(.+)-claimed-([a-z_]+)$/;
const ARCHIVED = /^(.+)-(\d{14})\.log$/;

export function thisWorker(): WorkerIdentity {
  return { host: hostname(), pid: process.pid };
}

/** `YYYYmmddHHMMSS` in UTC, the original's archive stamp. */
export function stamp(date = new Date()): string {
  return date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export class StatusFolder {
  constructor(readonly dir: string) {}

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
    await this.writeRecord({ request, state: 'queued', attempts: 0, steps: [], files: [] });
    await writeAtomic(join(this.dir, `${collectionId}-init-${processes.join('_')}`), JSON.stringify(request, null, 2) + '\n');
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
    for (const name of await this.names()) {
      const m = INIT.exec(name);
      if (!m) continue;
      const processes = safeProcesses(m[2]);
      if (!processes || collectionIdProblem(m[1])) continue;
      const st = await stat(join(this.dir, name)).catch(() => undefined);
      if (st) found.push({ collectionId: m[1], processes, file: name, mtime: st.mtimeMs });
    }
    return found.sort((a, b) => a.mtime - b.mtime).map(({ mtime: _m, ...p }) => p);
  }

  /** Init file names that do not follow the protocol (bad ID or processes), to report and set aside. */
  async malformed(): Promise<string[]> {
    const out: string[] = [];
    for (const name of await this.names()) {
      const m = INIT.exec(name);
      if (name.includes('-init-') && !name.endsWith('.tmp') && !name.includes('.requeue-') && (!m || !safeProcesses(m[2]) || collectionIdProblem(m[1]))) out.push(name);
    }
    return out;
  }

  /**
   * Takes a pending run. Returns undefined when another worker took it first. The rename is the
   * claim; the content then says who holds it.
   */
  async claim(run: PendingRun, worker: WorkerIdentity = thisWorker()): Promise<Claim | undefined> {
    const from = join(this.dir, run.file);
    const file = `${run.collectionId}-claimed-${run.processes.join('_')}`;
    const to = join(this.dir, file);
    if (await exists(to)) return undefined; // a run of this collection is already held
    try {
      await rename(from, to);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const text = await readText(to).catch(() => '');
    const request = parseRequest(text, run);
    const claim: Claim = { request, worker, claimedAt: new Date().toISOString(), file };
    await writeAtomic(to, JSON.stringify(claim, null, 2) + '\n');
    return claim;
  }

  /** Runs held by some worker, with their heartbeat age. */
  async claimed(): Promise<(Claim & { heartbeatAgeMs: number })[]> {
    const out: (Claim & { heartbeatAgeMs: number })[] = [];
    for (const name of await this.names()) {
      const m = CLAIMED.exec(name);
      if (!m) continue;
      const path = join(this.dir, name);
      const [text, st] = await Promise.all([readText(path).catch(() => ''), stat(path).catch(() => undefined)]);
      if (!st) continue;
      let claim: Claim;
      try {
        claim = JSON.parse(text) as Claim;
        if (!isClaim(claim, m[1])) throw new Error('not a claim of this run');
      } catch {
        const processes = safeProcesses(m[2]) ?? [];
        claim = { request: parseRequest(text, { collectionId: m[1], processes, file: name }), worker: { host: '?', pid: 0 }, claimedAt: st.mtime.toISOString(), file: name };
      }
      out.push({ ...claim, file: name, heartbeatAgeMs: Date.now() - st.mtimeMs });
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

  async readRecord(collectionId: string): Promise<RunRecord | undefined> {
    return asRunRecord(await readJson(this.recordPath(collectionId)));
  }

  async writeRecord(record: RunRecord): Promise<void> {
    await writeAtomic(this.recordPath(record.request.collectionId), JSON.stringify(record, null, 2) + '\n');
  }

  /**
   * Ends a run: the stream becomes `<C>-<stamp>.log` and the record `<C>-<stamp>.json`, so the
   * collection can be asked for again. Returns the log's file name.
   */
  async archive(record: RunRecord, when = new Date()): Promise<string> {
    const id = record.request.collectionId;
    let s = stamp(when);
    while (await exists(join(this.dir, `${id}-${s}.log`))) s = stamp(new Date(Date.parse(isoOf(s)) + 1000));
    const log = `${id}-${s}.log`;
    const finished = { ...record, log };
    await writeAtomic(join(this.dir, `${id}-${s}.json`), JSON.stringify(finished, null, 2) + '\n');
    if (await exists(this.streamPath(id))) await rename(this.streamPath(id), join(this.dir, log));
    else await writeFile(join(this.dir, log), '');
    await unlink(this.recordPath(id)).catch(() => undefined);
    return log;
  }

  /** Archived runs, newest first. */
  async archived(collectionId?: string): Promise<ArchivedRun[]> {
    const out: ArchivedRun[] = [];
    for (const name of await this.names()) {
      const m = ARCHIVED.exec(name);
      if (!m || (collectionId !== undefined && m[1] !== collectionId)) continue;
      const record = asRunRecord(await readJson(join(this.dir, name.replace(/\.log$/, '.json'))));
      out.push({ collectionId: m[1], stamp: m[2], log: name, record });
    }
    return out.sort((a, b) => b.stamp.localeCompare(a.stamp) || a.collectionId.localeCompare(b.collectionId));
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
}

/** A claim file's content has the shape this code writes (it may be edited, or written by another version). */
function isClaim(c: unknown, collectionId: string): c is Claim {
  const claim = c as Partial<Claim> | null;
  const r = claim?.request as Partial<RunRequest> | undefined;
  return (
    typeof claim === 'object' && claim !== null && typeof claim.worker === 'object' && claim.worker !== null &&
    typeof r === 'object' && r !== null && r.collectionId === collectionId && Array.isArray(r.processes) &&
    typeof r.user === 'object' && r.user !== null && typeof r.user.name === 'string'
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
    if (r.collectionId === run.collectionId && Array.isArray(r.processes) && r.runId && r.user) return r as RunRequest;
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

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readText(path));
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

/** Write to a temporary name in the same folder, flush, then rename over the target. */
export async function writeAtomic(path: string, data: string): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  const handle = await open(tmp, 'w', 0o664);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
}
