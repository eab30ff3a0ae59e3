/**
 * Follows one collection's run for every page watching it: one poller per collection, however
 * many watchers. It polls the size of `<C>-processing` (fs.watch does not see writes made by
 * another host on a network mount) and `<C>-run.json` for state; when the run is archived it
 * finishes from the archived log and record. Everything it knows is on disk, so a reloaded page
 * or a restarted web process picks up where it was.
 *
 * Line events carry the byte offset just past their line, so a watcher that reconnects with
 * that offset (EventSource's Last-Event-ID) resumes without duplicates or gaps.
 */
import { lstat, stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { openNoFollow, type StatusFolder } from '../runs/statusFolder.js';
import type { RunRecord } from '../runs/types.js';

/** The worker's first line in a run's stream: the run has started. */
export const INIT_MARKER = '🟢';

export type FollowEvent =
  | { type: 'init'; id: number; text: string }
  | { type: 'line'; id: number; text: string }
  | { type: 'state'; record: RunRecord }
  /** finished: the run was archived; none: no run of this collection exists; gone: the stream vanished without an archive. */
  | { type: 'end'; reason: 'finished' | 'none' | 'gone'; log?: string };

export type Watcher = (event: FollowEvent) => void;

export interface FollowOptions {
  /** How often the files are looked at; default 500 ms. */
  pollMs?: number;
  /** How many polls the stream may be missing with no archive before the watchers are told it is gone. */
  graceTicks?: number;
}

const CHUNK = 64 * 1024;

export class RunFollowers {
  private readonly followers = new Map<string, Follower>();

  constructor(
    private readonly status: StatusFolder,
    private readonly log: Logger,
    private readonly opts: FollowOptions = {},
  ) {}

  /** Sends the run's lines from byte `from` on, its state, then live updates. Returns the unsubscribe function. */
  follow(collectionId: string, from: number, watcher: Watcher): () => void {
    let f = this.followers.get(collectionId);
    if (!f) {
      f = new Follower(collectionId, this.status, this.log.child({ collection: collectionId }), this.opts, () => {
        if (this.followers.get(collectionId) === f) this.followers.delete(collectionId);
      });
      this.followers.set(collectionId, f);
    }
    return f.add(watcher, from);
  }

  /** How many collections are being polled (one poller each). */
  get pollers(): number {
    return this.followers.size;
  }

  close(): void {
    for (const f of this.followers.values()) f.stop();
    this.followers.clear();
  }
}

type Source = { path: string; archived: boolean };

class Follower {
  private offset = 0;
  private source?: Source;
  private sawStream = false;
  private missing = 0;
  private record?: RunRecord;
  private recordSig = '';
  private ended?: Extract<FollowEvent, { type: 'end' }>;
  private readonly watchers = new Set<Watcher>();
  private joiners: { watcher: Watcher; from: number }[] = [];
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly collectionId: string,
    private readonly status: StatusFolder,
    private readonly log: Logger,
    private readonly opts: FollowOptions,
    private readonly onDone: () => void,
  ) {}

  add(watcher: Watcher, from: number): () => void {
    this.joiners.push({ watcher, from: Number.isSafeInteger(from) && from > 0 ? from : 0 });
    this.kick();
    return () => {
      this.watchers.delete(watcher);
      this.joiners = this.joiners.filter((j) => j.watcher !== watcher);
      if (this.watchers.size === 0 && this.joiners.length === 0) this.stop();
    };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.onDone();
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), 0);
  }

  private async tick(): Promise<void> {
    this.ticking = true;
    try {
      if (!this.ended) await this.poll();
      await this.admitJoiners();
      if (this.ended) {
        // Watchers that arrived during this tick still get the whole run before the poller stops.
        while (this.joiners.length) await this.admitJoiners();
        for (const w of this.watchers) w(this.ended);
        this.watchers.clear();
        this.stop();
      }
    } catch (err) {
      this.log.error({ err }, 'following the run failed; retrying at the next poll');
    } finally {
      this.ticking = false;
    }
    if (this.stopped) return;
    const delay = this.again ? 0 : (this.opts.pollMs ?? 500);
    this.again = false;
    this.timer = setTimeout(() => void this.tick(), delay);
  }

  private broadcast(event: FollowEvent): void {
    for (const w of this.watchers) w(event);
  }

  /** Reads what is new in the stream and the record, or finds the archive the run ended in. */
  private async poll(): Promise<void> {
    const streamPath = this.status.streamPath(this.collectionId);
    if (!this.source?.archived) {
      const size = await fileSize(streamPath);
      if (size !== undefined) {
        this.sawStream = true;
        this.missing = 0;
        if (!this.source) this.source = { path: streamPath, archived: false };
        if (size < this.offset) this.offset = 0; // a new run replaced the stream
        this.offset = await readLines(streamPath, this.offset, size, (e) => this.broadcast(e));
        await this.pollRecord();
        return;
      }
      // No stream: the run was archived (or there never was one).
      const archived = await this.status.archived(this.collectionId);
      const runId = this.record?.request.runId;
      const match = this.sawStream ? archived.find((a) => runId === undefined || a.record?.request.runId === runId) : archived[0];
      if (!match) {
        if (!this.sawStream) this.ended = { type: 'end', reason: 'none' };
        else if (++this.missing > (this.opts.graceTicks ?? 20)) this.ended = { type: 'end', reason: 'gone' };
        return;
      }
      const path = this.status.archivedLogPath(match.log);
      if (!path) return;
      this.source = { path, archived: true };
      if (!this.sawStream) this.offset = 0;
      const logSize = (await fileSize(path)) ?? 0;
      if (logSize < this.offset) this.offset = 0;
      this.offset = await readLines(path, this.offset, logSize, (e) => this.broadcast(e), true);
      if (match.record) {
        this.record = { ...match.record, log: match.record.log ?? match.log };
        this.broadcast({ type: 'state', record: this.record });
      }
      this.ended = { type: 'end', reason: 'finished', log: match.log };
    }
  }

  private async pollRecord(): Promise<void> {
    const path = this.status.recordPath(this.collectionId);
    const st = await stat(path).catch(() => undefined);
    if (!st) return;
    const sig = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (sig === this.recordSig) return;
    const record = await this.status.readRecord(this.collectionId);
    if (!record) return; // unreadable for a moment; the next poll tries again
    this.recordSig = sig;
    this.record = record;
    this.broadcast({ type: 'state', record });
  }

  /** New watchers get the lines they have not seen (from their offset to ours), then the state. */
  private async admitJoiners(): Promise<void> {
    const joiners = this.joiners;
    this.joiners = [];
    for (const { watcher, from } of joiners) {
      let start = from;
      if (this.source && start > 0 && !(await endsLine(this.source.path, start, this.offset))) start = 0;
      if (this.source) await readLines(this.source.path, start, this.offset, watcher, true);
      if (this.record) watcher({ type: 'state', record: this.record });
      if (!this.ended) this.watchers.add(watcher);
      else watcher(this.ended);
    }
  }
}

