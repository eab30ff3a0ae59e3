/**
 * Sign-in: the identity header from the proxy, users.csv, the debug user, CSRF, security headers.
 * Real server on loopback; requests "from another host" come from 127.0.0.2 (Linux answers the
 * whole 127.0.0.0/8 range), which is not in the trusted proxies.
 */
import { request } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/web/app.js';
import { NO_ACCESS } from '../../src/web/problems.js';
import { ALICE, captureLog, Client, startTestWeb, type TestWeb } from './helpers.js';

let t: TestWeb | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await t?.close();
  t = undefined;
});

function getFrom(url: string, localAddress: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { localAddress, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('sign-in', () => {
  it('greets a listed user by display name, with the form and a log-out link', async () => {
    t = await startTestWeb();
    const res = await new Client(t.url, ALICE.email).get('/');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Hello, Alice Archivist');
    expect(html).toContain('href="/Shibboleth.sso/Logout"');
    expect(html).toContain('name="collection_id"');
    expect(html).not.toContain('Development mode');
  });

  it('matches the e-mail address case-insensitively', async () => {
    t = await startTestWeb();
    const res = await new Client(t.url, 'Alice@CALTECH.edu').get('/');
    expect(res.status).toBe(200);
  });

  it('refuses an unknown user with the original message', async () => {
    t = await startTestWeb();
    const res = await new Client(t.url, 'mallory@example.org').get('/');
    expect(res.status).toBe(403);
    expect(await res.text()).toContain(NO_ACCESS.replace('&', '&amp;'));
  });

  it('refuses a request with no identity', async () => {
    t = await startTestWeb();
    for (const path of ['/', '/runs', '/distill/ABC', '/distill/ABC/events']) {
      const res = await new Client(t.url).get(path);
      expect(res.status, path).toBe(403);
    }
    expect(await (await new Client(t.url).get('/')).text()).toContain('You are not signed in');
  });

  it('ignores the identity header from an address that is not a trusted proxy', async () => {
    t = await startTestWeb({ web: { trustedProxies: ['127.0.0.1'] } });
    const port = new URL(t.url).port;
    const fromProxy = await getFrom(`http://127.0.0.1:${port}/`, '127.0.0.1', { 'x-remote-user': ALICE.email });
    expect(fromProxy.status).toBe(200);
    const fromElsewhere = await getFrom(`http://127.0.0.1:${port}/`, '127.0.0.2', { 'x-remote-user': ALICE.email });
    expect(fromElsewhere.status).toBe(403);
    expect(fromElsewhere.body).toContain('You are not signed in');
  });

  it('accepts a trusted proxy given as a CIDR range', async () => {
    t = await startTestWeb({ web: { trustedProxies: ['127.0.0.0/30'] } });
    const port = new URL(t.url).port;
    expect((await getFrom(`http://127.0.0.1:${port}/`, '127.0.0.2', { 'x-remote-user': ALICE.email })).status).toBe(200);
  });

  it('sees a user added to users.csv without a restart', async () => {
    t = await startTestWeb();
    const bob = new Client(t.url, 'bob@caltech.edu');
    expect((await bob.get('/')).status).toBe(403);
    await writeFile(t.usersFile, `email_address,display_name\n${ALICE.email},${ALICE.name}\nbob@caltech.edu,Bob Boxes\n`);
    const res = await bob.get('/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Hello, Bob Boxes');
  });

  it('says clearly in the log when users.csv is missing or malformed', async () => {
    const log = captureLog();
    t = await startTestWeb({ logger: log.logger });
    await writeFile(t.usersFile, 'email,name\nalice@caltech.edu,Alice\n');
    let res = await new Client(t.url, ALICE.email).get('/');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('Sign-in unavailable');
    expect(log.text()).toContain('must start with the header line \\"email_address,display_name\\"');
    await writeFile(t.usersFile, 'email_address,display_name\n"alice@caltech.edu,Alice\n');
    res = await new Client(t.url, ALICE.email).get('/');
    expect(res.status).toBe(503);
    expect(log.text()).toContain('is not valid CSV');
    await writeFile(t.usersFile, 'email_address,display_name\nnot-an-address,Alice\n');
    res = await new Client(t.url, ALICE.email).get('/');
    expect(res.status).toBe(503);
    expect(log.text()).toContain('line 2: \\"not-an-address\\" is not an e-mail address');
  });

  it('reports a missing users.csv in the log with what to do', async () => {
    const log = captureLog();
    t = await startTestWeb({ web: { usersFile: '/nonexistent/users.csv' }, logger: log.logger });
    const res = await new Client(t.url, ALICE.email).get('/');
    expect(res.status).toBe(503);
    expect(log.text()).toContain('/nonexistent/users.csv does not exist: create it with the header line');
  });

  it('signs everyone in as the debug user in development mode, with a visible banner', async () => {
    vi.stubEnv('NODE_ENV', 'development');
    t = await startTestWeb({ web: { identity: 'debug' } });
    const res = await new Client(t.url).get('/');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Hello, World');
    expect(html).toContain('Development mode');
    expect(html).toContain('hello@example.com');
  });

  it('Log out in development mode (the demo) leads to a page saying what it means, not to "Not found"; in production to WEB_LOGOUT_URL', async () => {
    vi.stubEnv('NODE_ENV', 'development');
    t = await startTestWeb({ web: { identity: 'debug' }, demo: true });
    const c = new Client(t.url);
    const html = await (await c.get('/')).text();
    const href = /<a href="([^"]*)">Log out<\/a>/.exec(html)?.[1];
    expect(href).toBe('/logout');
    const res = await c.get(href!);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<h1>Log out</h1>');
    expect(page).toMatch(/the web server in front of it — Apache with Shibboleth, for example — signs you in/);
    expect(page).toMatch(/This is the demo .*there is nothing to log out of/s);
    expect(page).toContain('hello@example.com');
    await t.close();

    // Production: the link is the web server's logout address, and /logout sends there too.
    vi.stubEnv('NODE_ENV', 'production');
    t = await startTestWeb({ web: { logoutUrl: '/Shibboleth.sso/Logout?return=https://www.library.caltech.edu/' } });
    const alice = new Client(t.url, ALICE.email);
    expect(await (await alice.get('/')).text()).toContain('<a href="/Shibboleth.sso/Logout?return=https://www.library.caltech.edu/">Log out</a>');
    const away = await fetch(`${t.url}/logout`, { headers: { 'x-remote-user': ALICE.email }, redirect: 'manual' });
    expect(away.status).toBe(303);
    expect(away.headers.get('location')).toBe('/Shibboleth.sso/Logout?return=https://www.library.caltech.edu/');
  });

  it('refuses development mode unless NODE_ENV is exactly development and the host is loopback', async () => {
    t = await startTestWeb();
    const web = { host: '127.0.0.1', port: 0, usersFile: t.usersFile, identity: 'debug' as const, identityHeader: 'x-remote-user', trustedProxies: [], sessionSecret: 'x'.repeat(20), logoutUrl: '/', secureCookies: false };
    for (const mode of ['production', 'Production', 'production ', 'prod', 'test']) {
      vi.stubEnv('NODE_ENV', mode);
      expect(() => createApp({ web, statusFiles: t!.statusDir, modules: {} }), mode).toThrow(`WEB_IDENTITY is "debug", which signs everyone in as the development user, but NODE_ENV is "${mode}"`);
    }
    vi.stubEnv('NODE_ENV', 'development');
    expect(() => createApp({ web: { ...web, host: '0.0.0.0' }, statusFiles: t!.statusDir, modules: {} })).toThrow('WEB_HOST is "0.0.0.0", which other machines can reach');
    const log = captureLog();
    createApp({ web, statusFiles: t.statusDir, modules: {}, logger: log.logger }).closeFollowers();
    expect(log.text()).toContain('development mode (WEB_IDENTITY=debug): everyone who reaches this server is signed in as hello@example.com');
  });

  it('refuses to start with a trusted proxy that is not an address', async () => {
    t = await startTestWeb();
    const web = { host: '127.0.0.1', port: 0, usersFile: t.usersFile, identity: 'header' as const, identityHeader: 'x-remote-user', trustedProxies: ['proxy.caltech.edu'], sessionSecret: 'x'.repeat(20), logoutUrl: '/', secureCookies: false };
    expect(() => createApp({ web, statusFiles: t!.statusDir, modules: {} })).toThrow('WEB_TRUSTED_PROXIES: "proxy.caltech.edu" is not an IP address or CIDR range');
  });

  it('refuses a POST without a valid CSRF token, and writes nothing', async () => {
    t = await startTestWeb();
    const c = new Client(t.url, ALICE.email);
    await c.csrfToken(); // a session exists, but the form's token is not sent
    let res = await c.post('/distilling', [['collection_id', 'ABC'], ['processes', 'report']]);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('This form has expired or did not come from this Distillery page');
    res = await c.post('/distilling', [['_csrf', 'forged-token'], ['collection_id', 'ABC'], ['processes', 'report']]);
    expect(res.status).toBe(403);
    // A token from another session does not work either.
    const other = await new Client(t.url, ALICE.email).csrfToken();
    res = await c.post('/distilling', [['_csrf', other], ['collection_id', 'ABC'], ['processes', 'report']]);
    expect(res.status).toBe(403);
    expect(await t.status.activeFor('ABC')).toBeUndefined();
  });

  it('sets a strict Content-Security-Policy and an httpOnly, SameSite=Lax session cookie', async () => {
    t = await startTestWeb();
    const res = await fetch(t.url + '/', { headers: { 'x-remote-user': ALICE.email } });
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
    const cookie = res.headers.getSetCookie()[0] ?? '';
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i);
  });

  it('marks the session cookie Secure behind the TLS proxy', async () => {
    t = await startTestWeb({ web: { secureCookies: true } });
    const res = await fetch(t.url + '/', { headers: { 'x-remote-user': ALICE.email, 'x-forwarded-proto': 'https' } });
    expect(res.headers.getSetCookie()[0]).toMatch(/; Secure/i);
  });
});
