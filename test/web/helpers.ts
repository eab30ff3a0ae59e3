/**
 * Test helpers for the web app: a real server (startWeb on 127.0.0.1, port 0), a real status
 * folder and users.csv in a temp dir, and a small browser-like client (cookies, CSRF token).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { StatusFolder } from '../../src/runs/statusFolder.js';
import type { ModuleSettings, WebSettings } from '../../src/settings/settings.js';
import type { FollowOptions } from '../../src/web/follow.js';
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

export async function startTestWeb(opts: { web?: Partial<WebSettings>; modules?: ModuleSettings; users?: string; demo?: boolean; follow?: FollowOptions } = {}): Promise<TestWeb> {
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
    logger: pino({ level: 'silent' }),
    follow: { pollMs: 100, ...opts.follow },
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

  /** Submits the form with a fresh token. */
  async submit(collectionId: string, processes: string[]): Promise<Response> {
    const token = await this.csrfToken();
    return this.post('/distilling', [['_csrf', token], ['collection_id', collectionId], ...processes.map((p): [string, string] => ['processes', p])]);
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

/**
 * Reads server-sent events until `done(events)` is true or the stream ends; aborts after
 * `timeoutMs` (generous: the machine is shared).
 */
export async function readEvents(
  url: string,
  opts: { user?: string; lastEventId?: string; done?: (events: SseEvent[]) => boolean; timeoutMs?: number } = {},
): Promise<SseEvent[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), opts.timeoutMs ?? 20_000);
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (opts.user) headers['x-remote-user'] = opts.user;
  if (opts.lastEventId) headers['last-event-id'] = opts.lastEventId;
  const events: SseEvent[] = [];
  try {
    const res = await fetch(url, { headers, signal: controller.signal });
    if (res.status !== 200) throw new Error(`events: HTTP ${res.status} ${await res.text()}`);
    const decoder = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buf.indexOf('\n\n')) !== -1) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
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
        if (hasData) events.push(ev);
      }
      if (opts.done?.(events)) break;
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
    throw new Error(`events: timed out; got ${JSON.stringify(events)}`);
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return events;
}

/** The text of line events, in order. */
export function lineTexts(events: SseEvent[]): string[] {
  return events.filter((e) => e.event === 'line' || e.event === 'init').map((e) => JSON.parse(e.data) as string);
}
