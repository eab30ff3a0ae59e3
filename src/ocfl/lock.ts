/**
 * One writer per object: a lock file created with O_EXCL in the companion folder, holding the
 * writer's pid, host and start time. A lock left by a crashed process is stale and taken over:
 * on this host when its pid is gone, on another host (a shared mount) when it is older than
 * `staleAfterMs`.
 */
import { open, readFile, rm, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { lockPath } from './companion.js';
import { pidAlive } from '../processes.js';

export interface LockOptions {
  /** How long to wait for another writer to finish before failing (default 60 s). */
  waitMs?: number;
  /** A lock from another host older than this is taken to be left by a dead process (default 6 h). */
  staleAfterMs?: number;
}

export class ObjectLockedError extends Error {
  override readonly name = 'ObjectLockedError';
}

interface LockInfo {
  pid: number;
  host: string;
  since: string;
  what: string;
}

function isStale(info: LockInfo | undefined, staleAfterMs: number): boolean {
  if (!info) return true; // unreadable: a writer died between create and write
  if (info.host === hostname()) return !pidAlive(info.pid);
  return Date.now() - Date.parse(info.since) > staleAfterMs;
}

/** Runs `fn` holding the object's lock; always releases it (unless the process dies). */
export async function withObjectLock<T>(rootPath: string, objectId: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  return withFileLock(lockPath(rootPath, objectId), `OCFL object ${objectId}`, fn, opts);
}

/** Runs `fn` holding the lock file `path` (created with O_EXCL); `what` names the resource in messages. */
export async function withFileLock<T>(path: string, what: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const waitMs = opts.waitMs ?? 60_000;
  const staleAfterMs = opts.staleAfterMs ?? 6 * 3600_000;
  const deadline = Date.now() + waitMs;
  const me: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString(), what };
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(JSON.stringify(me));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = await readFile(path, 'utf8').catch(() => undefined);
    let info: LockInfo | undefined;
    try {
      info = text ? (JSON.parse(text) as LockInfo) : undefined;
    } catch {
      info = undefined;
    }
    // A just-created lock may not be written yet; only call an empty one stale once it is old.
    if (text !== undefined && isStale(info, staleAfterMs) && (info || (await olderThan(path, 5_000)))) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() >= deadline) {
      const who = info ? `process ${info.pid} on ${info.host} since ${info.since}` : 'another process';
      throw new ObjectLockedError(
        `${what} is being written by ${who}. Try again when it has finished; ` +
          `if that process is gone for good, delete the lock file ${path}.`,
      );
    }
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}

async function olderThan(path: string, ms: number): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  return stat(path).then((s) => Date.now() - s.mtimeMs > ms, () => true);
}
