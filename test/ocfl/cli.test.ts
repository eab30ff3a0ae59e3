import { describe, it, expect, afterEach } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ocflCommand } from '../../src/ocfl/cli.js';
import { commitVersion, objectPath, readOcflSettings } from '../../src/ocfl/index.js';
import { SettingsReader } from '../../src/settings/reader.js';
import { FIXTURES, META, tempRoot, writeFiles } from './helpers.js';

async function run(...args: string[]) {
  let out = '';
  let err = '';
  const code = await ocflCommand(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('distillery ocfl validate', () => {
  it.skipIf(!existsSync(FIXTURES))('exits 0 for a valid object with warnings and 1 for an invalid one, with --json', async () => {
    const warn = await run('validate', join(FIXTURES, 'warn-objects/W004_uses_sha256'), '--json');
    expect(warn.code).toBe(0);
    const w = JSON.parse(warn.out);
    expect(w.valid).toBe(true);
    expect(w.errors).toEqual([]);
    expect(w.warnings.map((x: { code: string }) => x.code)).toContain('W004');
    expect(Object.keys(w.warnings[0]).sort()).toEqual(['code', 'message', 'path']);
    const bad = await run('validate', join(FIXTURES, 'bad-objects/E058_no_sidecar'), '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.out)).toMatchObject({ valid: false, errors: [expect.objectContaining({ code: 'E058' })] });
    const text = await run('validate', join(FIXTURES, 'bad-objects/E058_no_sidecar'));
    expect(text.out).toMatch(/ERROR {3}E058 .*inventory\.json\.sha512: The sidecar inventory\.json\.sha512 is missing\.\nINVALID \(1 object, 1 error/);
  });

  it('validates a storage root and every object in it', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const f = await writeFiles(join(t.dir, 'in'), { 'a.txt': 'A' });
    await commitVersion(t.root, 'https://example.org/a', [{ logicalPath: 'a.txt', sourcePath: f['a.txt'] }], META);
    await commitVersion(t.root, 'https://example.org/b', [{ logicalPath: 'a.txt', sourcePath: f['a.txt'] }], META);
    let r = await run('validate', t.root);
    expect(r).toMatchObject({ code: 0, out: 'valid (2 objects, 0 warning(s))\n' });
    await writeFile(join(t.root, objectPath('https://example.org/b'), 'v1/content/a.txt'), 'changed');
    r = await run('validate', t.root, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).errors.map((e: { code: string }) => e.code).sort()).toEqual(['E092', 'E093']);
  });

  it('reports usage mistakes with exit code 2', async () => {
    expect((await run('validate')).code).toBe(2);
    const r = await run('frobnicate');
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown command "frobnicate"');
    expect((await run('purge', '/x', 'id', 'a.txt')).err).toContain('--reason "..." is required');
    expect((await run('purge', '/x', 'id', 'a.txt', '--reason', 'x', '--email', 'nobody')).err).toContain('--email needs an address such as archivist@example.edu.');
  });
});

describe('distillery ocfl ls, show, diff, purge, tokens, audit', () => {
  it('answers "what did we preserve, when" and purges, tokenizes and audits from the command line', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const id = 'https://aspace.example.edu/repositories/2/archival_objects/7';
    const f = await writeFiles(join(t.dir, 'in'), { 'a.jp2': 'image a', 'b.jp2': 'image b', 'private.jp2': 'private' });
    await commitVersion(t.root, id, [{ logicalPath: 'a.jp2', sourcePath: f['a.jp2'] }, { logicalPath: 'private.jp2', sourcePath: f['private.jp2'] }], {
      message: 'Distillery run 42 (cloud, onsite)',
      user: { name: 'Archivist One', address: 'one@example.edu' },
      created: new Date('2024-05-01T10:00:00Z'),
    });
    await commitVersion(t.root, id, [{ logicalPath: 'a.jp2', sourcePath: f['a.jp2'] }, { logicalPath: 'images/b.jp2', sourcePath: f['b.jp2'] }, { logicalPath: 'private.jp2', sourcePath: f['private.jp2'] }], META);

    const ls = await run('ls', t.root);
    expect(ls.out).toBe(`${id}\tv2 ${(await readFile(join(t.root, objectPath(id), 'inventory.json'), 'utf8')).match(/"v2": \{\s*"created": "([^"]+)"/)![1]}\t${objectPath(id)}\n`);
    const show = await run('show', t.root, id);
    expect(show.out).toContain('v1  2024-05-01T10:00:00Z  Archivist One <one@example.edu>\n  Distillery run 42 (cloud, onsite)\n  a.jp2\n      stored v1/content/a.jp2\n      sha512 ');
    expect(show.out).toMatch(/sha256 [0-9a-f]{64}/);
    expect((await run('diff', t.root, id, 'v1', 'v2')).out).toBe('added     images/b.jp2\n');
    expect((await run('diff', t.root, id, 'v1', 'v9')).code).toBe(1);

    const purge = await run('purge', t.root, id, 'private.jp2', '--reason', 'privacy', '--by', 'Head Archivist');
    expect(purge.code, purge.err).toBe(0);
    expect(purge.out).toContain('versions v1, v2 rewritten, 1 content file(s) removed');
    expect((await run('show', t.root, id)).out).not.toContain('private.jp2\n');
    expect((await run('validate', join(t.root, objectPath(id)))).code).toBe(0);

    const tokens = await run('tokens', t.root, id);
    expect(tokens.out).toMatch(/^v1: .*v1\.tokens\nv2: .*v2\.tokens\n$/);
    let audit = await run('audit', t.root, id);
    expect(audit.code).toBe(0);
    expect(audit.out).toMatch(/^A v1\/content\/a\.jp2 is intact \(round \d+\)\.\nA v2\/content\/images\/b\.jp2 is intact/);
    await writeFile(join(t.root, objectPath(id), 'v2/content/images/b.jp2'), 'image B');
    audit = await run('audit', t.root, id);
    expect(audit.code).toBe(1);
    expect(audit.out).toContain('C v2/content/images/b.jp2 does not match its recorded digests');
    expect(audit.out).toContain('AUDIT FAILED');
    expect((await run('recover', t.root, id)).out).toBe('nothing to recover\n');
    const exp = await run('export', t.root, id, join(t.dir, 'exported'), '--version', 'v1');
    expect(exp.out).toBe(`exported 1 file(s) of ${id} v1 to ${join(t.dir, 'exported')}\n`);
    expect(await readFile(join(t.dir, 'exported', 'a.jp2'), 'utf8')).toBe('image a');
    expect((await run('export', t.root, id, join(t.dir, 'exported'))).err).toContain('is not empty');
  });
});

describe('distillery ocfl purge --stub', () => {
  it('moves the purged history to --new-id and leaves a valid stub at the old id that states the reason', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const id = 'https://aspace.example.edu/repositories/2/archival_objects/8';
    const newId = `${id}-purged`;
    const f = await writeFiles(join(t.dir, 'in'), { 'a.jp2': 'image a', 'private.jp2': 'private' });
    await commitVersion(t.root, id, [{ logicalPath: 'a.jp2', sourcePath: f['a.jp2'] }, { logicalPath: 'private.jp2', sourcePath: f['private.jp2'] }], META);

    const r = await run('purge', t.root, id, 'private.jp2', '--reason', 'donor request', '--stub', '--new-id', newId, '--by', 'Head Archivist', '--email', 'head@example.edu');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`the history is now object ${newId}; ${id} is a stub pointing to it.`);
    expect((await run('ls', t.root)).out.split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual([id, newId]);
    const stub = await run('show', t.root, id);
    expect(stub.out).toContain('REDIRECT.json');
    expect(stub.out).toContain(newId);
    expect(stub.out).toContain('Head Archivist <head@example.edu>');
    expect(stub.out).toContain('Reason: donor request');
    const redirect = JSON.parse(await readFile(join(t.root, objectPath(id), 'v1/content/REDIRECT.json'), 'utf8'));
    expect(redirect).toMatchObject({ redirectTo: newId, reason: 'donor request' });
    const moved = await run('show', t.root, newId);
    expect(moved.out).toContain('a.jp2');
    expect(moved.out).not.toContain('private.jp2\n');
    expect(await run('validate', t.root)).toMatchObject({ code: 0, out: 'valid (2 objects, 0 warning(s))\n' });
  });
});

describe('readOcflSettings', () => {
  it('has safe defaults and reports bad values by key', () => {
    const ok = new SettingsReader({});
    expect(readOcflSettings(ok)).toEqual({ ims: 'local', ledgerPath: undefined, minimumRoundLeaves: 8, keepLocalPayload: true, idNamespace: 'info:archivesspace' });
    expect(ok.problems).toEqual([]);
    const bad = new SettingsReader({ ACE_IMS: 'umiacs', KEEP_LOCAL_PAYLOAD: 'sometimes', ACE_LEDGER: '/var/ledger.jsonl' });
    const s = readOcflSettings(bad);
    expect(s.ledgerPath).toBe('/var/ledger.jsonl');
    expect(bad.problems.map((p) => p.key)).toEqual(['ACE_IMS', 'KEEP_LOCAL_PAYLOAD']);
    expect(bad.problems[0].message).toContain('must be one of local');
  });
});
