/**
 * The real web app (startWeb on 127.0.0.1, port 0) over a stack's status folder, with the
 * identity header as Apache + Shibboleth would send it (the client is test/web/helpers.ts's `Client`).
 */
import { pino } from 'pino';
import type { WebSettings } from '../../../src/settings/settings.js';
import { startWeb, type RunningWeb } from '../../../src/web/server.js';
import { overviewSourcesOf } from '../../../src/collection/overview.js';
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
    overview: overviewSourcesOf(stack.settings),
  });
}

/** The text of an HTML page as a reader sees it (tags dropped, EJS's entities decoded). */
export function pageText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}
