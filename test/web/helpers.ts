/**
 * Test helpers for the web app: a real server (startWeb on 127.0.0.1, port 0), a real status
 * folder and users.csv in a temp dir, and a small browser-like client (cookies, CSRF token).
 */
import { applyRecordDelta, type RecordDelta } from '../../src/runs/recordDelta.js';
import type { RunRecord } from '../../src/runs/types.js';
import type { OverviewSources } from '../../src/collection/overview.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { StatusFolder } from '../../src/runs/statusFolder.js';
import type { ModuleSettings, WebSettings } from '../../src/settings/settings.js';
import type { FollowOptions } from '../../src/web/follow.js';
import type { SessionLimits } from '../../src/web/sessionStore.js';
import { startWeb, type RunningWeb } from '../../src/web/server.js';

export const ALICE = { email: 'alice@caltech.edu', name: 'Alice Archivist' };

export interface TestWeb {
  dir: string;
  statusDir: string;
  usersFile: string;
  status: StatusFolder;
  web: RunningWeb;
  url: string;
  close(): Promise<void>;
}

/** A logger whose JSON lines are kept, to check what reaches the log (and what does not reach the page). */
export function captureLog(): { logger: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines, text: () => lines.join('') };
}

export async function startTestWeb(
  opts: { web?: Partial<WebSettings>; modules?: ModuleSettings; users?: string; demo?: boolean; follow?: FollowOptions; logger?: Logger; sessions?: Partial<SessionLimits>; overview?: Omit<OverviewSources, 'status'> } = {},
): Promise<TestWeb> {
  const dir = await mkdtemp(join(tmpdir(), 'distillery-web-'));
  const statusDir = join(dir, 'status');
  const usersFile = join(dir, 'users.csv');
  await writeFile(usersFile, opts.users ?? `email_address,display_name\n${ALICE.email},${ALICE.name}\n`);
  const web: WebSettings = {
    host: '127.0.0.1',
    port: 0,
    usersFile,
    identity: 'header',
    identityHeader: 'x-remote-user',
    trustedProxies: ['127.0.0.1', '::1'],
    sessionSecret: 'test-session-secret-0123456789',
    logoutUrl: '/Shibboleth.sso/Logout',
    secureCookies: false,
    ...opts.web,
  };
  const running = await startWeb({
    web,
    statusFiles: statusDir,
    modules: opts.modules ?? { cloud: 's3', onsite: 'tape', access: 'islandora' },
    demo: opts.demo,
    logger: opts.logger ?? pino({ level: 'silent' }),
    follow: { pollMs: 100, ...opts.follow },
    sessions: opts.sessions,
    overview: opts.overview,
  });
  return {
    dir,
    statusDir,
    usersFile,
    status: new StatusFolder(statusDir),
    web: running,
    url: running.url,
    close: async () => {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A browser-like client: keeps the session cookie, sends the identity header as the proxy would. */
export class Client {
  private cookie = '';
  constructor(
    readonly base: string,
    readonly user?: string,
  ) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return this.request(path, { method: 'GET', headers });
  }

  async post(path: string, form: [string, string][]): Promise<Response> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  /** Loads the form and returns its CSRF token (as a browser would have it). */
  async csrfToken(): Promise<string> {
    const html = await (await this.get('/')).text();
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error(`no CSRF token in the form:\n${html.slice(0, 500)}`);
    return m[1];
  }

  /** Submits the form with `token`, or with a fresh one. */
  async submit(collectionId: string, processes: string[], token?: string): Promise<Response> {
    const t = token ?? (await this.csrfToken());
    return this.post('/distilling', [['_csrf', t], ['collection_id', collectionId], ...processes.map((p): [string, string] => ['processes', p])]);
  }

  private async request(path: string, init: RequestInit & { headers: Record<string, string> }): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.user) headers['x-remote-user'] = this.user;
    if (this.cookie) headers.cookie = this.cookie;
    const res = await fetch(this.base + path, { ...init, headers, redirect: 'manual' });
    const set = res.headers.getSetCookie();
    if (set.length) this.cookie = set.map((c) => c.split(';')[0]).join('; ');
    return res;
  }
}

