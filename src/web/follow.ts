/**
 * Follows one collection's run for every page watching it: one poller per collection, however
 * many watchers. It polls the size of `<C>-processing` and `<C>-run.json` for state, and a change
 * notification (fs.watch) on the status folder wakes it at once for writes this host sees (a
 * network mount raises none for another host's writes: the poll finds those); when the run is archived it
 * finishes from the archived log and record. Everything it knows is on disk, so a reloaded page
 * or a restarted web process picks up where it was.
 *
 * Line events carry the byte offset just past their line, so a watcher that reconnects with
 * that offset (EventSource's Last-Event-ID) resumes without duplicates or gaps. A watcher that
 * returns false wants nothing more (its client fell too far behind and was dropped): no more lines
 * are read for it. A line still being written costs nothing per poll until its end arrives: the
 * bytes already looked at are not looked at again.
 *
 * The record is sent whole once (`state`), then only what changed (`delta`, see
 * src/runs/recordDelta.ts), so what a change costs to send does not grow with the run. Each state
 * and delta carries a cursor (line offset, this follower's epoch, record revision); a watcher that
 * reconnects with the cursor it last saw is sent the deltas it missed (the last `DELTAS_KEPT` are
 * kept), or the whole record again when they are gone or the follower is another one. What a
 * follower knew outlives it for a while (the last `FOLLOWERS_KEPT` collections), so the lone page of
 * a run that lost its connection for a moment still resumes with what it missed.
 */
import { watch, type FSWatcher } from 'node:fs';
import { lstat, stat, type FileHandle } from 'node:fs/promises';
import type { Logger } from 'pino';
import { openNoFollow, type StatusFolder } from '../runs/statusFolder.js';
import { randomBytes } from 'node:crypto';
import { forPages, recordDelta, type RecordDelta } from '../runs/recordDelta.js';
import type { RunRecord } from '../runs/types.js';

/** The worker's first line in a run's stream: the run has started. */
export const INIT_MARKER = '🟢';

export type FollowEvent =
  | { type: 'init'; id: number; text: string }
  | { type: 'line'; id: number; text: string }
  /** The whole record: the first a watcher gets, or after a gap in its deltas. */
  | { type: 'state'; record: RunRecord; cursor: Cursor }
  /** What changed in the record since the previous state or delta. */
  | { type: 'delta'; delta: RecordDelta; cursor: Cursor }
  /** finished: the run was archived; none: no run of this collection exists; gone: the stream vanished without an archive. */
  | { type: 'end'; reason: 'finished' | 'none' | 'gone'; log?: string };

/**
 * Where a watcher is: lines up to byte `offset` and the record at revision `rev` of the follower
 * `epoch` (revisions count from the start of each follower, so an epoch tells them apart).
 */
export interface Cursor {
  offset: number;
  epoch: string;
  rev: number;
}

/** A cursor as an event id: `<offset>.<epoch>.<rev>`. */
export function cursorId(c: Cursor): string {
  return `${c.offset}.${c.epoch}.${c.rev}`;
}

/** An event id back to where the watcher is: a bare number is a line offset only (the record is sent whole). */
export function parseCursorId(id: string | undefined): { from: number; since?: { epoch: string; rev: number } } {
  const m = /^(\d{1,15})(?:\.([0-9a-f]{1,16})\.(\d{1,15}))?$/.exec(id ?? '');
  if (!m) return { from: 0 };
  return { from: Number(m[1]), ...(m[2] ? { since: { epoch: m[2], rev: Number(m[3]) } } : {}) };
}

/** How many recent deltas a follower keeps for watchers that reconnect. */
const DELTAS_KEPT = 256;
/** How many stopped followers' records are kept for pages that reconnect. */
const FOLLOWERS_KEPT = 20;

/** What a stopped follower knew of its record: the next follower of the collection goes on from it. */
interface Known {
  record: RunRecord;
  epoch: string;
  rev: number;
  deltas: { rev: number; delta: RecordDelta }[];
}

/** Returns false when it wants no more events (its client was dropped). */
export type Watcher = (event: FollowEvent) => void | boolean;

