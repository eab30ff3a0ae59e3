/**
 * Every retry and time-out profile, named, in one place. A step picks a profile by name; nothing
 * else in the code base decides how often or how long to retry, or how long to wait for an outside
 * system. Each time-out can be changed in settings.ini with the key the profile names (seconds);
 * a call that times out says which key that is.
 */
import { retryDelayScale } from './settings/environment.js';

export interface RetryPolicy {
  readonly name: string;
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Delay before the second attempt; doubles each time, up to maxDelayMs, with ±25 % jitter. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Time-out of one attempt (settings.ini can change it: see `setting`). */
  timeoutMs: number;
  /** The settings.ini key (in seconds) that changes timeoutMs. */
  readonly setting: string;
}

const min = 60_000;

export const policies = {
  /** A small HTTP request to ArchivesSpace, S3 metadata calls. */
  shortRequest: { name: 'short request', attempts: 5, initialDelayMs: 500, maxDelayMs: 8_000, timeoutMs: 30_000, setting: 'SHORT_REQUEST_TIMEOUT' },
  /** Moving a large body: an S3 part, an upload. */
  longRequest: { name: 'long request', attempts: 5, initialDelayMs: 1_000, maxDelayMs: 30_000, timeoutMs: 15 * min, setting: 'LONG_REQUEST_TIMEOUT' },
  /** Re-read and re-apply after an optimistic-lock conflict (409 stale lock_version). */
  lockConflict: { name: 'lock conflict', attempts: 5, initialDelayMs: 100, maxDelayMs: 2_000, timeoutMs: 30_000, setting: 'SHORT_REQUEST_TIMEOUT' },
  /** Local disk work on a shared mount (rename, fsync) that can hit a transient NFS error. */
  localDisk: { name: 'local disk action', attempts: 3, initialDelayMs: 200, maxDelayMs: 2_000, timeoutMs: min, setting: 'LOCAL_DISK_TIMEOUT' },
  /** A long remote command over SSH (drush preprocess and ingest). */
  remoteCommand: { name: 'remote command', attempts: 3, initialDelayMs: 2_000, maxDelayMs: 20_000, timeoutMs: 30 * min, setting: 'REMOTE_COMMAND_TIMEOUT' },
  /** A quick remote command over SSH: a look-up (drush fetch pids, --version), mktemp, rm. */
  remoteLookup: { name: 'remote look-up', attempts: 3, initialDelayMs: 2_000, maxDelayMs: 20_000, timeoutMs: 5 * min, setting: 'REMOTE_LOOKUP_TIMEOUT' },
  /** Copying a folder to a server (rsync over SSH). */
  transfer: { name: 'transfer', attempts: 3, initialDelayMs: 5_000, maxDelayMs: 60_000, timeoutMs: 6 * 60 * min, setting: 'TRANSFER_TIMEOUT' },
  /** One image encoder or decoder run (vips, opj_compress, kdu_compress, opj_decompress). */
  imageTool: { name: 'image tool', attempts: 1, initialDelayMs: 0, maxDelayMs: 0, timeoutMs: 30 * min, setting: 'IMAGE_TOOL_TIMEOUT' },
  /** One exiftool write or read of a file's XMP. */
  metadata: { name: 'metadata tool', attempts: 1, initialDelayMs: 0, maxDelayMs: 0, timeoutMs: 2 * min, setting: 'METADATA_TOOL_TIMEOUT' },
  /** Tesseract on one page (a page without OCR is published without it). */
  ocr: { name: 'OCR', attempts: 1, initialDelayMs: 0, maxDelayMs: 0, timeoutMs: 2 * min, setting: 'ISLANDORA_OCR_TIMEOUT' },
  /** Positioning a tape (mt rewind, fsf) or reading its label. */
  tapePosition: { name: 'tape positioning', attempts: 1, initialDelayMs: 0, maxDelayMs: 0, timeoutMs: 60 * min, setting: 'TAPE_POSITION_TIMEOUT' },
  /** Writing or reading back one tape file (tar). */
  tapeTransfer: { name: 'tape transfer', attempts: 1, initialDelayMs: 0, maxDelayMs: 0, timeoutMs: 24 * 60 * min, setting: 'TAPE_TRANSFER_TIMEOUT' },
  /** A tool's --version for `distillery check`. */
  toolCheck: { name: 'tool check', attempts: 1, initialDelayMs: 0, maxDelayMs: 0, timeoutMs: 30_000, setting: 'TOOL_CHECK_TIMEOUT' },
  /** Waiting for another writer of the same OCFL object to finish. */
  objectLock: { name: 'object lock', attempts: 1, initialDelayMs: 0, maxDelayMs: 0, timeoutMs: min, setting: 'OBJECT_LOCK_TIMEOUT' },
  /** Waiting for another run (on any host) to finish with the tape drive. */
  tapeDriveLock: { name: 'tape drive lock', attempts: 1, initialDelayMs: 0, maxDelayMs: 0, timeoutMs: 12 * 60 * min, setting: 'TAPE_DRIVE_LOCK_TIMEOUT' },
} satisfies Record<string, RetryPolicy>;

