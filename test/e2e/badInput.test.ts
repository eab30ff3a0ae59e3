/**
 * The bad-input corpus, end to end: every case goes through the whole app (the real web server
 * for what an archivist types or a stranger sends) or the whole pipeline (the alchemist's runOnce
 * with the worker built from settings.ini by buildWorkerEnv, all four processes), and each asserts
 * the exact message a person sees and that nothing submitted was lost or half-written.
 *
 * Real parts: vips/OpenJPEG, exiftool, tesseract, a real S3-compatible server (fauxqs), real GNU
 * tar and mt, a real OpenSSH server, the real web app and Debian's Chromium (playwright-core).
 * Stand-ins (src/demo/services.ts): the ArchivesSpace stand-in server, the rmt tape stand-in (the
 * drive), the drush stand-in (Islandora).
 *
 *  #  case                                         expected message (test name)
 *  1  collection ID with ".."                      The collection ID ".." is not allowed: it would name a folder above the collection folder.
 *  2  collection ID with "/"                       The collection ID "HBF/../etc" may contain only letters, digits and - . _ ~ (no spaces, slashes or other characters).
 *  3  collection ID with spaces                    The collection ID "HBF 2" may contain only …
 *  4  collection ID with unicode                   The collection ID "Ünï" shown as "\u{dc}n\u{ef}" may contain only …
 *  5  collection ID of 300 characters              The collection ID is 300 characters long; at most 100 are allowed.
 *  6  collection folder missing                    The collection folder "<C>" was not found in <STAGE_1>. Check that the folder name matches …
 *  7  folder not of the collection                 Folder "OTHER_001_01" does not belong to collection <C>: its name must begin with "<C>_" …
 *  8  folder without archival object               <F>: No records found with component_id: <F>. Give the folder's archival object this Component Unique Identifier …
 *  9  two archival objects, same component id     <F>: Multiple records found with component_id: <F> (<uri>, <uri>). Component identifiers must be unique; …
 * 10  zero-byte TIFF                               <path>: zero bytes
 * 11  truncated TIFF                               <path>: truncated or corrupt TIFF: its image directory cannot be read (…)
 * 12  JPEG renamed .tif                            <path>: not a TIFF (JPEG data)
 * 13  multi-page TIFF                              <path>: multi-page TIFF (2 pages) — split it first
 * 14  a non-image file                             preserved as it is, with its own component (notes.txt)
 * 15  file name with spaces and unicode            Image "<name>" is not named <F>_<sequence>.tif; its sequence is taken as "…".
 * 16  an empty folder                              Folder "<F>" is empty and is skipped.
 * 17  a folder already processed (rerun)           📂 <C> was already processed (it is in <STAGE_3>); checking it again — only what is missing or changed is done.
 * 18  the same collection submitted twice at once  A run of <C> is already queued or in progress; wait for it to finish. (409)
 * 19  an unknown user                              <email> is not in the list of Distillery users. (403)
 * 20  a forged identity header                     You are not signed in: no identity reached Distillery from the sign-in service. (403)
 * 21  a POST without CSRF token                    This form has expired or did not come from this Distillery page. Go back, reload the page and submit again. (403)
 * 22  a log line containing HTML                   shown as text on the status page and the archived log page; no element made from it
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runOnce } from '../../src/alchemist/worker.js';
import { writeSampleScan } from '../../src/demo/sampleScans.js';
import { fingerprint } from '../../src/e2e/endState.js';
import type { RunningWeb } from '../../src/web/server.js';
import { ALL, endState, runCollection, startStack, stepStates, USER, writeFolder, type CollectionSpec, type Stack } from './support/stack.js';
import { Client } from '../web/helpers.js';
import { pageText, startStackWeb } from './support/web.js';

const CHROMIUM = '/usr/bin/chromium';

/** Every collection a case uses, seeded in ArchivesSpace from the start. */
const COLLECTIONS: CollectionSpec[] = [
  { id: 'MISS', folders: ['MISS_001_01'] },
  { id: 'FOREIGN', folders: ['FOREIGN_001_01'] },
  { id: 'NOAO', folders: ['NOAO_001_01'] },
  { id: 'DUPID', folders: ['DUPID_001_01', { name: 'DUPID_001_09', componentId: 'DUPID_001_01' }] },
  { id: 'ZERO', folders: ['ZERO_001_01'] },
  { id: 'TRUNC', folders: ['TRUNC_001_01'] },
  { id: 'JPEGTIF', folders: ['JPEGTIF_001_01'] },
  { id: 'MULTI', folders: ['MULTI_001_01'] },
  { id: 'NOTIMG', folders: ['NOTIMG_001_01'] },
  { id: 'NAMES', folders: ['NAMES_001_01'] },
  { id: 'EMPTY', folders: ['EMPTY_001_01', 'EMPTY_001_02'] },
  { id: 'AGAIN', folders: ['AGAIN_001_01'] },
  { id: 'TWICE', folders: ['TWICE_001_01'] },
  { id: 'HTMLLOG', folders: ['HTMLLOG_001_01'] },
];

