/**
 * The demo as a new user meets it, with IIIF access (its default): the DEMO collection run with
 * access through the alchemist, then a real browser (Debian's Chromium, playwright-core) opens the
 * viewer the run links to and the first canvas's tiles load from the web app. Stand-ins: the
 * ArchivesSpace stand-in (which must hold the Manifest link); real: vips/OpenJPEG, exiftool,
 * sharp/libvips tiling, Mirador. Screenshot in .artifacts/.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runOnce } from '../../../src/alchemist/worker.js';
import { DEMO_COLLECTION, startDemo } from '../../../src/demo/demo.js';
import { overviewSourcesOf } from '../../../src/collection/overview.js';
import { createLogger } from '../../../src/log.js';
import { loadSettings, type Settings } from '../../../src/settings/index.js';
import { startWeb, type RunningWeb } from '../../../src/web/server.js';
import { buildWorkerEnv } from '../../../src/wiring.js';
import { freePort } from '../../../src/freePort.js';

const CHROMIUM = '/usr/bin/chromium';
let dataDir: string;
let demo: Awaited<ReturnType<typeof startDemo>>;
let settings: Settings;
let web: RunningWeb;
let browser: Browser;
const savedPort = process.env.DISTILLERY_WEB_PORT;
const savedNodeEnv = process.env.NODE_ENV;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (scripts/install-system.sh).`);
  dataDir = await mkdtemp(join(tmpdir(), 'distillery-iiif-demo-'));
  process.env.DISTILLERY_WEB_PORT = String(await freePort());
  demo = await startDemo(dataDir);
  // The demo signs everyone in as the debug user: the settings and the web app both need development mode.
  process.env.NODE_ENV = 'development';
  settings = await loadSettings(demo.settingsFile, 'worker', { NODE_ENV: 'development' });
  web = await startWeb({ web: settings.web, statusFiles: settings.folders.statusFiles, modules: settings.modules, iiif: settings.iiif, demo: true, logger: createLogger({ level: 'silent' }), overview: overviewSourcesOf(settings) });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, 180_000);

afterAll(async () => {
  if (savedPort === undefined) delete process.env.DISTILLERY_WEB_PORT;
  else process.env.DISTILLERY_WEB_PORT = savedPort;
  if (savedNodeEnv === undefined) delete process.env.NODE_ENV;
  else process.env.NODE_ENV = savedNodeEnv;
  await browser?.close();
  await web?.close();
  await demo?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

test('DEMO with access: the run links each folder to its viewer, the viewer shows the scans, ArchivesSpace holds the Manifest link', async () => {
  expect(settings.modules.access).toBe('iiif');
  const env = buildWorkerEnv(settings, createLogger({ level: 'silent' }));
  await env.status.requestRun({ collectionId: DEMO_COLLECTION, processes: ['access'], user: { email: 'hello@example.com', name: 'World' } });
  await runOnce(env);
  const run = (await env.status.archived(DEMO_COLLECTION))[0]!;
  expect(run.record!.reason).toBeUndefined();
  expect(run.record!.state).toBe('succeeded');
  const log = await readFile(join(settings.folders.statusFiles, run.log!), 'utf8');
  const viewers = [...log.matchAll(/👁️ View (\S+): (\S+)/g)];
  expect(viewers.map((m) => m[1]).sort()).toEqual(['DEMO_001_01', 'DEMO_001_02', 'DEMO_002_01']);

  // The Collection lists the three Manifests and validates.
  const ajv = new (Ajv as unknown as typeof Ajv.default)({ strict: false });
  (addFormats as unknown as typeof addFormats.default)(ajv);
  const validate = ajv.compile(JSON.parse(await readFile(new URL('../../fixtures/iiif/iiif_3_0.json', import.meta.url), 'utf8')));
  const collection = await (await fetch(`${settings.iiif!.baseUrl}/${DEMO_COLLECTION}/collection.json`)).json();
  expect(validate(collection)).toBe(true);
  expect(JSON.stringify(collection).match(/manifest\.json/g)).toHaveLength(3);

  // ArchivesSpace: each digital object holds its Manifest link.
  const dos = demo.services.aspace.state.list('digital_object');
  for (const m of viewers) {
    const manifest = decodeURIComponent(m[2].split('manifest=')[1]);
    const dobj = dos.find((d) => d.data.digital_object_id === m[1])!;
    expect((dobj.data.file_versions as { file_uri: string }[]).map((f) => f.file_uri)).toContain(manifest);
  }

  // The collection overview links each folder's Manifest to the viewer too.
  const page = await (await browser.newContext({ viewport: { width: 1200, height: 900 } })).newPage();
  await page.goto(`${web.url}/collections/${DEMO_COLLECTION}`);
  const overviewLinks = await page.locator('a.viewer-link').evaluateAll((as) => as.map((a) => a.getAttribute('href') ?? ''));
  expect(overviewLinks.sort()).toEqual(viewers.map((m) => m[2]).sort());

  // The viewer: Mirador loads the Manifest and the first canvas's tiles (each answered 200).
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const tiles: number[] = [];
  page.on('response', (r) => {
    if (/\/iiif\/images\/[^/]+\/[^/]+\/[^/]+\/0\/default\.jpg$/.test(r.url())) tiles.push(r.status());
  });
  const url = viewers.find((m) => m[1] === 'DEMO_001_01')![2];
  await page.goto(url);
  await expect.poll(() => tiles.filter((s) => s === 200).length, { timeout: 30_000 }).toBeGreaterThan(0);
  await page.waitForTimeout(1000);
  expect(tiles.every((s) => s === 200)).toBe(true);
  expect(errors).toEqual([]);
  await mkdir('.artifacts', { recursive: true });
  await page.screenshot({ path: '.artifacts/iiif-viewer.png' });

  // A rerun publishes nothing new and says so.
  await env.status.requestRun({ collectionId: DEMO_COLLECTION, processes: ['access'], user: { email: 'hello@example.com', name: 'World' } });
  await runOnce(env);
  const again = (await env.status.archived(DEMO_COLLECTION))[0]!;
  expect(again.record!.state).toBe('succeeded');
  const log2 = await readFile(join(settings.folders.statusFiles, again.log!), 'utf8');
  expect(log2.match(/already published/g)).toHaveLength(3);
}, 300_000);