export type PolicyName = keyof typeof policies;

/**
 * Locks on the shared mount: a holder renews its lock file's time every `heartbeatMs`; a lock not
 * renewed for `staleAfterMs` (or whose process is gone, on the same host) was left by a dead holder.
 */
export const lockTiming = { heartbeatMs: 30_000, staleAfterMs: 10 * min };

/** Applies the time-outs read from settings.ini (seconds, by each policy's `setting`). */
export function configureTimeouts(seconds: Partial<Record<string, number>>): void {
  for (const p of Object.values(policies) as RetryPolicy[]) {
    const s = seconds[p.setting];
    if (s !== undefined && Number.isFinite(s) && s > 0) p.timeoutMs = s * 1000;
  }
}

/** The distinct time-out settings, with their defaults in seconds (for settings and docs). */
export function timeoutSettings(): { key: string; defaultSeconds: number; policies: string[] }[] {
  const out = new Map<string, { key: string; defaultSeconds: number; policies: string[] }>();
  for (const p of Object.values(policies) as RetryPolicy[]) {
    const e = out.get(p.setting) ?? { key: p.setting, defaultSeconds: Math.round(DEFAULTS.get(p)! / 1000), policies: [] };
    e.policies.push(p.name);
    out.set(p.setting, e);
  }
  return [...out.values()];
}
const DEFAULTS = new Map<RetryPolicy, number>((Object.values(policies) as RetryPolicy[]).map((p) => [p, p.timeoutMs]));

/** "90 s", "30 min", "6 h": a time-out as a person reads it. */
export function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s`;
  if (ms < 2 * min) return `${Math.round(ms / 1000)} s`;
  if (ms < 2 * 60 * min) return `${Math.round(ms / min)} min`;
  return `${+(ms / (60 * min)).toFixed(1)} h`;
}

/** Thrown by code that knows a retry cannot help (a 4xx validation error, a missing bucket…). */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An attempt that did not finish within its policy's time-out (retryable unless it was the last). */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(message: string, readonly policy: RetryPolicy) {
    super(message);
  }
}

/** The sentence every time-out ends with: how long, under which policy, and the key to change. */
export function timeoutAdvice(policy: RetryPolicy): string {
  return `(time-out ${formatDuration(policy.timeoutMs)}, ${policy.name} policy; if it needs longer, raise ${policy.setting} in settings.ini)`;
}

export interface RetryOptions {
  /** What is being done, and where, for the time-out message, e.g. "drush islandora_batch_ingest on islandora@host:22". */
  what?: string;
  /** Decides whether an error is worth another attempt; by default everything but PermanentError. */
  retryable?: (err: unknown) => boolean;
  /** Called before each new attempt, e.g. to write "retrying…" to the status stream. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Test hook: scale delays (0 makes tests fast). */
  delayScale?: number;
  signal?: AbortSignal;
}

/**
 * Runs `fn` under the named policy. Each attempt gets a signal that aborts when the run stops or
 * the policy's time-out passes; an attempt still unsettled at its time-out is abandoned with a
 * TimeoutError naming `what` and the setting (retried like any other retryable error). The last
 * error is rethrown, with the attempt count in its message.
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  fn: (attempt: number, signal: AbortSignal) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const retryable = options.retryable ?? ((err) => !(err instanceof PermanentError));
  const scale = options.delayScale ?? retryDelayScale();
  let delay = policy.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      if (options.signal?.aborted) throw stopped(options.signal, options.what);
      return await attemptWithin(policy, options, (signal) => fn(attempt, signal));
    } catch (err) {
      const canRetry = err instanceof TimeoutError || retryable(err);
      if (attempt >= policy.attempts || !canRetry || options.signal?.aborted) {
        if (attempt > 1 && err instanceof Error && !err.message.includes('attempt')) {
          err.message = `${err.message} (gave up after ${attempt} attempts, ${policy.name} policy)`;
        }
        throw err;
      }
      const jittered = Math.round(delay * (0.75 + Math.random() * 0.5) * scale);
      options.onRetry?.(err, attempt, jittered);
      await sleep(jittered, options.signal);
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}

function attemptWithin<T>(policy: RetryPolicy, options: RetryOptions, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onStop = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onStop, { once: true });
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      const err = new TimeoutError(`${options.what ?? 'The call'} did not answer in time and was stopped ${timeoutAdvice(policy)}.`, policy);
      controller.abort(err);
      reject(err);
    }, policy.timeoutMs);
    fn(controller.signal).then(resolve, reject).finally(() => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onStop);
    });
  });
}

function stopped(signal: AbortSignal, what?: string): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new PermanentError(`The run was stopped${what ? ` before ${what}` : ''}.`);
}

/** Waits `ms`, or less when `signal` aborts (it resolves either way; the caller checks the signal). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}