export interface SseEvent {
  event: string;
  id?: string;
  data: string;
}

export interface EventReader {
  events: SseEvent[];
  /** Resolves once `pred(events)` holds; rejects after `timeoutMs` or if the stream ends first. */
  waitFor(pred: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<SseEvent[]>;
  /** Resolves when the server ends the stream. */
  ended: Promise<SseEvent[]>;
  close(): void;
}

/** Opens an event stream and collects its events as they arrive. */
export async function openEvents(url: string, opts: { user?: string; lastEventId?: string } = {}): Promise<EventReader> {
  const controller = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (opts.user) headers['x-remote-user'] = opts.user;
  if (opts.lastEventId) headers['last-event-id'] = opts.lastEventId;
  const res = await fetch(url, { headers, signal: controller.signal });
  if (res.status !== 200) throw new Error(`events: HTTP ${res.status} ${await res.text()}`);
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let done = false;
  const ended = (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        let cut: number;
        while ((cut = buf.indexOf('\n\n')) !== -1) {
          const ev = parseBlock(buf.slice(0, cut));
          buf = buf.slice(cut + 2);
          if (ev) events.push(ev);
        }
        waiters.forEach((w) => w());
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    } finally {
      done = true;
      waiters.forEach((w) => w());
    }
    return events;
  })();
  ended.catch(() => undefined); // a broken stream shows up as a failed waitFor
  return {
    events,
    ended,
    close: () => controller.abort(),
    waitFor: (pred, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (pred(events)) {
            cleanup();
            resolve(events);
          } else if (done) {
            cleanup();
            reject(new Error(`events: the stream ended first; got ${JSON.stringify(events)}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`events: timed out; got ${JSON.stringify(events)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
  };
}

function parseBlock(block: string): SseEvent | undefined {
  const ev: SseEvent = { event: 'message', data: '' };
  let hasData = false;
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i === -1 ? line : line.slice(0, i);
    const value = i === -1 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') ev.event = value;
    else if (field === 'id') ev.id = value;
    else if (field === 'data') {
      ev.data += (hasData ? '\n' : '') + value;
      hasData = true;
    }
  }
  return hasData ? ev : undefined;
}

/**
 * Reads events until `done(events)` holds, or until the server ends the stream when no `done` is
 * given; fails after `timeoutMs` (generous: the machine is shared).
 */
export async function readEvents(
  url: string,
  opts: { user?: string; lastEventId?: string; done?: (events: SseEvent[]) => boolean; timeoutMs?: number } = {},
): Promise<SseEvent[]> {
  const reader = await openEvents(url, opts);
  try {
    if (opts.done) return [...(await reader.waitFor(opts.done, opts.timeoutMs))];
    await reader.waitFor(() => false, opts.timeoutMs).catch((err: Error) => {
      if (!err.message.includes('ended first')) throw err;
    });
    return [...reader.events];
  } finally {
    reader.close();
  }
}

/** The text of line events, in order. */
export function lineTexts(events: SseEvent[]): string[] {
  return events.filter((e) => e.event === 'line' || e.event === 'init').map((e) => JSON.parse(e.data) as string);
}

/**
 * The record as a page holding these events has it: the last whole `state`, with every later
 * `delta` applied (by the rules the page's script follows).
 */
export function recordsOf(events: SseEvent[]): RunRecord[] {
  const out: RunRecord[] = [];
  let current: RunRecord | undefined;
  for (const e of events) {
    if (e.event === 'state') current = JSON.parse(e.data) as RunRecord;
    else if (e.event === 'delta' && current) current = applyRecordDelta(current, JSON.parse(e.data) as RecordDelta);
    else continue;
    if (current) out.push(current);
  }
  return out;
}
