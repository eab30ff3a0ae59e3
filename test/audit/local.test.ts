/**
 * Audits of the local copy: every payload file re-hashed against the inventory and its ACE token
 * checked against the IMS's round summary, each fault reported with ACE's state and what to do;
 * results kept as records, a failure loud (log line, status file, notify command).
 */
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { auditRecordOf, readAuditStatus } from '../../src/audit/records.js';
import { runAudit } from '../../src/audit/run.js';
import { Pace } from '../../src/audit/pace.js';
import { tokenStorePath } from '../../src/ocfl/index.js';
import { bed, SETTINGS, type Bed } from './fixture.js';

let b: Bed;
afterEach(() => b?.cleanup());

test('an untouched collection is intact in every file, and the record says so', async () => {
  b = await bed();
  await b.object('C1', 'F1', { 'a/one.jp2': 5000, 'a/two.jp2': 7000 });
  const out = await runAudit(b.deps(), 'C1');
  expect(out.ok).toBe(true);
  const rec = await auditRecordOf(b.statusDir, 'C1');
  expect(rec).toMatchObject({ collectionId: 'C1', ok: true, findings: [] });
  // two images and the collection record
  expect(rec!.copies).toEqual([{ copy: 'local', checked: 3, intact: 3, notes: [] }]);
  expect((await readAuditStatus(b.statusDir))?.ok).toBe(true);
});

test('a flipped byte, a missing file and an altered token are each reported with their state and what to do', async () => {
  b = await bed();
  const o = await b.object('C1', 'F1', { 'a/one.jp2': 5000, 'a/two.jp2': 7000, 'a/three.jp2': 3000 });
  await b.object('C2', 'F2', { 'b/other.jp2': 4000 });
  // flip one byte of one.jp2
  const one = join(o.objectRoot, 'v1/content/a/one.jp2');
  const bytes = await readFile(one);
  bytes[100] ^= 0xff;
  await writeFile(one, bytes);
  // remove two.jp2
  await rm(join(o.objectRoot, 'v1/content/a/two.jp2'));
  // alter the proof of three.jp2's token (its first sibling hash)
  const store = tokenStorePath(b.root, o.objectId, 'v1');
  const text = await readFile(store, 'utf8');
  const entry = text.split(/(?=^SHA-256 )/m).find((e) => e.includes('v1/content/a/three.jp2\n'))!;
  const proofLine = entry.split('\n').find((l) => /^[0-9a-fX:]+$/.test(l) && l.includes(':'))!;
  const altered = proofLine.replace(/[0-9a-f]/, (c) => (c === '0' ? '1' : '0'));
  await writeFile(store, text.replace(entry, entry.replace(proofLine, altered)));

  const out = await runAudit(b.deps());
  expect(out.ok).toBe(false);
  const rec = await auditRecordOf(b.statusDir, 'C1');
  const byPath = Object.fromEntries(rec!.findings.filter((f) => f.path.startsWith('v1/')).map((f) => [f.path, f]));
  expect(byPath['v1/content/a/one.jp2']).toMatchObject({ copy: 'local', state: 'corrupt' });
  expect(byPath['v1/content/a/one.jp2'].message).toContain('Restore this file from the S3 or tape copy');
  expect(byPath['v1/content/a/two.jp2']).toMatchObject({ state: 'missing' });
  expect(byPath['v1/content/a/three.jp2']).toMatchObject({ state: 'invalid token' });
  expect(byPath['v1/content/a/three.jp2'].message).toContain('restore the token store');
  // The token store itself no longer matches the digest recorded when it was written.
  expect(rec!.findings.find((f) => f.path.endsWith('v1.tokens'))).toMatchObject({ state: 'invalid token', path: expect.stringMatching(/^\.\.\/ocfl-distillery\/tokens\/.*\/v1\.tokens$/) });
  expect(Object.keys(byPath).sort()).toEqual(['v1/content/a/one.jp2', 'v1/content/a/three.jp2', 'v1/content/a/two.jp2']);
  // The other collection is intact and has its own record.
  expect((await auditRecordOf(b.statusDir, 'C2'))?.ok).toBe(true);
  // Loud: an error log line and the status file the form reads.
  expect(b.logLines.some((l) => l.includes('"level":50') && l.includes('AUDIT FAILED for C1'))).toBe(true);
  const status = await readAuditStatus(b.statusDir);
  expect(status).toMatchObject({ ok: false, failed: [{ collectionId: 'C1' }] });
});

