/**
 * Every retry and time-out profile, named, in one place. A step picks a profile by name; nothing
 * else in the code base decides how often or how long to retry.
 */
export interface RetryPolicy {
  readonly name: string;
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Delay before the second attempt; doubles each time, up to maxDelayMs, with ±25 % jitter. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Time-out of one attempt. */
  readonly timeoutMs: number;
}

export const policies = {
  /** A small HTTP request to ArchivesSpace, S3 metadata calls. */
  shortRequest: { name: 'short request', attempts: 5, initialDelayMs: 500, maxDelayMs: 8_000, timeoutMs: 30_000 },
  /** Moving a large body: an S3 part, an upload. */
  longRequest: { name: 'long request', attempts: 5, initialDelayMs: 1_000, maxDelayMs: 30_000, timeoutMs: 15 * 60_000 },
  /** Re-read and re-apply after an optimistic-lock conflict (409 stale lock_version). */
  lockConflict: { name: 'lock conflict', attempts: 5, initialDelayMs: 100, maxDelayMs: 2_000, timeoutMs: 30_000 },
  /** Local disk work on a shared mount (rename, fsync) that can hit a transient NFS error. */
  localDisk: { name: 'local disk action', attempts: 3, initialDelayMs: 200, maxDelayMs: 2_000, timeoutMs: 60_000 },
  /** A remote command over SSH (Islandora drush, remote tape). */
  remoteCommand: { name: 'remote command', attempts: 3, initialDelayMs: 2_000, maxDelayMs: 20_000, timeoutMs: 30 * 60_000 },
} as const satisfies Record<string, RetryPolicy>;

export type PolicyName = keyof typeof policies;

/** Thrown by code that knows a retry cannot help (a 4xx validation error, a missing bucket…). */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export interface RetryOptions {
  /** Decides whether an error is worth another attempt; by default everything but PermanentError. */
  retryable?: (err: unknown) => boolean;
  /** Called before each new attempt, e.g. to write "retrying…" to the status stream. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Test hook: scale delays (0 makes tests fast). */
  delayScale?: number;
  signal?: AbortSignal;
}

/** Runs `fn` under the named policy. The last error is rethrown, with the attempt count in its message. */
export async function withRetry<T>(
  policy: RetryPolicy,
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const retryable = options.retryable ?? ((err) => !(err instanceof PermanentError));
  const scale = options.delayScale ?? retryDelayScale();
  let delay = policy.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= policy.attempts || !retryable(err) || options.signal?.aborted) {
        if (attempt > 1 && err instanceof Error && !err.message.includes('attempt')) {
          err.message = `${err.message} (gave up after ${attempt} attempts, ${policy.name} policy)`;
        }
        throw err;
      }
      const jittered = Math.round(delay * (0.75 + Math.random() * 0.5) * scale);
      options.onRetry?.(err, attempt, jittered);
      await new Promise((resolve) => setTimeout(resolve, jittered));
      delay = Math.min(delay * 2, policy.maxDelayMs);
    }
  }
}

/** DISTILLERY_RETRY_DELAY_SCALE shortens every back-off (tests set it to 0). */
function retryDelayScale(): number {
  const raw = process.env.DISTILLERY_RETRY_DELAY_SCALE;
  const n = raw === undefined ? 1 : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : 1;
}