export interface FollowOptions {
  /** How often the files are looked at; default 500 ms. */
  pollMs?: number;
  /** How many polls the stream may be missing with no archive before the watchers are told it is gone. */
  graceTicks?: number;
  /** How often a quiet event stream gets a comment line, so proxies keep it open; default 15 s. */
  keepAliveMs?: number;
  /** A client with more than this many bytes unsent (it reads too slowly, or not at all) is dropped; default 1 MiB. */
  maxBehindBytes?: number;
}

const CHUNK = 64 * 1024;

export class RunFollowers {
  private readonly followers = new Map<string, Follower>();
  private readonly known = new Map<string, Known>();
  private notifications?: FSWatcher;

  constructor(
    private readonly status: StatusFolder,
    private readonly log: Logger,
    readonly opts: FollowOptions = {},
  ) {}

  /**
   * Sends the run's lines from byte `from` on, its state (or, with `since`, the deltas missed since
   * then), then live updates. Returns the unsubscribe function.
   */
  follow(collectionId: string, from: number, watcher: Watcher, since?: { epoch: string; rev: number }): () => void {
    this.listen();
    let f = this.followers.get(collectionId);
    if (!f) {
      const known = this.known.get(collectionId);
      this.known.delete(collectionId);
      f = new Follower(collectionId, this.status, this.log.child({ collection: collectionId }), this.opts, known, (left) => {
        if (this.followers.get(collectionId) === f) this.followers.delete(collectionId);
        if (!left) return;
        this.known.delete(collectionId);
        this.known.set(collectionId, left);
        for (const oldest of this.known.keys()) {
          if (this.known.size <= FOLLOWERS_KEPT) break;
          this.known.delete(oldest);
        }
      });
      this.followers.set(collectionId, f);
    }
    return f.add(watcher, from, since);
  }

  /** How many collections are being polled (one poller each). */
  get pollers(): number {
    return this.followers.size;
  }

  close(): void {
    this.notifications?.close();
    this.notifications = undefined;
    for (const f of this.followers.values()) f.stop();
    this.followers.clear();
    this.known.clear();
  }

  /**
   * A write to a run's stream or record made on this host (or seen by this host's kernel) wakes
   * its poller at once, so a page shows it within milliseconds, not at the next poll. On a network
   * mount another host's writes raise no notification: there the poll finds them.
   */
  private listen(): void {
    if (this.notifications) return;
    try {
      this.notifications = watch(this.status.dir, { persistent: false }, (_event, name) => {
        const m = name ? /^(.+)-(?:processing|run\.json)$/.exec(String(name)) : null;
        if (m) this.followers.get(m[1])?.wake();
      });
      this.notifications.on('error', (err) => {
        this.log.info({ err }, 'no change notifications for the status folder; polling alone');
        this.notifications?.close();
        this.notifications = undefined;
      });
    } catch (err) {
      // No folder yet, or no notifications on this file system: polling alone (tried again at the next follow).
      this.log.debug({ err }, 'no change notifications for the status folder; polling alone');
    }
  }
}

type Source = { path: string; archived: boolean };

