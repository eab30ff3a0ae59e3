/**
 * Sessions hold only the CSRF token and whose it is (who someone is comes from the proxy on every
 * request), so an in-memory store is enough: a restart just asks the next form to be reloaded.
 * Unlike express-session's MemoryStore this one forgets expired sessions on its own and caps how
 * many it keeps, so a long-running server does not grow.
 *
 * The cap is per person: each session belongs to one signed-in identity (bindSession), and when a
 * person has too many, their own oldest go — a session used again (a form submitted, a page
 * reloaded) only after every one-off session. Traffic without a cookie, or from someone else,
 * cannot push a signed-in person's session out. A session with no owner (none is kept today) is
 * counted under one shared name.
 */
import session from 'express-session';

export interface SessionLimits {
  /** Sessions kept per person; default 50 (tabs and devices). */
  perUser: number;
  /** Sessions kept in all: a last guard; default 100,000. */
  total: number;
}

interface Entry {
  data: string;
  expires: number;
  owner: string;
  /** The browser came back with it at least once. */
  used: boolean;
}

const NO_OWNER = '';

export class PrunedMemoryStore extends session.Store {
  private readonly sessions = new Map<string, Entry>();
  /** Session ids per owner, oldest first. */
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly timer: NodeJS.Timeout;
  private readonly limits: SessionLimits;

  constructor(
    private readonly ttlMs: number,
    limits: Partial<SessionLimits> = {},
  ) {
    super();
    this.limits = { perUser: 50, total: 100_000, ...limits };
    this.timer = setInterval(() => this.prune(), Math.min(ttlMs, 10 * 60_000));
    this.timer.unref();
  }

  override get(sid: string, cb: (err: unknown, s?: session.SessionData | null) => void): void {
    const entry = this.sessions.get(sid);
    if (!entry || entry.expires <= Date.now()) {
      this.remove(sid);
      return cb(null, null);
    }
    entry.used = true;
    cb(null, JSON.parse(entry.data) as session.SessionData);
  }

  override set(sid: string, s: session.SessionData, cb?: (err?: unknown) => void): void {
    const before = this.sessions.get(sid);
    const owner = s.user ?? NO_OWNER;
    this.remove(sid); // re-insert: oldest first, per owner and overall
    this.sessions.set(sid, { data: JSON.stringify(s), expires: this.expiry(s), owner, used: before?.used ?? false });
    let ids = this.byOwner.get(owner);
    if (!ids) this.byOwner.set(owner, (ids = new Set()));
    ids.add(sid);
    while (ids.size > this.limits.perUser) this.remove(this.oldest(ids));
    while (this.sessions.size > this.limits.total) this.remove(this.oldest(this.sessions.keys()));
    cb?.();
  }

  override touch(sid: string, s: session.SessionData, cb?: () => void): void {
    const entry = this.sessions.get(sid);
    if (entry) entry.expires = this.expiry(s);
    cb?.();
  }

  override destroy(sid: string, cb?: (err?: unknown) => void): void {
    this.remove(sid);
    cb?.();
  }

  get size(): number {
    return this.sessions.size;
  }

  prune(now = Date.now()): void {
    for (const [sid, entry] of this.sessions) if (entry.expires <= now) this.remove(sid);
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** The oldest session never used again, else the oldest. */
  private oldest(ids: Iterable<string>): string {
    let first: string | undefined;
    for (const sid of ids) {
      first ??= sid;
      if (!this.sessions.get(sid)?.used) return sid;
    }
    return first!;
  }

  private remove(sid: string): void {
    const entry = this.sessions.get(sid);
    if (!entry) return;
    this.sessions.delete(sid);
    const ids = this.byOwner.get(entry.owner);
    ids?.delete(sid);
    if (ids && ids.size === 0) this.byOwner.delete(entry.owner);
  }

  private expiry(s: session.SessionData): number {
    const e = s.cookie?.expires;
    return e ? new Date(e).getTime() : Date.now() + this.ttlMs;
  }
}
