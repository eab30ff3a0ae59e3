/**
 * Faults on demand, so tests can drive the client through what a real server does on a bad day:
 * the next N matching requests answer 500 (or any status), are delayed, meet a stale lock_version
 * (someone else saved the record first: the real 409 follows), find their session expired (412), or
 * are handled but lose their answer (a 500 after the write).
 */
import type { StandInState } from './state.js';

/** A substring of the path, a pattern, or a method and path pattern. */
export type FaultMatch = string | RegExp | { method?: string; path: string | RegExp };

interface Rule {
  method?: string;
  path: string | RegExp;
  remaining: number;
  kind: 'status' | 'delay' | 'staleLock' | 'loseAnswer';
  status?: number;
  body?: unknown;
  delayMs?: number;
}

export class FaultInjector {
  private rules: Rule[] = [];

  constructor(private readonly state: StandInState) {}

  /** The next `times` matching requests answer `status` (500 by default) with `body`. */
  failNext(match: FaultMatch, times = 1, status = 500, body: unknown = { error: 'Stand-in fault: internal server error' }): void {
    this.rules.push({ ...toMatch(match), remaining: times, kind: 'status', status, body });
  }

  /** The next `times` matching requests wait `ms` before being handled. */
  delayNext(match: FaultMatch, ms: number, times = 1): void {
    this.rules.push({ ...toMatch(match), remaining: times, kind: 'delay', delayMs: ms });
  }

  /**
   * The next `times` matching requests are handled (a create makes its record) but answer 500, as
   * when a proxy or the network loses the server's reply: the client cannot know the write happened.
   */
  loseAnswerNext(match: FaultMatch, times = 1): void {
    this.rules.push({ ...toMatch(match), remaining: times, kind: 'loseAnswer' });
  }

  /**
   * The next `times` matching updates find the record changed by someone else: its lock_version
   * is bumped just before the update is handled, so the server answers the real 409.
   */
  staleLockNext(match: FaultMatch, times = 1): void {
    this.rules.push({ ...toMatch({ method: 'POST', ...(typeof match === 'object' && !(match instanceof RegExp) ? match : { path: match }) }), remaining: times, kind: 'staleLock' });
  }

  /** Every current session answers its next request with 412 and is then gone. */
  expireSessions(code: 'SESSION_EXPIRED' | 'SESSION_GONE' = 'SESSION_EXPIRED'): void {
    for (const s of this.state.sessions.values()) s.forcedExpiry = code;
  }

  clear(): void {
    this.rules = [];
  }

  /** Takes the rules that apply to this request (each use counts down). */
  take(method: string, path: string): Rule[] {
    const hits: Rule[] = [];
    for (const rule of this.rules) {
      if (rule.remaining <= 0) continue;
      if (rule.method && rule.method !== method) continue;
      const ok = typeof rule.path === 'string' ? path.includes(rule.path) : rule.path.test(path);
      if (!ok) continue;
      rule.remaining--;
      hits.push(rule);
    }
    this.rules = this.rules.filter((r) => r.remaining > 0);
    return hits;
  }
}

function toMatch(match: FaultMatch): { method?: string; path: string | RegExp } {
  if (typeof match === 'string' || match instanceof RegExp) return { path: match };
  return { method: match.method?.toUpperCase(), path: match.path };
}
