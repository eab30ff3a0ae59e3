/**
 * Sessions hold only the CSRF token (who someone is comes from the proxy on every request), so
 * an in-memory store is enough: a restart just asks the next form to be reloaded. Unlike
 * express-session's MemoryStore this one forgets expired sessions on its own and caps how many
 * it keeps, so a long-running server does not grow.
 */
import session from 'express-session';

export class PrunedMemoryStore extends session.Store {
  private readonly sessions = new Map<string, { data: string; expires: number }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ttlMs: number,
    private readonly maxSessions = 10_000,
  ) {
    super();
    this.timer = setInterval(() => this.prune(), Math.min(ttlMs, 10 * 60_000));
    this.timer.unref();
  }

  override get(sid: string, cb: (err: unknown, s?: session.SessionData | null) => void): void {
    const entry = this.sessions.get(sid);
    if (!entry || entry.expires <= Date.now()) {
      this.sessions.delete(sid);
      return cb(null, null);
    }
    cb(null, JSON.parse(entry.data) as session.SessionData);
  }

  override set(sid: string, s: session.SessionData, cb?: (err?: unknown) => void): void {
    this.sessions.delete(sid); // re-insert: Map order is then oldest-first for the cap below
    this.sessions.set(sid, { data: JSON.stringify(s), expires: this.expiry(s) });
    while (this.sessions.size > this.maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    cb?.();
  }

  override touch(sid: string, s: session.SessionData, cb?: () => void): void {
    const entry = this.sessions.get(sid);
    if (entry) entry.expires = this.expiry(s);
    cb?.();
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.sessions.delete(sid);
    cb?.();
  }

  get size(): number {
    return this.sessions.size;
  }

  prune(now = Date.now()): void {
    for (const [sid, entry] of this.sessions) if (entry.expires <= now) this.sessions.delete(sid);
  }

  close(): void {
    clearInterval(this.timer);
  }

  private expiry(s: session.SessionData): number {
    const e = s.cookie?.expires;
    return e ? new Date(e).getTime() : Date.now() + this.ttlMs;
  }
}
