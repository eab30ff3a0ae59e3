/**
 * The status page tells the truth at a glance, in a real browser (Debian's Chromium via
 * playwright-core) against the real server, with the test playing the worker through the real
 * StatusFolder: the per-folder table, problems listed once, progress in its unit with an estimate,
 * local time with its zone, a report run with problems in amber, and after a run what was done.
 * Screenshots go to .artifacts/ (git-ignored).
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FolderResult, RunRecord } from '../../src/runs/types.js';
import { ALICE, startTestWeb, type TestWeb } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = '.artifacts';
const POLL = { timeout: 15_000 };

let browser: Browser;
let t: TestWeb;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/install-system.sh).`);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  t = await startTestWeb({ modules: { cloud: 's3', onsite: 'tape' } });
  await mkdir(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

async function chicago(): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1100, height: 1100 }, timezoneId: 'America/Chicago', extraHTTPHeaders: { 'x-remote-user': ALICE.email } });
}

const at = (min: number) => new Date(Date.UTC(2026, 10, 30, 18, min)).toISOString();
const done = (extra: Partial<FolderResult['steps'][string]> = {}) => ({ state: 'done' as const, at: at(5), ...extra });

/** Starts a run as the worker would: claimed, first line written. */
async function startRun(collectionId: string, processes: string[]) {
  await t.status.requestRun({ collectionId, processes, user: ALICE });
  const [pending] = await t.status.pending();
  const claim = (await t.status.claim(pending))!;
  await t.status.appendLines(collectionId, ['🟢']);
  return { claim, record: (await t.status.readRecord(collectionId))! };
}