let s: Stack;
let web: RunningWeb;

beforeAll(async () => {
  s = await startStack({ collections: COLLECTIONS });
  web = await startStackWeb(s);
}, 180_000);

afterAll(async () => {
  await web?.close();
  await s?.stop();
});

/** Files waiting for the alchemist (a queued run shows as an init file). */
async function queued(): Promise<string[]> {
  return (await readdir(s.statusDir)).filter((n) => n.includes('-init-'));
}

describe('what is typed into the form (the real web app)', () => {
  const long = 'A'.repeat(300);
  test.each([
    ['collection ID with ".."', '..', 'The collection ID ".." is not allowed: it would name a folder above the collection folder.'],
    ['collection ID with "/"', 'HBF/../etc', 'The collection ID "HBF/../etc" may contain only letters, digits and - . _ ~ (no spaces, slashes or other characters).'],
    ['collection ID with spaces', 'HBF 2', 'The collection ID "HBF 2" may contain only letters, digits and - . _ ~ (no spaces, slashes or other characters).'],
    ['collection ID with unicode', 'Ünï', 'The collection ID "\\u{dc}n\\u{ef}" may contain only letters, digits and - . _ ~ (no spaces, slashes or other characters).'],
    ['collection ID of 300 characters', long, 'The collection ID is 300 characters long; at most 100 are allowed.'],
  ])('%s: 400 with the reason on the form, nothing queued', async (_name, id, message) => {
    const res = await new Client(web.url, USER.email).submit(id, ['report']);
    expect(res.status).toBe(400);
    const text = pageText(await res.text());
    expect(text).toContain('Cannot start this run');
    expect(text).toContain(message);
    expect(await queued()).toEqual([]);
  });

  test('an unknown user: 403 naming the address, the form refused, nothing queued', async () => {
    const stranger = new Client(web.url, 'mallory@example.com');
    const page = await stranger.get('/');
    expect(page.status).toBe(403);
    const text = pageText(await page.text());
    expect(text).toContain('Access denied');
    expect(text).toContain('mallory@example.com is not in the list of Distillery users.');
    expect(text).toContain('Please contact Archives & Special Collections or Digital Library Development if you should have access.');
    const post = await stranger.post('/distilling', [['collection_id', 'AGAIN'], ['processes', 'report']]);
    expect(post.status).toBe(403);
    expect(await queued()).toEqual([]);
  });

  test('a forged identity header (not from the trusted proxy): 403 "not signed in", even for a listed user', async () => {
    // The proxy is elsewhere; this request comes straight from 127.0.0.1 with the header set.
    const direct = await startStackWeb(s, { trustedProxies: ['10.11.12.13'] });
    try {
      const forger = new Client(direct.url, USER.email);
      const res = await forger.get('/');
      expect(res.status).toBe(403);
      const text = pageText(await res.text());
      expect(text).toContain('You are not signed in: no identity reached Distillery from the sign-in service.');
      expect(text).not.toContain(USER.name);
      expect((await forger.post('/distilling', [['collection_id', 'AGAIN'], ['processes', 'report']])).status).toBe(403);
      expect(await queued()).toEqual([]);
    } finally {
      await direct.close();
    }
  });

  test('a POST without CSRF token (or with a wrong one): 403 "form expired", nothing queued', async () => {
    const client = new Client(web.url, USER.email);
    await client.get('/'); // a session exists, as after loading the form
    const none = await client.post('/distilling', [['collection_id', 'AGAIN'], ['processes', 'report']]);
    expect(none.status).toBe(403);
    expect(pageText(await none.text())).toContain('This form has expired or did not come from this Distillery page. Go back, reload the page and submit again.');
    const wrong = await client.submit('AGAIN', ['report'], 'not-the-token');
    expect(wrong.status).toBe(403);
    expect(await queued()).toEqual([]);
  });

  test('the same collection submitted twice at once: one run queued, the other told 409 why; the run then completes once', async () => {
    await writeFolder(s, 'TWICE', 'TWICE_001_01', 1, { seed: 13 });
    const originals = await fingerprint(join(s.stage1, 'TWICE'));
    const a = new Client(web.url, USER.email);
    const b = new Client(web.url, USER.email);
    const [ta, tb] = await Promise.all([a.csrfToken(), b.csrfToken()]);
    const answers = await Promise.all([a.submit('TWICE', ALL, ta), b.submit('TWICE', ALL, tb)]);
    expect(answers.map((r) => r.status).sort()).toEqual([303, 409]);
    const refused = answers.find((r) => r.status === 409)!;
    const text = pageText(await refused.text());
    expect(text).toContain('Run already requested');
    expect(text).toContain('A run of TWICE is already queued or in progress; wait for it to finish.');
    expect(await queued()).toHaveLength(1);

    await runOnce(s.env);
    const runs = await s.env.status.archived('TWICE');
    expect(runs).toHaveLength(1);
    expect(runs[0].record!.state).toBe('succeeded');
    const end = await endState(s, 'TWICE', [{ name: 'TWICE_001_01', images: 1 }], originals);
    expect(end.problems).toEqual([]);
  }, 120_000);
});

