/**
 * Hostile and careless input against the running web app (real server on loopback, real status
 * folder, real users.csv): forged and odd identities, other people's sessions, floods, links and
 * wrong-shaped files in the status folder, broken users.csv, collection IDs that collide on SMB
 * shares. docs/web.md lists these cases.
 */
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ALICE, captureLog, Client, readEvents, startTestWeb, type TestWeb } from './helpers.js';

const BOB = { email: 'bob@caltech.edu', name: 'Bob Boxes' };
const USERS = `email_address,display_name\n${ALICE.email},${ALICE.name}\n${BOB.email},${BOB.name}\n`;

let t: TestWeb | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** The session cookie a response set (name=value), or ''. */
function sessionCookie(res: Response): string {
  return res.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('distillery.sid=')) ?? '';
}

/** GET / as `user` with `cookie`; returns the cookie now in force and the form's token. */
async function loadForm(url: string, user: string, cookie = ''): Promise<{ status: number; cookie: string; token?: string }> {
  const res = await fetch(`${url}/`, { headers: { 'x-remote-user': user, ...(cookie ? { cookie } : {}) } });
  const html = await res.text();
  return { status: res.status, cookie: sessionCookie(res) || cookie, token: /name="_csrf" value="([^"]+)"/.exec(html)?.[1] };
}

async function post(url: string, user: string, cookie: string, form: [string, string][]): Promise<Response> {
  return fetch(`${url}/distilling`, {
    method: 'POST',
    headers: { 'x-remote-user': user, cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
    redirect: 'manual',
  });
}

/**
 * One HTTP request written byte for byte, as the proxy writes it: Apache's `RequestHeader set
 * X-Remote-User "%{RU}e"` copies REMOTE_USER's bytes (UTF-8 from Shibboleth) into the header.
 */
function rawGet(url: string, headerBytes: Buffer): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.write(Buffer.concat([Buffer.from(`GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nConnection: close\r\nX-Remote-User: `), headerBytes, Buffer.from('\r\n\r\n')]));
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(text)?.[1] ?? 0), body: text });
    });
  });
}

describe('identity', () => {
  it('refuses to start with a trusted-proxy entry that would trust everyone (a trailing "/" was read as /0)', async () => {
    for (const entry of ['127.0.0.1/', '::/', '10.0.0.0/abc', '10.0.0.0/33', '0.0.0.0/0']) {
      await expect(startTestWeb({ web: { trustedProxies: [entry] } }), entry).rejects.toThrow(`WEB_TRUSTED_PROXIES: "${entry}"`);
    }
  });

  it('reads the identity header as UTF-8 and compares it NFC-normalised and case-folded', async () => {
    // users.csv spells é decomposed (e + combining accent) and ß; the proxy sends é composed, in upper case.
    t = await startTestWeb({ users: `email_address,display_name\njose\u0301@caltech.edu,Jos\u00e9 Archivist\nstra\u00dfe@caltech.edu,Stra\u00dfe\n` });
    const composed = await rawGet(t.url, Buffer.from('Jos\u00e9@Caltech.edu', 'utf8'));
    expect(composed.status).toBe(200);
    expect(composed.body).toContain('Hello, José Archivist');
    expect((await rawGet(t.url, Buffer.from('STRASSE@caltech.edu', 'utf8'))).status).toBe(200);
    // Latin-1 bytes (not UTF-8) are nobody.
    expect((await rawGet(t.url, Buffer.from('jos\u00e9@caltech.edu', 'latin1'))).status).toBe(403);
  });
});