class Follower {
  private offset = 0;
  /** Bytes from `offset` up to here hold no newline: a line still being written, not read again. */
  private scanned = 0;
  private source?: Source;
  private sawStream = false;
  private missing = 0;
  private record?: RunRecord;
  private recordSig = '';
  private readonly epoch: string;
  private rev = 0;
  private deltas: { rev: number; delta: RecordDelta }[] = [];
  private ended?: Extract<FollowEvent, { type: 'end' }>;
  private readonly watchers = new Set<Watcher>();
  private joiners: { watcher: Watcher; from: number; since?: { epoch: string; rev: number } }[] = [];
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly collectionId: string,
    private readonly status: StatusFolder,
    private readonly log: Logger,
    private readonly opts: FollowOptions,
    known: Known | undefined,
    private readonly onDone: (left?: Known) => void,
  ) {
    this.epoch = known?.epoch ?? randomBytes(4).toString('hex');
    if (known) {
      this.record = known.record;
      this.rev = known.rev;
      this.deltas = known.deltas;
    }
  }

  add(watcher: Watcher, from: number, since?: { epoch: string; rev: number }): () => void {
    this.joiners.push({ watcher, from: Number.isSafeInteger(from) && from > 0 ? from : 0, since });
    this.kick();
    return () => {
      this.watchers.delete(watcher);
      this.joiners = this.joiners.filter((j) => j.watcher !== watcher);
      if (this.watchers.size === 0 && this.joiners.length === 0) this.stop();
    };
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    this.onDone(this.record ? { record: this.record, epoch: this.epoch, rev: this.rev, deltas: this.deltas } : undefined);
  }

  /** Something changed: look now rather than at the next poll. */
  wake(): void {
    this.kick();
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
    for (const w of this.watchers) if (w(event) === false) this.watchers.delete(w);
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
        if (size < this.offset) this.offset = this.scanned = 0; // a new run replaced the stream
        if (size > this.scanned) {
          const r = await readLines(streamPath, this.offset, size, (e) => this.broadcast(e), false, this.scanned);
          this.offset = r.consumed;
          this.scanned = r.scanned;
        }
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
      // A run ended unfinished has its log renamed before its record is written: wait for the record
      // (the page's final state), for a while; a record that never comes leaves the lines alone.
      if (!match.record && ++this.missing <= (this.opts.graceTicks ?? 20)) return;
      const path = this.status.archivedLogPath(match.log);
      if (!path) return;
      this.source = { path, archived: true };
      if (!this.sawStream) this.offset = 0;
      const logSize = (await fileSize(path)) ?? 0;
      if (logSize < this.offset) this.offset = 0;
      this.offset = (await readLines(path, this.offset, logSize, (e) => this.broadcast(e), true)).consumed;
      if (match.record) this.update({ ...match.record, log: match.record.log ?? match.log });
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
    this.update(record);
  }

  private cursor(rev = this.rev): Cursor {
    return { offset: this.offset, epoch: this.epoch, rev };
  }

  /** Takes a new version of the record: the first is sent whole, later ones as what changed. */
  private update(next: RunRecord): void {
    const record = forPages(next);
    const prev = this.record;
    this.record = record;
    if (!prev) {
      this.rev++;
      this.broadcast({ type: 'state', record, cursor: this.cursor() });
      return;
    }
    const delta = recordDelta(prev, record);
    if (!delta) return;
    this.rev++;
    this.deltas.push({ rev: this.rev, delta });
    if (this.deltas.length > DELTAS_KEPT) this.deltas.shift();
    this.broadcast({ type: 'delta', delta, cursor: this.cursor() });
  }

  /** The deltas a watcher at `since` missed, or undefined when they are not all kept (it gets the whole record). */
  private missed(since?: { epoch: string; rev: number }): { rev: number; delta: RecordDelta }[] | undefined {
    if (!since || since.epoch !== this.epoch || since.rev > this.rev || since.rev < 1) return undefined;
    if (since.rev === this.rev) return [];
    const first = this.deltas[0]?.rev ?? this.rev + 1;
    if (since.rev < first - 1) return undefined;
    return this.deltas.filter((d) => d.rev > since.rev);
  }

  /**
   * New watchers get the lines they have not seen (from their offset to ours), then the state. When
   * the stream was renamed to the archived log since the poll looked at it, they wait for the next
   * poll, which finds the archive (the same file, so the same offsets): nothing is sent to them yet.
   */
  private async admitJoiners(): Promise<void> {
    const joiners = this.joiners;
    this.joiners = [];
    for (const joiner of joiners) {
      const { watcher, from, since } = joiner;
      let start = from;
      const handle = this.source ? await openSource(this.source.path) : undefined;
      if (this.source && !handle && !this.source.archived && !this.ended) {
        this.joiners.push(joiner);
        continue;
      }
      let wanted = true;
      try {
        if (handle && start > 0 && !(await endsLine(handle, start, this.offset))) start = 0;
        if (handle) wanted = !(await readLines(handle, start, this.offset, watcher, true)).stopped;
      } finally {
        await handle?.close();
      }
      if (wanted && this.record) {
        const missed = this.missed(since);
        if (!missed) wanted = watcher({ type: 'state', record: this.record, cursor: this.cursor() }) !== false;
        else for (const d of missed) if (wanted) wanted = watcher({ type: 'delta', delta: d.delta, cursor: this.cursor(d.rev) }) !== false;
      }
      if (!wanted) continue;
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

/** Whether `offset` is a line boundary of the open file and no further than `limit` (a valid resume point). */
async function endsLine(handle: FileHandle, offset: number, limit: number): Promise<boolean> {
  if (offset > limit) return false;
  const b = Buffer.alloc(1);
  const { bytesRead } = await handle.read(b, 0, 1, offset - 1);
  return bytesRead === 1 && b[0] === 0x0a;
}

/** Opens a run's stream or log for reading; undefined when it is not there (renamed, removed, or a symbolic link). */
async function openSource(path: string): Promise<FileHandle | undefined> {
  return openNoFollow(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ELOOP') return undefined;
    throw err;
  });
}

/**
 * Sends the complete lines between `from` and `to` of a file (a path, or a handle the caller
 * opened and closes), in chunks (memory: the longest line), and says
 * how far it got: `consumed` just past the last complete line, `scanned` how far the bytes were
 * looked at. Bytes before `scannedTo` are known to hold no newline, so a line still being written
 * is only looked at once, however many polls see it; it is read when its end arrives. A final line
 * without its newline waits for the next poll, unless `finalPartial` (an archived log is complete
 * as it is). Stops early when `send` returns false.
 */
async function readLines(
  source: string | FileHandle,
  from: number,
  to: number,
  send: Watcher,
  finalPartial = false,
  scannedTo = from,
): Promise<{ consumed: number; scanned: number; stopped: boolean }> {
  if (to <= from) return { consumed: from, scanned: Math.max(from, scannedTo), stopped: false };
  const handle = typeof source === 'string' ? await openSource(source) : source;
  if (!handle) return { consumed: from, scanned: from, stopped: false };
  let consumed = from;
  try {
    // Only new bytes can end the pending line: look for a newline there first.
    if (!finalPartial && scannedTo > from && !(await hasNewline(handle, scannedTo, to))) return { consumed: from, scanned: to, stopped: false };
    let parts: Buffer[] = [];
    let pos = from;
    while (pos < to) {
      const buf = Buffer.alloc(Math.min(CHUNK, to - pos));
      const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      const data = buf.subarray(0, bytesRead);
      let start = 0;
      let nl: number;
      while ((nl = data.indexOf(0x0a, start)) !== -1) {
        const piece = data.subarray(start, nl);
        const line = parts.length ? Buffer.concat([...parts, piece]) : piece;
        parts = [];
        consumed += line.length + 1;
        start = nl + 1;
        if (emit(line.toString('utf8'), consumed, send) === false) return { consumed, scanned: consumed, stopped: true };
      }
      if (start < data.length) parts.push(data.subarray(start));
    }
    const rest = parts.reduce((n, p) => n + p.length, 0);
    if (finalPartial && rest && consumed + rest === to) {
      consumed = to;
      if (emit(Buffer.concat(parts).toString('utf8'), consumed, send) === false) return { consumed, scanned: to, stopped: true };
    }
    return { consumed, scanned: pos, stopped: false };
  } finally {
    if (handle !== source) await handle.close();
  }
}

async function hasNewline(handle: FileHandle, from: number, to: number): Promise<boolean> {
  const buf = Buffer.alloc(Math.min(CHUNK, to - from));
  for (let pos = from; pos < to; ) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, to - pos), pos);
    if (bytesRead === 0) return false;
    if (buf.subarray(0, bytesRead).includes(0x0a)) return true;
    pos += bytesRead;
  }
  return false;
}

function emit(raw: string, id: number, send: Watcher): void | boolean {
  const text = raw.replace(/\r$/, '');
  if (text.startsWith(INIT_MARKER)) return send({ type: 'init', id, text });
  return send({ type: 'line', id, text });
}
