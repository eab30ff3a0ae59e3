/** The form and POST /distilling: what is written to the status folder, and what is refused. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord, RunRequest } from '../../src/runs/types.js';
import { ALICE, Client, startTestWeb, type TestWeb } from './helpers.js';

let t: TestWeb | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const names = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).sort();

describe('the form', () => {
  it('shows the four processes with the original labels, the ID pattern, and recent runs', async () => {
    t = await startTestWeb();
    const html = await (await new Client(t.url, ALICE.email).get('/')).text();
    for (const label of [
      'Report on available files',
      'Preservation files to the cloud (S3 Glacier Deep Archive)',
      'Preservation files onsite (LTO tape)',
      'Access files to Islandora',
    ]) expect(html).toContain(label);
    expect(html).toMatch(/name="collection_id"[^>]*required/);
    expect(html).toContain('pattern="[a-zA-Z0-9\\-.~_]+"');
    expect(html).toContain('Recent runs');
    expect(html).toContain('No runs yet.');
  });

  it('disables a process whose module is not configured, with a note', async () => {
    t = await startTestWeb({ modules: { cloud: 's3' } });
    const html = await (await new Client(t.url, ALICE.email).get('/')).text();
    expect(html).toMatch(/value="onsite" disabled/);
    expect(html).toMatch(/value="access" disabled/);
    expect(html).not.toMatch(/value="cloud" disabled/);
    expect(html).toContain('Not available here: ONSITE_MEDIUM is not set in settings.ini.');
    expect(html).toContain('Not available here: ACCESS_PLATFORM is not set in settings.ini.');
  });

  it('writes the init file and the stream with the original names (and the run record), then shows the status page', async () => {
    t = await startTestWeb();
    const c = new Client(t.url, ALICE.email);
    const res = await c.submit('HaleGE', ['access', 'cloud', 'report']);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/distill/HaleGE');
    expect(await names(t.statusDir)).toEqual(['HaleGE-init-report_cloud_access', 'HaleGE-processing', 'HaleGE-run.json']);
    expect(await readFile(join(t.statusDir, 'HaleGE-processing'), 'utf8')).toBe('');
    const request = JSON.parse(await readFile(join(t.statusDir, 'HaleGE-init-report_cloud_access'), 'utf8')) as RunRequest;
    expect(request).toMatchObject({ collectionId: 'HaleGE', processes: ['report', 'cloud', 'access'], user: ALICE });
    const record = JSON.parse(await readFile(join(t.statusDir, 'HaleGE-run.json'), 'utf8')) as RunRecord;
    expect(record).toMatchObject({ state: 'queued', request: { runId: request.runId } });

    const page = await c.get('/distill/HaleGE');
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Waiting for the worker to start this run (up to a minute)');
    expect(html).toContain('src="/static/status.js"');
    // The queued run shows on the form's list.
    expect(await (await c.get('/')).text()).toMatch(/HaleGE[\s\S]*Waiting for the worker/);
  });

  it('asks for a regenerate of the folders named beside access, and refuses it without access', async () => {
    t = await startTestWeb();
    const c = new Client(t.url, ALICE.email);
    expect(await (await c.get('/')).text()).toMatch(/name="regenerate" value="yes"[\s\S]*name="regenerate_folders"/);
    const form = async (processes: string[], folders: string) =>
      c.post('/distilling', [['_csrf', await c.csrfToken()], ['collection_id', 'HaleGE'], ...processes.map((p): [string, string] => ['processes', p]), ['regenerate', 'yes'], ['regenerate_folders', folders]]);
    const refused = await form(['report'], '');
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('Regenerate remakes access copies: choose the access process with it.');
    const wrong = await form(['access'], 'Other_001_01');
    expect(await wrong.text()).toContain('Regenerate names folders of HaleGE (like HaleGE_001_02); &#34;Other_001_01&#34; is not one.');
    expect((await form(['report', 'access'], 'HaleGE_001_02, HaleGE_001_03')).status).toBe(303);
    const request = JSON.parse(await readFile(join(t.statusDir, 'HaleGE-init-report_access'), 'utf8')) as RunRequest;
    expect(request.regenerate).toEqual({ folders: ['HaleGE_001_02', 'HaleGE_001_03'] });
  });

  it('trims the collection ID as the original did', async () => {
    t = await startTestWeb();
    const res = await new Client(t.url, ALICE.email).submit('  Abc-1.2~x_y  ', ['report']);
    expect(res.status).toBe(303);
    expect(await names(t.statusDir)).toContain('Abc-1.2~x_y-init-report');
  });

  const badIds: [string, string, string][] = [
    ['../x', '../x', 'may contain only letters, digits and - . _ ~'],
    ['a/b', 'a/b', 'may contain only letters, digits and - . _ ~'],
    ['empty', '', 'Enter a collection ID.'],
    ['spaces', 'Hale GE', 'may contain only letters, digits and - . _ ~'],
    ['300 characters', 'A'.repeat(300), 'The collection ID is 300 characters long; at most 100 are allowed.'],
    ['unicode', 'Collection\u00e9', 'may contain only letters, digits and - . _ ~'],
    ['dots only', '..', 'would name a folder above the collection folder'],
  ];
  for (const [what, id, message] of badIds) {
    it(`refuses a bad collection ID (${what}) with 400 and writes nothing`, async () => {
      t ??= await startTestWeb();
      const res = await new Client(t.url, ALICE.email).submit(id, ['report']);
      expect(res.status).toBe(400);
      const html = await res.text();
      expect(html).toContain('Cannot start this run');
      expect(html).toContain(message);
      expect(await names(t.statusDir)).toEqual([]);
    });
  }

  it('refuses a submission with no process', async () => {
    t = await startTestWeb();
    const res = await new Client(t.url, ALICE.email).submit('ABC', []);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Choose at least one process.');
    expect(await names(t.statusDir)).toEqual([]);
  });

  it('refuses an unknown process, and one whose module is not configured', async () => {
    t = await startTestWeb({ modules: {} });
    const c = new Client(t.url, ALICE.email);
    let res = await c.submit('ABC', ['report', 'shred']);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Unknown process &#34;shred&#34;');
    res = await c.submit('ABC', ['cloud']);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('CLOUD_PLATFORM is not set in settings.ini');
    expect(await names(t.statusDir)).toEqual([]);
  });

  it('refuses a second run of a collection that is queued, keeping the first', async () => {
    t = await startTestWeb();
    const c = new Client(t.url, ALICE.email);
    expect((await c.submit('ABC', ['report'])).status).toBe(303);
    const res = await c.submit('ABC', ['cloud']);
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('A run of ABC is already queued; it starts within a minute.');
    expect(await names(t.statusDir)).toEqual(['ABC-init-report', 'ABC-processing', 'ABC-run.json']);
  });

  it('keeps what was typed when it shows a problem', async () => {
    t = await startTestWeb();
    const res = await new Client(t.url, ALICE.email).submit('bad id', ['cloud', 'onsite']);
    const html = await res.text();
    expect(html).toContain('value="bad id"');
    expect(html).toMatch(/value="cloud" checked/);
    expect(html).toMatch(/value="onsite" checked/);
    expect(html).not.toMatch(/value="access" checked/);
  });

  it('answers 404 for the status page of a collection never asked for, and for a bad ID', async () => {
    t = await startTestWeb();
    const c = new Client(t.url, ALICE.email);
    let res = await c.get('/distill/NEVER');
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('No run of NEVER has been requested yet.');
    res = await c.get('/distill/..%2F..%2Fetc');
    expect(res.status).toBe(404);
  });
});
