/**
 * How many runs one person may ask for in an hour (WEB_RUN_REQUESTS_PER_HOUR): a form submitted
 * in a loop, by a script or a stuck key, cannot fill the status folder. Counted by this web
 * process, over the last hour; a refused request counts for nothing.
 */
const HOUR_MS = 60 * 60 * 1000;

export class RequestLimit {
  private readonly times = new Map<string, number[]>();

  /** `perHour` 0 means no limit. */
  constructor(readonly perHour: number) {}

  /** When `who` may ask again (ms from now), or 0 if now; records the request when allowed. */
  take(who: string, now = Date.now()): number {
    if (this.perHour <= 0) return 0;
    const recent = (this.times.get(who) ?? []).filter((t) => t > now - HOUR_MS);
    if (recent.length >= this.perHour) {
      this.times.set(who, recent);
      return recent[0] + HOUR_MS - now;
    }
    recent.push(now);
    this.times.set(who, recent);
    // Forget people with nothing in the window, so the map does not grow.
    if (this.times.size > 1000) for (const [k, v] of this.times) if (!v.some((t) => t > now - HOUR_MS)) this.times.delete(k);
    return 0;
  }

  /** Gives back a request that did not happen after all (it was refused further on). */
  giveBack(who: string): void {
    this.times.get(who)?.pop();
  }
}