/** Writes the folder, applies `spoil` to the first image; returns the paths. */
async function spoiled(id: string, images: number, spoil: (first: string) => Promise<void>): Promise<void> {
  const [first] = await writeFolder(s, id, `${id}_001_01`, images, { seed: id.length });
  await spoil(first);
}

/**
 * A failed run must leave every submitted file in the processing folder, byte for byte, and the
 * good images of the collection preserved completely (one digital object, components, OCFL, S3,
 * tape, Islandora) — nothing half-written.
 */
async function expectFailedSafely(id: string, goodFolders: { name: string; images: number; unpublished?: boolean }[], message: string | RegExp): Promise<string> {
  const before = await fingerprint(join(s.stage1, id));
  const { record, lines } = await runCollection(s, id, ALL);
  expect(record.state).toBe('failed');
  if (typeof message === 'string') expect(record.reason).toContain(message);
  else expect(record.reason).toMatch(message);
  expect(record.reason).not.toMatch(/\.\.( |$)/);
  // The page's last line says the same, and where the files are.
  expect(lines.at(-1)).toContain(`❌ ${record.reason} The files stay in ${s.stage2}; fix the cause and submit the collection again.`);
  expect(await fingerprint(join(s.stage2, id))).toEqual(before);
  expect(existsSync(join(s.stage3, id))).toBe(false);
  if (goodFolders.length) {
    const end = await endState(s, id, goodFolders, new Map());
    expect(end.problems).toEqual([]);
  }
  return record.reason!;
}

