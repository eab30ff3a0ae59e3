/** Page furniture: static files, unknown pages, the demo banner, and the session store. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PrunedMemoryStore } from '../../src/web/sessionStore.js';
import { ALICE, Client, startTestWeb, type TestWeb } from './helpers.js';

let t: TestWeb | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  await t?.close();
  t = undefined;
});

describe('pages', () => {
  it('serves the stylesheet and script without sign-in, and 404s for a missing one', async () => {
    t = await startTestWeb();
    const css = await fetch(`${t.url}/static/style.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/text\/css/);
    expect((await fetch(`${t.url}/static/status.js`)).status).toBe(200);
    const missing = await fetch(`${t.url}/static/nope.js`);
    expect(missing.status).toBe(404);
    const trick = await fetch(`${t.url}/static/..%2F..%2Fpackage.json`);
    expect([400, 403, 404]).toContain(trick.status);
    expect(await trick.text()).not.toContain('"dependencies"');
  });

  it('answers 404 with a page for an unknown address', async () => {
    t = await startTestWeb();
    const res = await new Client(t.url, ALICE.email).get('/nowhere');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('There is no such page in Distillery.');
  });

  it('labels the embedded demo on every page', async () => {
    vi.stubEnv('NODE_ENV', 'development');
    t = await startTestWeb({ demo: true, web: { identity: 'debug' } });
    for (const path of ['/', '/runs']) {
      const html = await (await new Client(t.url).get(path)).text();
      expect(html, path).toContain('Demo: sample collections and local stand-ins');
    }
  });

  it('uses no inline script or style, so the Content-Security-Policy can forbid them', async () => {
    t = await startTestWeb();
    await t.status.requestRun({ collectionId: 'ABC', processes: ['report'], user: ALICE });
    const c = new Client(t.url, ALICE.email);
    for (const path of ['/', '/runs', '/distill/ABC']) {
      const html = await (await c.get(path)).text();
      expect(html, path).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html, path).not.toMatch(/\sstyle=|<style/);
      expect(html, path).not.toMatch(/\son[a-z]+=/);
    }
  });
});

describe('PrunedMemoryStore', () => {
  it('forgets expired sessions and keeps at most the cap', async () => {
    const store = new PrunedMemoryStore(60_000, { perUser: 3 });
    const cookie = (ms: number) => ({ cookie: { originalMaxAge: ms, expires: new Date(Date.now() + ms) } }) as never;
    store.set('old', cookie(-1));
    store.set('a', cookie(60_000));
    const got = await new Promise((r) => store.get('old', (_e, s) => r(s)));
    expect(got).toBeNull();
    store.set('b', cookie(60_000));
    store.set('c', cookie(60_000));
    store.set('d', cookie(60_000));
    expect(store.size).toBe(3);
    expect(await new Promise((r) => store.get('a', (_e, s) => r(s)))).toBeNull();
    store.prune(Date.now() + 120_000);
    expect(store.size).toBe(0);
    store.close();
  });
});
