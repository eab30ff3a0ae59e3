/**
 * A real browser (Debian's Chromium, driven by playwright-core) against the real server: the
 * archivist fills in the form, and the status page follows the run live while the test plays the
 * worker through the real StatusFolder. Screenshots go to .artifacts/ (git-ignored).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunRecord } from '../../src/runs/types.js';
import { ALICE, startTestWeb, type TestWeb } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = '.artifacts';
/** Generous: other suites share the two cores. */
const POLL = { timeout: 15_000 };

let browser: Browser;
let t: TestWeb;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/install-system.sh).`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t = await startTestWeb({ modules: { cloud: 's3', onsite: 'tape' } });
  await mkdir(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

describe('in a browser', () => {
  it('submits the form and watches the run live to its final state', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 1000 }, extraHTTPHeaders: { 'x-remote-user': ALICE.email } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => (m.type() === 'error' ? errors.push(m.text()) : undefined));

    await page.goto(t.url + '/');
    await expect.poll(() => page.locator('h1').textContent(), POLL).toBe('Hello, Alice Archivist');
    expect(await page.locator('input[value="access"]').isDisabled()).toBe(true);
    await page.fill('input[name="collection_id"]', 'HaleGE');
    await page.check('input[value="report"]');
    await page.check('input[value="cloud"]');
    await page.screenshot({ path: `${ARTIFACTS}/web-form.png`, fullPage: true });
    await Promise.all([page.waitForURL(/\/distill\/HaleGE$/), page.click('button[type="submit"]')]);
    await page.locator('#waiting').waitFor({ state: 'visible' });

    // The worker claims the run and starts.
    const [pending] = await t.status.pending();
    const claim = (await t.status.claim(pending))!;
    const record = (await t.status.readRecord('HaleGE'))!;
    await t.status.appendLines('HaleGE', ['🟢']);
    await page.locator('#waiting').waitFor({ state: 'hidden' });
    const running: RunRecord = {
      ...record,
      state: 'running',
      attempts: 1,
      startedAt: new Date().toISOString(),
      steps: [
        { name: 'move', title: 'Move the collection folder to processing', state: 'done' },
        { name: 'report', title: 'Report on available files', state: 'running', progress: { done: 2, total: 5, detail: 'HaleGE_001_01' } },
        { name: 'cloud', title: 'Preservation files to the cloud', state: 'pending' },
      ],
    };
    await t.status.writeRecord(running);
    await t.status.appendLines('HaleGE', [
      '⏳ Converting HaleGE_001_01_0001.tif to JPEG 2000',
      '.',
      '.',
      '✅ Successfully converted HaleGE_001_01_0001.tif to JPEG 2000. [image 1/5]',
      'Record: https://aspace.example.edu/resolve/readonly?uri=/repositories/2/digital_objects/7 (staff view)',
      'Folder title <img src=x onerror="window.__xss=1"> javascript:alert(2)',
    ]);
    await expect.poll(() => page.locator('#progress-count').textContent(), POLL).toBe('2 of 5 files · HaleGE_001_01');
    await expect.poll(() => page.locator('#lines .line').count(), POLL).toBe(4);
    await page.screenshot({ path: `${ARTIFACTS}/web-status-running.png`, fullPage: true });

    // Lines are text: the <img> is shown, not made; only the http(s) URL became a link.
    expect(await page.locator('#lines img').count()).toBe(0);
    expect(await page.locator('#lines').textContent()).toContain('<img src=x onerror="window.__xss=1">');
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
    const links = page.locator('#lines a');
    expect(await links.count()).toBe(1);
    expect(await links.getAttribute('href')).toBe('https://aspace.example.edu/resolve/readonly?uri=/repositories/2/digital_objects/7');
    // The ⏳ line and its dots sit on one line; the ✅ line is a paragraph of its own.
    expect(await page.locator('#lines .inline').first().textContent()).toBe('⏳ Converting HaleGE_001_01_0001.tif to JPEG 2000..');

    // A reload mid-run shows the same lines once, and the progress again.
    await page.reload();
    await expect.poll(() => page.locator('#progress-count').textContent(), POLL).toBe('2 of 5 files · HaleGE_001_01');
    await expect.poll(() => page.locator('#lines .line').count(), POLL).toBe(4);
    expect(await page.locator('#waiting').isHidden()).toBe(true);

    // The worker finishes.
    await t.status.appendLines('HaleGE', ['🏁 Finished.']);
    const log = await t.status.archive({
      ...running,
      state: 'succeeded',
      finishedAt: new Date().toISOString(),
      steps: running.steps.map((s) => ({ ...s, state: 'done', progress: s.progress ? { done: 5, total: 5 } : undefined })),
      attachments: { reportText: 'folder           images  bytes\nHaleGE_001_01         5  1.2 GB' },
    });
    await t.status.release(claim);
    await page.locator('#archived-link').waitFor({ state: 'visible' });
    expect(await page.locator('#outcome-title').textContent()).toMatch(/^Succeeded · \d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    expect(await page.locator('#progress').isHidden()).toBe(true);
    expect(await page.locator('#report-text').textContent()).toContain('HaleGE_001_01         5  1.2 GB');
    expect(await page.locator('#archived-href').getAttribute('href')).toBe(`/runs/${log}`);
    expect(await page.locator('#lines').textContent()).toContain('🏁 Finished.');
    await page.screenshot({ path: `${ARTIFACTS}/web-status-finished.png`, fullPage: true });

    // A reload shows the same finished run from the archive.
    await page.reload();
    await page.locator('#archived-link').waitFor({ state: 'visible' });
    expect(await page.locator('#lines .line').count()).toBe(5);

    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows a refused run on the form, keeping what was chosen, and lists past runs', async () => {
    const context = await browser.newContext({ viewport: { width: 1100, height: 900 }, extraHTTPHeaders: { 'x-remote-user': ALICE.email } });
    const page = await context.newPage();
    await t.status.requestRun({ collectionId: 'BUSY', processes: ['report'], user: ALICE });
    await page.goto(t.url + '/');
    await page.fill('input[name="collection_id"]', 'BUSY');
    await page.check('input[value="onsite"]');
    const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/distilling')), page.click('button[type="submit"]')]);
    expect(response.status()).toBe(409);
    expect(await page.locator('.problem').textContent()).toContain('A run of BUSY is already queued; it starts within a minute.');
    expect(await page.locator('input[value="onsite"]').isChecked()).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}/web-form-refused.png`, fullPage: true });

    // The browser itself refuses an ID outside the pattern: nothing is sent.
    await page.fill('input[name="collection_id"]', '../etc');
    await page.click('button[type="submit"]');
    expect(await page.locator('input[name="collection_id"]').evaluate((el) => (el as unknown as { validity: { patternMismatch: boolean } }).validity.patternMismatch)).toBe(true);

    await page.goto(t.url + '/runs');
    // BUSY waits; HaleGE has ended and is no longer listed as active.
    expect(await page.locator('table.runs tbody tr').count()).toBe(2);
    expect(await page.locator('table.runs tbody tr').first().textContent()).toContain('BUSY');
    await page.screenshot({ path: `${ARTIFACTS}/web-runs.png`, fullPage: true });
    await context.close();
  });

  it('in the demo, Log out opens a page saying what it means (not "Not found")', async () => {
    vi.stubEnv('NODE_ENV', 'development');
    const demo = await startTestWeb({ web: { identity: 'debug' }, demo: true });
    try {
      const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
      const page = await context.newPage();
      await page.goto(demo.url + '/');
      await Promise.all([page.waitForURL(/\/logout$/), page.click('header.top a:text("Log out")')]);
      expect(await page.locator('h1').textContent()).toBe('Log out');
      expect(await page.locator('#logout-why').textContent()).toContain('Apache with Shibboleth');
      expect(await page.locator('#logout-here').textContent()).toContain('there is nothing to log out of');
      expect(await page.locator('body').textContent()).not.toContain('Not found');
      await page.screenshot({ path: `${ARTIFACTS}/web-logout-demo.png`, fullPage: true });
      await context.close();
    } finally {
      await demo.close();
      vi.unstubAllEnvs();
    }
  });
});