describe('what is in the collection folder (the whole pipeline, all four processes)', () => {
  test('collection folder missing: the run fails at once naming the folder it looked in; nothing created', async () => {
    const records = s.services.aspace.state.records.size;
    const { record, lines } = await runCollection(s, 'MISS', ALL);
    const message = `The collection folder "MISS" was not found in ${s.stage1}. Check that the folder name matches the collection ID exactly (case matters) and that the scans have been copied there, then submit again.`;
    expect(record.state).toBe('failed');
    expect(record.reason).toBe(message);
    expect(stepStates(record)[0]).toBe('stage:failed');
    expect(lines.at(-1)).toBe(`❌ ${message}`);
    expect(s.services.aspace.state.records.size).toBe(records);
  }, 60_000);

  test('a folder whose name does not belong to the collection: named, left alone; the rest preserved', async () => {
    await writeFolder(s, 'FOREIGN', 'FOREIGN_001_01', 1, { seed: 2 });
    await writeFolder(s, 'FOREIGN', 'OTHER_001_01', 1, { seed: 3 });
    await expectFailedSafely('FOREIGN', [{ name: 'FOREIGN_001_01', images: 1 }],
      'Folder "OTHER_001_01" does not belong to collection FOREIGN: its name must begin with "FOREIGN_" (case matters). Rename it FOREIGN_<box>_<folder>, for example FOREIGN_001_01, or move it out of the collection folder.');
    expect(s.services.aspace.state.list('digital_object').filter((d) => String(d.data.digital_object_id).startsWith('OTHER'))).toEqual([]);
  }, 120_000);

  test('a folder with no archival object: named with what to do in ArchivesSpace; the rest preserved', async () => {
    await writeFolder(s, 'NOAO', 'NOAO_001_01', 1, { seed: 4 });
    await writeFolder(s, 'NOAO', 'NOAO_001_02', 1, { seed: 5 });
    await expectFailedSafely('NOAO', [{ name: 'NOAO_001_01', images: 1 }],
      "NOAO_001_02: No records found with component_id: NOAO_001_02. Give the folder's archival object this Component Unique Identifier in ArchivesSpace, or rename the folder.");
    expect(s.services.aspace.state.list('digital_object').filter((d) => d.data.digital_object_id === 'NOAO_001_02')).toEqual([]);
  }, 120_000);

  test('two archival objects with the same component id: both named; no digital object made for either', async () => {
    await writeFolder(s, 'DUPID', 'DUPID_001_01', 1, { seed: 6 });
    await expectFailedSafely('DUPID', [],
      /DUPID_001_01: Multiple records found with component_id: DUPID_001_01 \(\/repositories\/2\/archival_objects\/\d+, \/repositories\/2\/archival_objects\/\d+\)\. Component identifiers must be unique; correct the duplicates in ArchivesSpace\./);
    expect(s.services.aspace.state.list('digital_object').filter((d) => d.data.digital_object_id === 'DUPID_001_01')).toEqual([]);
  }, 120_000);

  test.each([
    ['zero-byte', 'ZERO', (p: string) => writeFile(p, ''), ': zero bytes'],
    ['truncated', 'TRUNC', async (p: string) => truncate(p, Math.floor((await readFile(p)).length / 2)), ': truncated or corrupt TIFF: its image directory cannot be read'],
    ['JPEG renamed .tif', 'JPEGTIF', async (p: string) => writeFile(p, await sharp(await readFile(p)).jpeg().toBuffer()), ': not a TIFF (JPEG data)'],
    ['multi-page', 'MULTI', async (p: string) => {
      const page = await sharp(await readFile(p)).png().toBuffer();
      await writeFile(p, await sharp([page, page], { join: { animated: true } }).tiff().toBuffer());
    }, ': multi-page TIFF (2 pages) — split it first'],
  ])('a %s TIFF: the image named with why; the folder\'s other image preserved', async (_kind, id, spoil, message) => {
    await spoiled(id, 2, spoil);
    const bad = join(s.stage2, id, `${id}_001_01`, `${id}_001_01_0001.tif`);
    // The good image is preserved (OCFL, S3, tape); the folder is not published while a scan of it
    // is missing: access copies are all or nothing.
    const reason = await expectFailedSafely(id, [{ name: `${id}_001_01`, images: 1, unpublished: true }], `${bad}${message}`);
    expect(reason).toMatch(/problems? kept this run from finishing: /);
    expect(reason).toMatch(/access: .*not published/);
  }, 120_000);

  test('after the zero-byte TIFF is replaced by a good scan, a rerun completes the work without duplicates', async () => {
    const bad = join(s.stage2, 'ZERO', 'ZERO_001_01', 'ZERO_001_01_0001.tif');
    await unlink(bad);
    await writeSampleScan(bad, { seed: 99, width: 240, height: 180, label: 'rescanned' });
    const originals = await fingerprint(join(s.stage2, 'ZERO'));
    const { record } = await runCollection(s, 'ZERO', ALL);
    expect(record.reason).toBeUndefined();
    expect(record.state).toBe('succeeded');
    const end = await endState(s, 'ZERO', [{ name: 'ZERO_001_01', images: 2 }], originals);
    expect(end.problems).toEqual([]);
    expect(end.figures).toMatchObject({ filesLost: 0, duplicateDigitalObjects: 0, duplicateComponents: 0, duplicateOcflObjects: 0 });
  }, 120_000);

  test('a non-image file: preserved as it is with its own component, the run succeeds, the file stays with the originals', async () => {
    await writeFolder(s, 'NOTIMG', 'NOTIMG_001_01', 1, { seed: 7 });
    await writeFile(join(s.stage1, 'NOTIMG', 'NOTIMG_001_01', 'notes.txt'), 'scanner notes\n');
    const originals = await fingerprint(join(s.stage1, 'NOTIMG'));
    const { record, text } = await runCollection(s, 'NOTIMG', ALL);
    expect(record.state).toBe('succeeded');
    expect(text).toContain('📄 preserved as it is (with a component each): notes.txt');
    expect(text).toMatch(/📄 NOTIMG_001_01: notes\.txt is preserved as it is \(TXT/);
    const end = await endState(s, 'NOTIMG', [{ name: 'NOTIMG_001_01', images: 1, files: 1 }], originals);
    expect(end.problems).toEqual([]);
    expect(originals.has('NOTIMG_001_01/notes.txt')).toBe(true);
  }, 120_000);

  test('a file name with spaces and unicode: named exactly (not mangled), the originals kept byte for byte', async () => {
    const [first] = await writeFolder(s, 'NAMES', 'NAMES_001_01', 2, { seed: 8 });
    const odd = 'NAMES_001_01 é 0001 ünï.tif';
    await rename(first, join(s.stage1, 'NAMES', 'NAMES_001_01', odd));
    await expectFailedSafely('NAMES', [],
      `${join(s.stage2, 'NAMES', 'NAMES_001_01', odd)}: Image "${odd}" is not named NAMES_001_01_<sequence>.tif; its sequence is taken as "01 é 0001 ünï".`);
    expect(existsSync(join(s.stage2, 'NAMES', 'NAMES_001_01', odd))).toBe(true);
  }, 120_000);

  test('an empty folder: said to be skipped; the collection\'s other folder preserved', async () => {
    await mkdir(join(s.stage1, 'EMPTY', 'EMPTY_001_01'), { recursive: true });
    await writeFolder(s, 'EMPTY', 'EMPTY_001_02', 1, { seed: 9 });
    await expectFailedSafely('EMPTY', [{ name: 'EMPTY_001_02', images: 1 }], `${join(s.stage2, 'EMPTY', 'EMPTY_001_01')}: Folder "EMPTY_001_01" is empty and is skipped.`);
    expect(existsSync(join(s.stage2, 'EMPTY', 'EMPTY_001_01'))).toBe(true);
  }, 120_000);

  test('a folder already processed (rerun): said so, nothing new anywhere', async () => {
    await writeFolder(s, 'AGAIN', 'AGAIN_001_01', 2, { seed: 10 });
    const originals = await fingerprint(join(s.stage1, 'AGAIN'));
    expect((await runCollection(s, 'AGAIN', ALL)).record.state).toBe('succeeded');
    const records = s.services.aspace.state.records.size;
    const s3Requests = (await endState(s, 'AGAIN', [{ name: 'AGAIN_001_01', images: 2 }], originals)).figures;

    const { record, text } = await runCollection(s, 'AGAIN', ALL);
    expect(record.state).toBe('succeeded');
    expect(text).toContain(`📂 AGAIN was already processed (it is in ${s.stage3}); checking it again — only what is missing or changed is done.`);
    expect(stepStates(record).at(-1)).toBe('finish:skipped');
    expect(s.services.aspace.state.records.size).toBe(records);
    const end = await endState(s, 'AGAIN', [{ name: 'AGAIN_001_01', images: 2 }], originals);
    expect(end.problems).toEqual([]);
    expect(end.figures).toEqual(s3Requests);
  }, 180_000);

  test('a log line containing HTML is shown as text on the status page and the archived log, never as markup', async () => {
    const [first] = await writeFolder(s, 'HTMLLOG', 'HTMLLOG_001_01', 1, { seed: 11 });
    const evil = 'HTMLLOG_001_01_<img src=x onerror=window.__pwned=1>.tif';
    await rename(first, join(s.stage1, 'HTMLLOG', 'HTMLLOG_001_01', evil));
    const { record, text } = await runCollection(s, 'HTMLLOG', ['report']);
    expect(text).toContain('<img src=x onerror=window.__pwned=1>');

    // The archived log page, rendered by the server.
    const client = new Client(web.url, USER.email);
    const logHtml = await (await client.get(`/runs/${encodeURIComponent(record.log!)}`)).text();
    expect(logHtml).not.toContain('<img src=x');
    expect(logHtml).toContain('&lt;img src=x onerror=window.__pwned=1&gt;');

    // The live status page, rendered by its script in a real browser.
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] });
    try {
      const context = await browser.newContext({ extraHTTPHeaders: { 'x-remote-user': USER.email } });
      const page = await context.newPage();
      await page.goto(`${web.url}/distill/HTMLLOG`);
      await expect.poll(() => page.locator('#lines').textContent(), { timeout: 20_000 }).toContain('<img src=x onerror=window.__pwned=1>');
      expect(await page.locator('#lines img').count()).toBe(0);
      expect(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    } finally {
      await browser.close();
    }
  }, 120_000);
});