/** Size of a regular file; undefined when there is none (a symbolic link counts as none: it is never followed). */
async function fileSize(path: string): Promise<number | undefined> {
  try {
    const st = await lstat(path);
    return st.isFile() ? st.size : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Whether `offset` is a line boundary of the file and no further than `limit` (a valid resume point). */
async function endsLine(path: string, offset: number, limit: number): Promise<boolean> {
  if (offset > limit) return false;
  const handle = await openNoFollow(path).catch(() => undefined);
  if (!handle) return false;
  try {
    const b = Buffer.alloc(1);
    const { bytesRead } = await handle.read(b, 0, 1, offset - 1);
    return bytesRead === 1 && b[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

/**
 * Sends the complete lines between `from` and `to`, in chunks (constant memory), and returns the
 * offset just past the last complete line. A final line without its newline waits for the next
 * poll, unless `finalPartial` (an archived log is complete as it is).
 */
async function readLines(path: string, from: number, to: number, send: Watcher, finalPartial = false): Promise<number> {
  if (to <= from) return from;
  const handle = await openNoFollow(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ELOOP') return undefined;
    throw err;
  });
  if (!handle) return from;
  let consumed = from;
  try {
    let pending = Buffer.alloc(0);
    let pos = from;
    while (pos < to) {
      const buf = Buffer.alloc(Math.min(CHUNK, to - pos));
      const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      pending = pending.length ? Buffer.concat([pending, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
      let nl: number;
      while ((nl = pending.indexOf(0x0a)) !== -1) {
        consumed += nl + 1;
        emit(pending.subarray(0, nl).toString('utf8'), consumed, send);
        pending = pending.subarray(nl + 1);
      }
    }
    if (finalPartial && pending.length && consumed + pending.length === to) {
      consumed = to;
      emit(pending.toString('utf8'), consumed, send);
    }
  } finally {
    await handle.close();
  }
  return consumed;
}

function emit(raw: string, id: number, send: Watcher): void {
  const text = raw.replace(/\r$/, '');
  if (text.startsWith(INIT_MARKER)) send({ type: 'init', id, text });
  else send({ type: 'line', id, text });
}