test('a version without its token store: every file is "missing token", with the command that makes them', async () => {
  b = await bed();
  const o = await b.object('C1', 'F1', { 'x.jp2': 1000 });
  await rm(tokenStorePath(b.root, o.objectId, 'v1'));
  const out = await runAudit(b.deps(), 'C1');
  const f = out.records[0].findings.find((x) => x.path === 'v1/content/x.jp2');
  expect(f).toMatchObject({ state: 'missing token' });
  expect(f!.message).toContain(`distillery ocfl tokens ${b.root} ${o.objectId} --version v1`);
});

test('a failed audit runs the notify command with the status file and a summary', async () => {
  b = await bed();
  const o = await b.object('C1', 'F1', { 'x.jp2': 1000 });
  await writeFile(join(o.objectRoot, 'v1/content/x.jp2'), 'not the same bytes');
  const script = join(b.dir, 'notify.sh');
  const got = join(b.dir, 'notified.txt');
  await writeFile(script, `#!/bin/sh\nprintf '%s\\n%s\\n' "$1" "$2" > '${got}'\n`);
  await chmod(script, 0o755);
  await runAudit(b.deps({ settings: { ...SETTINGS, notifyCommand: script } }), 'C1');
  const [statusFile, summary] = (await readFile(got, 'utf8')).split('\n');
  expect(statusFile).toBe(join(b.statusDir, 'audit-status.json'));
  expect(summary).toMatch(/^Distillery audit failed: C1 \(1 problem\(s\), first: v1\/content\/x\.jp2 of .* is corrupt/);
});

test('a passing audit clears the collection from the status file', async () => {
  b = await bed();
  const o = await b.object('C1', 'F1', { 'x.jp2': 1000 });
  const good = await readFile(join(o.objectRoot, 'v1/content/x.jp2'));
  await writeFile(join(o.objectRoot, 'v1/content/x.jp2'), Buffer.alloc(good.length));
  await runAudit(b.deps(), 'C1');
  expect((await readAuditStatus(b.statusDir))?.ok).toBe(false);
  await writeFile(join(o.objectRoot, 'v1/content/x.jp2'), good);
  await runAudit(b.deps(), 'C1');
  expect(await readAuditStatus(b.statusDir)).toMatchObject({ ok: true, failed: [] });
});

test('the rate setting bounds how fast an audit reads', async () => {
  const pace = new Pace(1); // 1 MB/s
  const t0 = Date.now();
  await pace.after(300_000);
  await pace.after(200_000);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(480);
  b = await bed();
  await b.object('C1', 'F1', { 'x.jp2': 400_000 });
  const t1 = Date.now();
  await runAudit(b.deps({ settings: { ...SETTINGS, rateMBps: 1 } }), 'C1');
  expect(Date.now() - t1).toBeGreaterThanOrEqual(380);
});

test('the form shows a failed audit: which collection and which file, and the state', async () => {
  const { ALICE, Client, startTestWeb } = await import('../web/helpers.js');
  const web = await startTestWeb();
  try {
    let html = await (await new Client(web.url, ALICE.email).get('/')).text();
    expect(html).not.toContain('Audit failed');
    b = await bed();
    const o = await b.object('C7', 'F1', { 'x.jp2': 1000 });
    const p = join(o.objectRoot, 'v1/content/x.jp2');
    const bytes = await readFile(p);
    bytes[10] ^= 1;
    await writeFile(p, bytes);
    await runAudit({ ...b.deps(), statusDir: web.statusDir }, 'C7');
    html = await (await new Client(web.url, ALICE.email).get('/')).text();
    expect(html).toContain('Audit failed.');
    expect(html).toMatch(/<strong>C7<\/strong>[^<]*1 problem<br><small>local corrupt: v1\/content\/x\.jp2 of https:\/\/archives\.example\.edu\/repositories\/2\/archival_objects\/F1 in the local copy does not match/);
  } finally {
    await web.close();
  }
});
