/**
 * The collection overview shows the last audit and the preservation network's state: a real OCFL
 * object (commitVersion, ACE tokens from the local IMS), the run record that packaged it, the
 * network record as the network destination writes it, the real audit, and the real web app —
 * read as JSON, as HTML, and in Chromium (screenshot kept in .artifacts/).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { afterEach, expect, test } from 'vitest';
import { runAudit } from '../../src/audit/run.js';
import type { CollectionOverview } from '../../src/collection/overview.js';
import { renderOverviewText } from '../../src/collection/overview.js';
import { updateNetworkRecord } from '../../src/destinations/network/records.js';
import type { RunRecord } from '../../src/runs/types.js';
import { ALICE, Client, startTestWeb, type TestWeb } from '../web/helpers.js';
import { bed, type Bed } from './fixture.js';

let b: Bed | undefined;
let web: TestWeb | undefined;
afterEach(async () => {
  await web?.close();
  await b?.cleanup();
  web = b = undefined;
});

/** A finished run of `collection` that packaged `objectId` for folder F1, archived as the worker does. */
async function packaged(web: TestWeb, collection: string, objectId: string): Promise<void> {
  const request = await web.status.requestRun({ collectionId: collection, processes: ['cloud'], user: ALICE });
  const at = new Date().toISOString();
  const record: RunRecord = {
    request, state: 'succeeded', attempts: 1, startedAt: at, finishedAt: at,
    steps: [{ name: 'package', title: 'Package preservation files as OCFL objects', state: 'done' }],
    folders: [{ name: 'F1', images: 2, steps: { package: { state: 'done', at, where: { ocfl: { objectId, version: 'v1' } } } } }],
  };
  await web.status.archive(record);
}

test('after one flipped byte and an audit, the overview (JSON, HTML, Chromium) shows exactly that file corrupt with what to do, and the network state of each version', async () => {
  b = await bed();
  web = await startTestWeb({ overview: { storageRoot: b.root } });
  const o = await b.object('C1', 'F1', { 'a/one.jp2': 5000, 'a/two.jp2': 7000 });
  await packaged(web, 'C1', o.objectId);
  await updateNetworkRecord(web.statusDir, 'C1', o.objectId, 'v1', { bagName: 'C1_F1_v1', bagId: 7, status: 'PRESERVED', replications: [{ node: 'node-a', status: 'SUCCESS' }, { node: 'node-b', status: 'SUCCESS' }] });
  const client = new Client(web.url, ALICE.email);
  const json = async () => (await (await client.get('/collections/C1?format=json')).json()) as CollectionOverview;

  // Before any audit: the overview says so, and claims nothing.
  let ov = await json();
  expect(ov.audit).toBeUndefined();
  expect(ov.folders[0].files.every((f) => f.audit === undefined)).toBe(true);
  expect(await (await client.get('/collections/C1')).text()).toContain('Never audited.');

  // An audit of the untouched object: every file intact in the local copy.
  expect((await runAudit({ ...b.deps(), statusDir: web.statusDir }, 'C1')).ok).toBe(true);
  ov = await json();
  expect(ov.audit).toMatchObject({ ok: true, problems: 0 });
  expect(ov.folders[0].audit).toMatchObject({ ok: true, problems: [] });
  expect(ov.folders[0].files.map((f) => [f.path, f.audit?.copies])).toEqual([
    ['C1.json', { local: 'intact' }],
    ['a/one.jp2', { local: 'intact' }],
    ['a/two.jp2', { local: 'intact' }],
  ]);

  // One byte of one.jp2 flipped; the next audit finds it.
  const one = join(o.objectRoot, 'v1/content/a/one.jp2');
  const bytes = await readFile(one);
  bytes[100] ^= 0xff;
  await writeFile(one, bytes);
  expect((await runAudit({ ...b.deps(), statusDir: web.statusDir }, 'C1')).ok).toBe(false);

  ov = await json();
  expect(ov.audit).toMatchObject({ ok: false, problems: 1 });
  const [folder] = ov.folders;
  expect(folder.audit?.ok).toBe(false);
  const flagged = folder.files.filter((f) => f.audit?.problems.length);
  expect(flagged.map((f) => f.path)).toEqual(['a/one.jp2']);
  expect(flagged[0].audit!.copies).toEqual({ local: 'corrupt' });
  expect(flagged[0].audit!.problems[0]).toMatchObject({ copy: 'local', state: 'corrupt', path: 'v1/content/a/one.jp2' });
  expect(flagged[0].audit!.problems[0].message).toContain('Restore this file from the S3 or tape copy, then audit again.');
  expect(folder.files.filter((f) => f.path !== 'a/one.jp2').map((f) => f.audit?.copies.local)).toEqual(['intact', 'intact']);
  // The network's state of the version, from the collection's network record.
  expect(folder.network).toEqual([expect.objectContaining({ version: 'v1', bagName: 'C1_F1_v1', status: 'PRESERVED', replications: [{ node: 'node-a', status: 'SUCCESS' }, { node: 'node-b', status: 'SUCCESS' }] })]);

  // The command line's text says the same.
  const text = renderOverviewText(ov);
  expect(text).toContain('network          v1 PRESERVED');
  expect(text).toContain('❌ a/one.jp2: local CORRUPT: v1/content/a/one.jp2 of');
  expect(text.match(/CORRUPT/g), text).toHaveLength(1);

  // The page, in a browser.
  if (!existsSync('/usr/bin/chromium')) throw new Error('/usr/bin/chromium is missing: install Debian\'s chromium (scripts/install-system.sh).');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1100, height: 900 }, extraHTTPHeaders: { 'x-remote-user': ALICE.email } })).newPage();
    expect((await page.goto(`${web.url}/collections/C1`))!.status()).toBe(200);
    const section = page.locator('section[data-folder="F1"]');
    expect(await page.locator('#audit-summary').textContent()).toMatch(/Last audit .*: 1 problem — listed under the folders below/);
    expect(await section.locator('dd.audit').textContent()).toMatch(/1 problem$/);
    expect(await section.locator('td.audit[data-state="corrupt"]').count()).toBe(1);
    expect(await section.locator('tr[data-file="a/one.jp2"] td.audit').textContent()).toBe('local corrupt');
    expect(await section.locator('tr[data-file="a/two.jp2"] td.audit').textContent()).toBe('local intact');
    const problems = await section.locator('tr.audit-problem').allTextContents();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^local corrupt: v1\/content\/a\/one\.jp2 of .* does not match .* Restore this file from the S3 or tape copy, then audit again\.$/);
    expect(await section.locator('ul.network li[data-version="v1"] .bag-state').textContent()).toBe('PRESERVED');
    expect(await section.locator('ul.network li[data-version="v1"]').textContent()).toContain('node-a SUCCESS, node-b SUCCESS');
    await mkdir('.artifacts', { recursive: true });
    await page.screenshot({ path: '.artifacts/collection-overview-audit.png', fullPage: true });
  } finally {
    await browser.close();
  }
}, 120_000);