describe('the status page', () => {
  it('shows each folder per step, the failing folder at the step that failed, problems once, progress in bytes with an estimate, local time', async () => {
    const { claim, record } = await startRun('TRUTH', ['cloud', 'onsite']);
    const missing = 'No records found with component_id: TRUTH_001_02. Give the folder\'s archival object this Component Unique Identifier in ArchivesSpace, or rename the folder.';
    const started = new Date(Date.now() - 10 * 60_000).toISOString();
    const running: RunRecord = {
      ...record,
      state: 'running',
      attempts: 1,
      startedAt: started,
      steps: [
        { name: 'stage', title: 'Move the collection folder to processing', state: 'done' },
        { name: 'metadata', title: 'Find the collection and its folders in ArchivesSpace', state: 'running' },
        { name: 'convert', title: 'Convert scans to lossless JPEG 2000 and verify every pixel', state: 'running' },
        { name: 'package', title: 'Package preservation files as OCFL objects', state: 'running' },
        { name: 'onsite', title: 'Preservation files onsite (LTO tape)', state: 'running' },
        { name: 'cloud', title: 'Preservation files to the cloud (S3 Glacier Deep Archive)', state: 'running', startedAt: started, progress: { done: 1_970_316, total: 3_940_632, unit: 'bytes', detail: 'TRUTH_001_03' } },
      ],
      folders: [
        { name: 'TRUTH_001_01', images: 4, steps: { metadata: done(), convert: done({ counts: { images: 4 } }), package: done(), onsite: { state: 'waiting', why: 'written to tape and read back at the end of the run', at: at(6) }, cloud: done() } },
        { name: 'TRUTH_001_02', images: 2, steps: { metadata: { state: 'failed', why: missing, at: at(6) }, convert: { state: 'skipped', why: 'not run for this folder: its metadata step failed', at: at(6) }, package: { state: 'skipped', why: 'not run for this folder: its metadata step failed', at: at(6) }, onsite: { state: 'skipped', why: 'not run for this folder: its metadata step failed', at: at(6) }, cloud: { state: 'skipped', why: 'not run for this folder: its metadata step failed', at: at(6) } } },
        { name: 'TRUTH_001_03', images: 3, steps: { metadata: done(), convert: done(), package: done() } },
      ],
    };
    await t.status.writeRecord(running);

    const context = await chicago();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${t.url}/distill/TRUTH`);
    await expect.poll(() => page.locator('#folders-body tr').count(), POLL).toBe(3);
    const cell = (folder: string, step: string) => page.locator(`#folders-body tr[data-folder="${folder}"] td[data-step="${step}"]`).textContent();
    expect(await cell('TRUTH_001_02', 'metadata')).toBe('failed');
    expect(await cell('TRUTH_001_02', 'convert')).toBe('not run');
    expect(await cell('TRUTH_001_01', 'onsite')).toBe('waiting');
    expect(await cell('TRUTH_001_01', 'cloud')).toBe('done');
    expect(await page.locator('#folders-total').textContent()).toBe('3 folders, 9 images · 0 done at every step');
    // Progress in bytes (not "files"), with how much is left.
    expect(await page.locator('#progress-count').textContent()).toMatch(/^1\.97 MB of 3\.94 MB · TRUTH_001_03 · about (9|10|11) min left$/);
    // Steps say how many folders they did, not numbers from the last folder alone.
    expect(await page.locator('li[data-step="cloud"] .quiet').textContent()).toBe('1 of 3 folders done');
    // Local time with the zone named; elapsed time.
    expect(await page.locator('#outcome-title').textContent()).toMatch(/^Running · since \d{4}-\d\d-\d\d \d\d:\d\d C[SD]T$/);
    expect(await page.locator('#outcome-meta').textContent()).toMatch(/ · running for (9|10|11) min$/);
    await page.screenshot({ path: `${ARTIFACTS}/status-folders-running.png`, fullPage: true });

    // The worker ends the run: the failing folder at metadata, every other folder done.
    const failed: RunRecord = {
      ...running,
      state: 'failed',
      finishedAt: new Date().toISOString(),
      reason: `1 problem kept this run from finishing: TRUTH_001_02: ${missing}`,
      steps: running.steps.map((s) => (s.name === 'metadata' ? { ...s, state: 'failed', why: `1 problem: TRUTH_001_02: ${missing}` } : { ...s, state: 'done', progress: undefined })),
      folders: running.folders!.map((f) => (f.name === 'TRUTH_001_02' ? f : { ...f, steps: { metadata: done(), convert: done(), package: done(), onsite: done(), cloud: done() } })),
    };
    await t.status.appendLines('TRUTH', [`❌ ${failed.reason}`]);
    await t.status.archive(failed);
    await t.status.release(claim);
    await page.locator('#archived-link').waitFor({ state: 'visible', ...POLL });
    expect(await page.locator('#outcome-title').textContent()).toMatch(/^Failed · /);
    // The problem is listed once: folder, step, cause and what to do; not again as the reason or as the step's why.
    expect(await page.locator('#problems-list li').allTextContents()).toEqual([`TRUTH_001_02 — Find the collection and its folders in ArchivesSpace: ${missing}`]);
    expect(await page.locator('#outcome-reason').isHidden()).toBe(true);
    expect(await page.locator('li[data-step="metadata"] .why').textContent()).toBe('See the problems above.');
    const body = (await page.locator('#outcome, #steps, #folders').allTextContents()).join('\n');
    expect(body.split('No records found').length - 1).toBe(1);
    expect(await cell('TRUTH_001_01', 'onsite')).toBe('done');
    expect(await cell('TRUTH_001_03', 'cloud')).toBe('done');
    expect(await page.locator('#folders-total').textContent()).toBe('3 folders, 9 images · 2 done at every step');
    await page.screenshot({ path: `${ARTIFACTS}/status-folders-failed.png`, fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  });

  it('a report run that found problems ends "Finished with N problems" in amber; a run with other processes shows its report as what it would have done', async () => {
    const { claim, record } = await startRun('AMBER', ['report']);
    const finished: RunRecord = {
      ...record,
      state: 'succeeded',
      attempts: 1,
      startedAt: at(0),
      finishedAt: at(2),
      steps: [{ name: 'report', title: 'Report on available files', state: 'done', counts: { problems: 5 } }],
      attachments: { reportText: 'AMBER_001_01   Would create digital object\n5 problems' },
    };
    await t.status.archive(finished);
    await t.status.release(claim);
    const context = await chicago();
    const page = await context.newPage();
    await page.goto(`${t.url}/distill/AMBER`);
    await page.locator('#archived-link').waitFor({ state: 'visible', ...POLL });
    expect(await page.locator('#outcome-title').textContent()).toBe('Finished with 5 problems · 2026-11-30 12:02 CST');
    expect(await page.locator('#outcome').getAttribute('class')).toBe('outcome outcome-warning');
    const colour = await page.locator('#outcome-title').evaluate((e) => (globalThis as unknown as { getComputedStyle(x: unknown): { color: string } }).getComputedStyle(e).color);
    expect(colour).toBe('rgb(154, 103, 0)'); // --warn, amber
    expect(await page.locator('#report-title').textContent()).toBe('Report');
    expect(await page.locator('#report').getAttribute('open')).not.toBeNull();
    await page.screenshot({ path: `${ARTIFACTS}/status-report-amber.png`, fullPage: true });

    // The archived log page says the same.
    const log = (await t.status.pastRuns('AMBER'))[0].log;
    await page.goto(`${t.url}/runs/${log}`);
    expect(await page.locator('.outcome h2').textContent()).toContain('Finished with 5 problems');
    expect(await page.locator('.outcome').getAttribute('class')).toBe('outcome outcome-warning');

    // A run of report and cloud: after it, the report is what would have been done, folded away.
    const second = await startRun('AFTER', ['report', 'cloud']);
    await t.status.archive({
      ...second.record,
      state: 'succeeded',
      attempts: 1,
      startedAt: at(0),
      finishedAt: at(9),
      steps: [
        { name: 'report', title: 'Report on available files', state: 'done', counts: { problems: 0 } },
        { name: 'cloud', title: 'Preservation files to the cloud (S3 Glacier Deep Archive)', state: 'done' },
      ],
      folders: [{ name: 'AFTER_001_01', images: 2, steps: { cloud: done({ where: { s3: { bucket: 'b', keys: ['k1', 'k2'] } } }) } }],
      attachments: { reportText: 'AFTER_001_01   Would create digital object' },
    });
    await t.status.release(second.claim);
    await page.goto(`${t.url}/distill/AFTER`);
    await page.locator('#archived-link').waitFor({ state: 'visible', ...POLL });
    expect(await page.locator('#outcome-title').textContent()).toBe('Succeeded · 2026-11-30 12:09 CST');
    expect(await page.locator('#report-title').textContent()).toBe('Report made before the run (what it would do)');
    expect(await page.locator('#report').getAttribute('open')).toBeNull();
    expect(await page.locator('#report-text').isVisible()).toBe(false);
    expect(await page.locator('#folders-body tr[data-folder="AFTER_001_01"] td[data-step="cloud"]').textContent()).toBe('done');
    await page.screenshot({ path: `${ARTIFACTS}/status-after-run.png`, fullPage: true });
    await context.close();
  });

  it('follows the folder table by deltas: rows change in place, live and after the connection drops and comes back', async () => {
    const { claim, record } = await startRun('LIVE', ['cloud']);
    const folder = (i: number, cloud?: ReturnType<typeof done>) => ({ name: `LIVE_${String(i).padStart(3, '0')}_01`, images: 10, steps: { metadata: done(), convert: done(), package: done(), ...(cloud ? { cloud } : {}) } });
    const running: RunRecord = {
      ...record,
      state: 'running',
      attempts: 1,
      startedAt: new Date().toISOString(),
      steps: [
        { name: 'metadata', title: 'Find the collection and its folders in ArchivesSpace', state: 'done' },
        { name: 'convert', title: 'Convert scans to lossless JPEG 2000 and verify every pixel', state: 'done' },
        { name: 'package', title: 'Package preservation files as OCFL objects', state: 'done' },
        { name: 'cloud', title: 'Preservation files to the cloud (S3 Glacier Deep Archive)', state: 'running', progress: { done: 0, total: 2000 } },
      ],
      folders: Array.from({ length: 200 }, (_, i) => folder(i + 1)),
    };
    await t.status.writeRecord(running);
    const context = await chicago();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${t.url}/distill/LIVE`);
    await expect.poll(() => page.locator('#folders-body tr').count(), POLL).toBe(200);
    const cell = (name: string) => page.locator(`#folders-body tr[data-folder="${name}"] td[data-step="cloud"]`).textContent();
    // Marks a row the next changes do not touch: it must stay the same element (not redrawn).
    const row = `document.querySelector('#folders-body tr[data-folder="LIVE_001_01"]')`;
    await page.evaluate(`${row}.kept = true`);
    const kept = () => page.evaluate(`${row}.kept === true`);
    const run = () => page.evaluate(`({ ...document.getElementById('run').dataset })`) as Promise<Record<string, string>>;

    // Live: one folder sent, one folder added.
    const live: RunRecord = { ...running, folders: [...running.folders!.map((f, i) => (i === 4 ? folder(5, done()) : f)), folder(201)] };
    await t.status.writeRecord(live);
    await expect.poll(() => cell('LIVE_005_01'), POLL).toBe('done');
    await expect.poll(() => page.locator('#folders-body tr').count(), POLL).toBe(201);
    expect(await kept()).toBe(true);
    expect(Number((await run()).deltas)).toBeGreaterThanOrEqual(1);

    // The connection drops (the web server closes it); while the page is away a folder is sent.
    t.web.server.closeAllConnections();
    await expect.poll(() => page.locator('#connection').isVisible(), POLL).toBe(true);
    const away: RunRecord = { ...live, folders: live.folders!.map((f, i) => (i === 6 ? folder(7, done()) : f)) };
    await t.status.writeRecord(away);
    await t.status.appendLines('LIVE', ['sent while the page was away']);
    // The page reconnects by itself (Last-Event-ID) and is sent only what it missed.
    await expect.poll(() => cell('LIVE_007_01'), { timeout: 20_000 }).toBe('done');
    await expect.poll(() => page.locator('#connection').isHidden(), POLL).toBe(true);
    expect(await kept()).toBe(true);
    expect(await page.locator('#lines').textContent()).toContain('sent while the page was away');
    expect(await page.locator('#folders-total').textContent()).toBe('201 folders, 2010 images · 2 done at every step');
    await page.screenshot({ path: `${ARTIFACTS}/status-folders-deltas.png`, fullPage: false });
    // A reload (no Last-Event-ID) draws the same table from the whole record.
    await page.reload();
    await expect.poll(() => page.locator('#folders-body tr').count(), POLL).toBe(201);
    expect(await cell('LIVE_007_01')).toBe('done');
    await t.status.archive({ ...away, state: 'succeeded', finishedAt: new Date().toISOString() });
    await t.status.release(claim);
    expect(errors).toEqual([]);
    await context.close();
  });
});
