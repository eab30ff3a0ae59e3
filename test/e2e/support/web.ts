/**
 * The real web app (startWeb on 127.0.0.1, port 0) over a stack's status folder, with the
 * identity header as Apache + Shibboleth would send it, and a small browser-like client.
 */
import { pino } from 'pino';
import type { WebSettings } from '../../../src/settings/settings.js';
import { startWeb, type RunningWeb } from '../../../src/web/server.js';
import type { Stack } from './stack.js';

export async function startStackWeb(stack: Stack, web: Partial<WebSettings> = {}): Promise<RunningWeb> {
  return startWeb({
    web: {
      host: '127.0.0.1',
      port: 0,
      usersFile: stack.usersFile,
      identity: 'header',
      identityHeader: 'x-remote-user',
      trustedProxies: ['127.0.0.1', '::1'],
      sessionSecret: 'e2e-session-secret-0123456789abcdef',
      logoutUrl: '/Shibboleth.sso/Logout',
      secureCookies: false,
      ...web,
    },
    statusFiles: stack.statusDir,
    modules: { cloud: 's3', onsite: 'tape', access: 'islandora' },
    logger: pino({ level: 'silent' }),
    follow: { pollMs: 100 },
  });
}

/** Keeps the session cookie and sends the identity header, as the browser behind the proxy does. */
export class FormClient {
  private cookie = '';
  constructor(readonly base: string, readonly user?: string) {}

  async get(path: string): Promise<Response> {
    return this.request(path, { method: 'GET', headers: {} });
  }

  async post(path: string, form: [string, string][]): Promise<Response> {
    return this.request(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  }

  async csrfToken(): Promise<string> {
    const html = await (await this.get('/')).text();
    const m = /name="_csrf" value="([^"]+)"/.exec(html);
    if (!m) throw new Error(`no CSRF token in the form:\n${html.slice(0, 500)}`);
    return m[1];
  }

  /** Fills in and submits the form (with its token). */
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

/** The text of an HTML page as a reader sees it (tags dropped, EJS's entities decoded). */
export function pageText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}
