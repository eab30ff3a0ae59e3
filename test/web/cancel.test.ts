/**
 * Cancel from the status page in a real browser (Debian's Chromium via playwright-core), against
 * the real server and a real worker in its own process on the same status folder: a queued run
 * is taken back at once; a running run stops at the worker's next safe boundary, keeps what it
 * had done, and page and record say "cancelled" with who, when, what was done and what was not.
 * Also: the form and status pages say plainly when no worker is looking for runs.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NODE22, REPO } from '../ocfl/helpers.js';
import { startWorkerProcess } from '../support/worker.js';
import { ALICE, Client, startTestWeb, type TestWeb } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const POLL = { timeout: 20_000 };

let browser: Browser;
let t: TestWeb;
let workDir: string;
const workers: ChildProcess[] = [];

/** A real worker pass in its own process (test/support/worker.ts): `folders` folders, `ms` each. */
function startWorker(folders: number, ms: number, passes = 1): { exited: Promise<string> } {
  const w = startWorkerProcess(REPO, NODE22, [t.statusDir, workDir, String(folders), String(ms), String(passes)]);
  workers.push(w.child);
  return w;
}

async function openPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 1000 }, extraHTTPHeaders: { 'x-remote-user': ALICE.email } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return page;
}

async function submit(page: Page, id: string): Promise<void> {
  await page.goto(t.url + '/');
  await page.fill('input[name="collection_id"]', id);
  await page.check('input[value="cloud"]');
  await Promise.all([page.waitForURL(new RegExp(`/distill/${id}$`)), page.click('button[type="submit"]')]);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/install-system.sh).`);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  t = await startTestWeb({ modules: { cloud: 's3' } });
  workDir = join(t.dir, 'work');
  for (const s of ['stage1', 'done']) await mkdir(join(workDir, s), { recursive: true });
});

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await browser?.close();
  await t?.close();
});

describe('cancel from the status page', () => {
  it('takes a queued run back at once: nothing is done, no worker starts it, page and record say who cancelled it and when', async () => {
    const page = await openPage();
    await submit(page, 'QUEUED');
    await page.locator('#cancel-button').click();
    await page.waitForURL(/\/distill\/QUEUED$/);
    await expect.poll(() => page.locator('#outcome-title').textContent(), POLL).toMatch(/^Cancelled/);
    const reason = await page.locator('#outcome-reason').textContent();
    expect(reason).toMatch(/^Cancelled by Alice Archivist at \S+ before any worker started it: nothing was done \(cloud not run\)\.$/);
    expect(await page.locator('#cancel-button').count()).toBe(0);
    const [archived] = await t.status.archived('QUEUED');
    expect(archived.record?.state).toBe('cancelled');
    expect(archived.record?.cancelled?.by).toEqual({ email: ALICE.email, name: ALICE.name });
    expect(Date.now() - Date.parse(archived.record!.cancelled!.at)).toBeLessThan(60_000);
    // A worker pass afterwards finds nothing to start.
    await mkdir(join(workDir, 'stage1', 'QUEUED'), { recursive: true });
    const out = await startWorker(2, 10).exited;
    expect(out).toContain('"started":[]');
    expect(await readdir(join(workDir, 'done'))).toEqual([]);
    // The collection can be asked for again.
    await submit(page, 'QUEUED');
    expect(await t.status.readRecord('QUEUED')).toMatchObject({ state: 'queued' });
    await page.locator('#cancel-button').click();
    await expect.poll(async () => (await t.status.archived('QUEUED')).length, POLL).toBe(2);
    await page.close();
  });

  it('stops a running run at the next safe boundary, keeps what was done, and says what was and was not done', async () => {
    await mkdir(join(workDir, 'stage1', 'RUNNING', 'RUNNING_001_01'), { recursive: true });
    const page = await openPage();
    await submit(page, 'RUNNING');
    const worker = startWorker(8, 600);
    await page.getByText('📦 folder 2 installed').waitFor({ timeout: 30_000 });
    await Promise.all([page.waitForURL(/\/distill\/RUNNING$/), page.locator('#cancel-button').click()]);
    await expect.poll(() => page.locator('#outcome-title').textContent(), POLL).toMatch(/^Cancelled/);
    const out = await worker.exited;
    const reason = (await page.locator('#outcome-reason').textContent()) ?? '';
    expect(reason).toMatch(/^Cancelled by Alice Archivist at \S+; the worker stopped before installing the OCFL version of folder \d\. Done and verified: Move the collection folder to processing\. Not done: Package preservation files as OCFL objects; Preservation files to the cloud; Move the collection folder to processed\. What was done is kept; submit the collection again to finish it\.$/);
    await expect.poll(() => page.locator('#lines').textContent(), POLL).toContain('⛔ Cancelled by Alice Archivist');
    const done = (await readdir(join(workDir, 'done'))).filter((n) => n.startsWith('RUNNING-')).sort();
    // Folders installed before the cancel are kept; nothing after it, and nothing sent to the cloud.
    expect(done.length).toBeGreaterThanOrEqual(2);
    expect(done.length).toBeLessThan(8);
    expect(done).not.toContain('RUNNING-cloud');
    expect(reason).toContain(`folder ${done.length + 1}.`);
    const [archived] = await t.status.archived('RUNNING');
    expect(archived.record?.state).toBe('cancelled');
    expect(archived.record?.cancelled?.by.email).toBe(ALICE.email);
    expect(archived.record?.steps.map((s) => [s.name, s.state])).toEqual([['stage', 'done'], ['package', 'skipped'], ['cloud', 'skipped'], ['finish', 'skipped']]);
    // The originals stay in the processing folder, as after any unfinished run.
    expect(await readdir(join(workDir, 'stage2'))).toEqual(['RUNNING']);
    expect(out).toContain('"started":["RUNNING"]');
    await page.close();
  });

  it('refuses a cancel without the page\'s CSRF token and cancels nothing', async () => {
    await t.status.requestRun({ collectionId: 'FORGED', processes: ['cloud'], user: { email: ALICE.email, name: ALICE.name } });
    const c = new Client(t.url, ALICE.email);
    const res = await c.post('/distill/FORGED/cancel', []);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('This form has expired or did not come from this Distillery page');
    expect((await t.status.readRecord('FORGED'))?.state).toBe('queued');
    expect(await t.status.cancelRequest('FORGED', (await t.status.readRecord('FORGED'))!.request.runId)).toBeUndefined();
  });
});

describe('worker down, said plainly', () => {
  it('the form and status pages warn while no worker has looked for runs, and stop once one has', async () => {
    const fresh = await startTestWeb({ modules: { cloud: 's3' } });
    try {
      const c = new Client(fresh.url, ALICE.email);
      expect(await (await c.get('/')).text()).toContain('No worker has looked for runs yet: requests wait until one does. Check on the worker host that `distillery alchemist` is running');
      // A worker that went quiet: its heartbeat said it would be back by a time now past.
      await fresh.status.passHeartbeat({ worker: { host: 'worker-1', pid: 7 }, at: '2026-01-01T10:00:00.000Z', nextBy: '2026-01-01T10:02:00.000Z' });
      await fresh.status.requestRun({ collectionId: 'WAIT', processes: ['cloud'], user: { email: ALICE.email, name: ALICE.name } });
      const status = await (await c.get('/distill/WAIT')).text();
      expect(status).toContain('No worker has looked for runs since 2026-01-01 10:00 UTC (worker-1 was expected again by 2026-01-01 10:02 UTC)');
      // A real worker pass leaves a fresh heartbeat: the warning goes.
      const saved = t;
      t = fresh;
      try {
        await startWorker(1, 10).exited;
      } finally {
        t = saved;
      }
      expect(await (await c.get('/')).text()).not.toContain('No worker has looked for runs');
    } finally {
      await fresh.close();
    }
  });
});