describe('sessions', () => {
  it("one person's cookie and token do not work with another person's identity: the form has expired and nothing is recorded", async () => {
    t = await startTestWeb({ users: USERS });
    const alice = await loadForm(t.url, ALICE.email);
    expect(alice.token).toBeDefined();
    const res = await post(t.url, BOB.email, alice.cookie, [['_csrf', alice.token!], ['collection_id', 'ABC'], ['processes', 'report']]);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('This form has expired');
    expect(await t.status.activeFor('ABC')).toBeUndefined();
    expect(await t.status.readRecord('ABC')).toBeUndefined();
  });

  it('gives a new session id when a cookie made for someone else arrives with a sign-in (no fixation)', async () => {
    t = await startTestWeb({ users: USERS });
    const planted = await loadForm(t.url, ALICE.email);
    const bob = await loadForm(t.url, BOB.email, planted.cookie);
    expect(bob.status).toBe(200);
    expect(bob.cookie).toMatch(/^distillery\.sid=/);
    expect(bob.cookie).not.toBe(planted.cookie);
    // Bob's own form works with the new session.
    const res = await post(t.url, BOB.email, bob.cookie, [['_csrf', bob.token!], ['collection_id', 'ABC'], ['processes', 'report']]);
    expect(res.status).toBe(303);
    expect((await t.status.readRecord('ABC'))?.request.user.email).toBe(BOB.email);
  });

  it("cookie-less page loads by someone else, more than the store holds, do not push a signed-in person's session out", { timeout: 60_000 }, async () => {
    // The store holds 100,000 sessions; here 200, so that 250 loads overflow it as 100,050 would.
    t = await startTestWeb({ users: USERS, sessions: { total: 200 } });
    const alice = await loadForm(t.url, ALICE.email);
    let next = 0;
    const worker = async () => {
      while (next < 250) {
        next++;
        const res = await fetch(`${t!.url}/`, { headers: { 'x-remote-user': BOB.email } });
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const res = await post(t.url, ALICE.email, alice.cookie, [['_csrf', alice.token!], ['collection_id', 'ABC'], ['processes', 'report']]);
    expect(res.status).toBe(303);
  });
});

describe('users.csv', () => {
  it('a broken users.csv: a neutral page for everyone (listed or not), the file and the line only in the log', async () => {
    const log = captureLog();
    t = await startTestWeb({ logger: log.logger });
    await writeFile(t.usersFile, 'email_address,display_name\nnot-an-address,Alice\n');
    for (const who of [ALICE.email, 'mallory@example.org']) {
      const res = await new Client(t.url, who).get('/');
      expect(res.status, who).toBe(503);
      const html = await res.text();
      expect(html).toContain('Distillery cannot check who may use it right now');
      expect(html).not.toContain(t.usersFile);
      expect(html).not.toContain('not-an-address');
      expect(html).not.toContain('line 2');
    }
    expect(log.text()).toContain(`The users file ${t.usersFile}, line 2`);
  });

  it('a folder in place of users.csv is the same neutral 503, not a raw EISDIR error', async () => {
    const log = captureLog();
    t = await startTestWeb({ logger: log.logger });
    await rm(t.usersFile);
    await mkdir(t.usersFile);
    const res = await new Client(t.url, ALICE.email).get('/');
    expect(res.status).toBe(503);
    const html = await res.text();
    expect(html).toContain('Sign-in unavailable');
    expect(html).not.toContain('EISDIR');
    expect(html).not.toContain(t.usersFile);
    expect(log.text()).toContain('is not a file (a folder?)');
  });
});

describe('the status folder', () => {
  it('pages survive records that are valid JSON of another shape', async () => {
    t = await startTestWeb();
    await mkdir(t.statusDir, { recursive: true });
    const shapes = ['{}', '[]', '"x"', 'null', '42', '{"request":{"user":"x"},"steps":"no"}', '{"request":{"collectionId":"R7","processes":"report","user":null},"state":"failed","steps":[1,"x",{"name":"s","state":"done","progress":"half"}],"files":{}}'];
    for (const [i, shape] of shapes.entries()) {
      await writeFile(join(t.statusDir, `R${i}-2026112414300${i}.json`), shape);
      await writeFile(join(t.statusDir, `R${i}-2026112414300${i}.log`), `line of R${i}\n`);
    }
    await writeFile(join(t.statusDir, 'Q-run.json'), '[]');
    await writeFile(join(t.statusDir, 'Q-processing'), '');
    await writeFile(join(t.statusDir, 'Q-init-report'), '"x"');
    await writeFile(join(t.statusDir, 'W-claimed-report'), '{"worker":{"host":"h","pid":1},"request":"x"}');
    await writeFile(join(t.statusDir, 'V-claimed-cloud'), '{"worker":1,"request":{"collectionId":"V","user":null}}');
    const c = new Client(t.url, ALICE.email);
    for (const path of ['/', '/runs', '/runs/R0-20261124143000.log', '/runs/R6-20261124143006.log', '/distill/R5', '/distill/Q']) {
      const res = await c.get(path);
      expect(res.status, path).toBe(200);
    }
    const runs = await (await c.get('/runs')).text();
    expect(runs).toContain('R3-20261124143003.log');
    expect(runs).toContain('no record');
  });

  it('an internal failure shows a plain page with a reference; the details are in the log only', async () => {
    const log = captureLog();
    t = await startTestWeb({ logger: log.logger });
    await writeFile(t.statusDir, 'not a folder'); // the status folder is a file: every listing fails
    const res = await new Client(t.url, ALICE.email).get('/');
    expect(res.status).toBe(500);
    const html = await res.text();
    const ref = /Reference: ([0-9a-f]{12})/.exec(html)?.[1];
    expect(ref).toBeDefined();
    // The message itself (the worker banner above it may name the status folder, on purpose).
    const main = /<main>([\s\S]*)<\/main>/.exec(html)?.[1] ?? '';
    expect(main).toContain('Something went wrong');
    expect(main).not.toContain(t.statusDir);
    expect(html).not.toContain('ENOTDIR');
    expect(html).not.toMatch(/\/views\/|\.ejs|node_modules|^\s+at /m);
    expect(log.text()).toContain(`"reference":"${ref}"`);
    expect(log.text()).toContain('ENOTDIR');
  });

  it('never follows a symbolic link: a link named like a log, a record or a stream serves nothing', async () => {
    t = await startTestWeb();
    await mkdir(t.statusDir, { recursive: true });
    const secret = join(t.dir, 'settings.ini');
    await writeFile(secret, '[settings]\nASPACE_PASSWORD=hunter2-secret\n');
    const record = join(t.dir, 'record.json');
    await writeFile(record, JSON.stringify({ request: { runId: 'L', collectionId: 'LINK', processes: ['report'], user: { email: 'x@y', name: 'hunter2-secret' }, requestedAt: '' }, state: 'failed', attempts: 1, steps: [], files: [] }));
    await symlink(secret, join(t.statusDir, 'LINK-20261124143000.log'));
    await symlink(record, join(t.statusDir, 'LINK-20261124143000.json'));
    await symlink(secret, join(t.statusDir, 'LIVE-processing'));
    await symlink(record, join(t.statusDir, 'LIVE-run.json'));
    await writeFile(join(t.statusDir, 'LIVE-init-report'), '');
    const c = new Client(t.url, ALICE.email);
    for (const path of ['/runs/LINK-20261124143000.log?raw=1', '/runs/LINK-20261124143000.log']) {
      const res = await c.get(path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain('hunter2');
    }
    for (const path of ['/', '/runs', '/distill/LIVE', '/distill/LINK']) {
      expect(await (await c.get(path)).text(), path).not.toContain('hunter2');
    }
    const events = await readEvents(`${t.url}/distill/LIVE/events`, { user: ALICE.email, done: (e) => e.some((x) => x.event === 'end'), timeoutMs: 10_000 }).catch((err: Error) => [{ event: 'error', data: err.message }]);
    expect(JSON.stringify(events)).not.toContain('hunter2');
  });
});

describe('asking for runs', () => {
  it('refuses IDs that collide on a case-insensitive or SMB share, writing nothing', async () => {
    t = await startTestWeb();
    await mkdir(t.statusDir, { recursive: true });
    await writeFile(join(t.statusDir, 'demo-20261124143000.log'), '');
    await writeFile(join(t.statusDir, 'demo-20261124143000.json'), '{}');
    const c = new Client(t.url, ALICE.email);
    const cases: [string, string][] = [
      ['DEMO', 'There is already a run of &#34;demo&#34;, which differs from &#34;DEMO&#34; only in upper and lower case'],
      ['ABC.', 'ends with a dot, which Windows and SMB shares drop'],
      ['CON', 'is a name Windows reserves for a device'],
      ['nul.txt', 'is a name Windows reserves for a device'],
      ['Com1', 'is a name Windows reserves for a device'],
    ];
    for (const [id, message] of cases) {
      const res = await c.submit(id, ['report']);
      expect(res.status, id).toBe(400);
      expect(await res.text(), id).toContain(message);
    }
    expect((await t.status.pending()).map((p) => p.collectionId)).toEqual([]);
    expect((await c.submit('demo', ['report'])).status).toBe(303);
  });

  it('200 submissions in a burst: one queued request per collection, and at most WEB_RUN_REQUESTS_PER_HOUR per person', { timeout: 60_000 }, async () => {
    t = await startTestWeb({ web: { runRequestsPerHour: 20 } });
    const c = new Client(t.url, ALICE.email);
    const token = await c.csrfToken();
    const same = await Promise.all(Array.from({ length: 50 }, () => c.submit('SAME', ['report'], token)));
    expect(same.filter((r) => r.status === 303)).toHaveLength(1);
    expect(same.filter((r) => r.status === 409)).toHaveLength(49);
    const statuses: number[] = [];
    for (let i = 0; i < 150; i++) statuses.push((await c.submit(`C${i}`, ['report'], token)).status);
    expect(statuses.filter((s) => s === 303)).toHaveLength(19);
    expect(statuses.slice(19).every((s) => s === 429)).toBe(true);
    const refused = await c.submit('ONE-MORE', ['report'], token);
    expect(await refused.text()).toContain('You have asked for 20 runs in the last hour, as many as Distillery takes from one person. You can ask again in 60 minutes.');
    expect(await t.status.pending()).toHaveLength(20);
    // Someone else is not held back by Alice's requests.
    const bob = await startTestWebUser(t, BOB);
    expect((await bob.submit('BOBS', ['report'])).status).toBe(303);
  });
});

/** A second listed person on the same server. */
async function startTestWebUser(tw: TestWeb, user: { email: string; name: string }): Promise<Client> {
  await writeFile(tw.usersFile, `email_address,display_name\n${ALICE.email},${ALICE.name}\n${user.email},${user.name}\n`);
  return new Client(tw.url, user.email);
}
