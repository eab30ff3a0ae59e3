/**
 * A lock held across hosts on a shared mount: a lock file created with O_EXCL, holding the holder's
 * pid, host, start time and a token of its own. The holder renews the file's time every
 * `heartbeatMs` while it works; a lock left by a dead holder is stale — on this host when its pid
 * is gone, from another host when it was not renewed for `staleAfterMs` — and is taken over safely:
 * it is renamed aside (only one contender can), checked to be the very lock judged stale, and only
 * then removed (a fresh lock moved by mistake is put back). A holder whose lock was taken over is
 * told through the signal `fn` receives, and releases nothing but its own lock.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { lockTiming, policies } from './policies.js';
import { pidAlive } from './osProcess.js';

export interface LockOptions {
  /** How long to wait for another holder to finish before failing (default: the objectLock policy). */
  waitMs?: number;
  /** The settings key that changes waitMs, for the message when it runs out. */
  waitSetting?: string;
  /** A lock not renewed for this long, from another host, was left by a dead holder (default 10 min). */
  staleAfterMs?: number;
  /** How often the holder renews its lock (default 30 s). */
  heartbeatMs?: number;
  /** Stops waiting (and the wait fails) when it aborts. */
  signal?: AbortSignal;
  /** Told once, when the lock is held by someone else and this process starts waiting. */
  onWait?: (holder: string) => void;
  /** Told when this process took over a stale lock, with who held it. */
  onTakeOver?: (previous: string) => void;
}

export class LockedError extends Error {
  override readonly name = 'LockedError';
}

interface LockInfo {
  pid: number;
  host: string;
  since: string;
  what: string;
  token?: string;
}

/** Runs `fn` holding the lock file `path`; `what` names the resource in messages. Always releases its own lock. */
export async function withFileLock<T>(path: string, what: string, fn: (held: AbortSignal) => Promise<T>, opts: LockOptions = {}): Promise<T> {
  await mkdir(dirname(path), { recursive: true });
  const waitMs = opts.waitMs ?? policies.objectLock.timeoutMs;
  const staleAfterMs = opts.staleAfterMs ?? lockTiming.staleAfterMs;
  const heartbeatMs = opts.heartbeatMs ?? lockTiming.heartbeatMs;
  const deadline = Date.now() + waitMs;
  const me: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString(), what, token: randomUUID() };
  let told = false;
  for (;;) {
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(JSON.stringify(me));
      } finally {
        await fh.close();
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const seen = await readLock(path);
    if (seen === 'gone') continue;
    if (await isStale(path, seen, staleAfterMs)) {
      if (await takeOver(path, seen, me.token!)) opts.onTakeOver?.(seen ? `process ${seen.pid} on ${seen.host} (holding it since ${seen.since})` : 'an unknown process');
      continue;
    }
    const who = seen ? `process ${seen.pid} on ${seen.host} since ${seen.since}` : 'another process';
    if (!told) {
      told = true;
      opts.onWait?.(who);
    }
    if (opts.signal?.aborted) throw new LockedError(`Stopped while waiting for ${what}, held by ${who}.`);
    if (Date.now() >= deadline) {
      const advice = opts.waitSetting ? ` (waited ${Math.round(waitMs / 1000)} s; raise ${opts.waitSetting} in settings.ini to wait longer)` : '';
      throw new LockedError(`${what} is in use by ${who}${advice}. Try again when it has finished; if that process is gone for good, its lock (${path}) is taken over once it is ${Math.round(staleAfterMs / 60_000)} min old, or delete it.`);
    }
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 150));
  }

  const lost = new AbortController();
  const beat = setInterval(() => {
    void (async () => {
      const now = await readLock(path);
      if (now === 'gone' || now?.token !== me.token) {
        lost.abort(new LockedError(`${what} was taken over by ${now && now !== 'gone' ? `process ${now.pid} on ${now.host}` : 'another process'}: this process stopped renewing its lock for longer than ${Math.round(staleAfterMs / 60_000)} min (paused or cut off?). It stops here and writes nothing more.`));
        clearInterval(beat);
        return;
      }
      const t = new Date();
      await utimes(path, t, t).catch(() => undefined);
    })();
  }, heartbeatMs);
  try {
    return await fn(lost.signal);
  } finally {
    clearInterval(beat);
    const now = await readLock(path);
    if (now !== 'gone' && now?.token === me.token) await rm(path, { force: true });
  }
}

/** The lock's content; undefined when unreadable (a holder between create and write); 'gone' when there is none. */
async function readLock(path: string): Promise<LockInfo | undefined | 'gone'> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    return undefined;
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    return typeof info?.pid === 'number' && typeof info.host === 'string' ? info : undefined;
  } catch {
    return undefined;
  }
}

async function isStale(path: string, info: LockInfo | undefined, staleAfterMs: number): Promise<boolean> {
  const st = await stat(path).catch(() => undefined);
  if (!st) return false;
  const age = Date.now() - st.mtimeMs;
  // A just-created lock may not be written yet: only call an unreadable one stale once it is old.
  if (!info) return age > 5_000;
  if (info.host === hostname()) return !pidAlive(info.pid);
  return age > staleAfterMs;
}

function sameLock(a: LockInfo | undefined | 'gone', b: LockInfo | undefined): boolean {
  if (a === 'gone' || !a || !b) return a === b || (a !== 'gone' && !a && !b);
  return a.token !== undefined ? a.token === b.token : a.pid === b.pid && a.host === b.host && a.since === b.since;
}

/** Removes the stale lock `seen`, and only it: renamed aside first, so two contenders cannot both take it. True when it did. */
async function takeOver(path: string, seen: LockInfo | undefined, myToken: string): Promise<boolean> {
  const aside = `${path}.${myToken}.stale`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  const moved = await readLock(aside);
  const same = sameLock(moved, seen);
  if (!same) {
    // Someone took the stale lock over and made a fresh one between our look and the rename: put it back.
    await link(aside, path).catch(() => undefined);
  }
  await rm(aside, { force: true });
  return same;
}

