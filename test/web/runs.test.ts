/** Past runs and archived logs; lines and records are shown as text, never as HTML. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/runs/types.js';
import { ALICE, Client, startTestWeb, type TestWeb } from './helpers.js';

let t: TestWeb | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const XSS = '<img src=x onerror=alert(1)>';

async function archivedRun(t: TestWeb, collectionId: string, lines: string[], extra: Partial<RunRecord> = {}, when = new Date()): Promise<string> {
  const request = await t.status.requestRun({ collectionId, processes: ['report'], user: ALICE });
  await t.status.appendLines(collectionId, lines);
  return t.status.archive({ request, state: 'succeeded', attempts: 1, steps: [], files: [], finishedAt: when.toISOString(), ...extra }, when);
}

describe('past runs', () => {
  it('lists archived runs newest first with who, processes, state and a link to the log', async () => {
    t = await startTestWeb();
    const older = await archivedRun(t, 'OLD', ['🟢', 'done'], {}, new Date('2026-01-02T03:04:05Z'));
    const newer = await archivedRun(t, 'NEW', ['🟢', 'failed'], { state: 'failed', reason: 'no folder' }, new Date('2026-02-03T04:05:06Z'));
    const html = await (await new Client(t.url, ALICE.email).get('/runs')).text();
    expect(html.indexOf(newer)).toBeGreaterThan(-1);
    expect(html.indexOf(newer)).toBeLessThan(html.indexOf(older));
    expect(html).toContain(`href="/runs/${older}"`);
    expect(html).toContain('Alice Archivist');
    expect(html).toMatch(/state-failed">Failed/);
    expect(html).toMatch(/state-succeeded">Succeeded/);
    expect(html).toContain('2026-02-03 04:05 UTC');
  });

  it('shows an archived log with its record: steps with why, final state with reason, and the report', async () => {
    t = await startTestWeb();
    const log = await archivedRun(t, 'ABC', ['🟢', 'converted 3 images'], {
      state: 'failed',
      reason: 'The collection folder ABC was not found in the initial folder.',
      steps: [
        { name: 'move', title: 'Move the collection folder to processing', state: 'failed', why: 'not found' },
        { name: 'cloud', title: 'Preservation files to the cloud', state: 'skipped', why: 'an earlier step failed' },
      ],
      attachments: { reportText: 'folder       images\nABC_001_01        3' },
    });
    const res = await new Client(t.url, ALICE.email).get(`/runs/${log}`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('converted 3 images');
    expect(html).toContain('The collection folder ABC was not found in the initial folder.');
    expect(html).toMatch(/step-failed[\s\S]*not found/);
    expect(html).toMatch(/step-skipped[\s\S]*an earlier step failed/);
    expect(html).toContain('<pre class="report">folder       images\nABC_001_01        3</pre>');
    const raw = await new Client(t.url, ALICE.email).get(`/runs/${log}?raw=1`);
    expect(raw.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await raw.text()).toBe('🟢\nconverted 3 images\n');
  });

  it('escapes HTML in an archived log and its record', async () => {
    t = await startTestWeb();
    const log = await archivedRun(t, 'ABC', [`line ${XSS}`], { reason: `reason ${XSS}`, attachments: { reportText: XSS } });
    const html = await (await new Client(t.url, ALICE.email).get(`/runs/${log}`)).text();
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('answers 404 for path tricks and names that are not archived logs', async () => {
    t = await startTestWeb();
    await writeFile(join(t.dir, 'secret-20260101000000.log'), 'outside the status folder');
    const c = new Client(t.url, ALICE.email);
    for (const path of [
      '/runs/..%2Fsecret-20260101000000.log',
      '/runs/..%2F..%2Fetc%2Fpasswd',
      '/runs/%2Fetc%2Fpasswd',
      '/runs/ABC-processing',
      '/runs/ABC-run.json',
      '/runs/NOPE-20260101000000.log',
      '/runs/ABC-2026.log',
    ]) {
      const res = await c.get(path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain('outside the status folder');
    }
  });

  it('lists runs that are waiting on the form page', async () => {
    t = await startTestWeb();
    await t.status.requestRun({ collectionId: 'WAITING', processes: ['report'], user: ALICE });
    const html = await (await new Client(t.url, ALICE.email).get('/')).text();
    expect(html).toMatch(/href="\/distill\/WAITING"/);
  });
});
