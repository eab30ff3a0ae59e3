/**
 * The writer on objects it did not make, and purge keeping what it must: a sha256 object written
 * by another tool continues in sha256; a purge keeps the object's logs and appends its record;
 * a stub left by a purge has an ACE token so an audit of the old id passes.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { createHash } from 'node:crypto';
import { commitVersion, ensureStorageRoot, objectPath, purgeFiles, readInventory, validateObject, auditObject, LocalIms } from '../../src/ocfl/index.js';
import { ocflCommand } from '../../src/ocfl/cli.js';
import { META, tempRoot, writeFiles } from './helpers.js';

const FIX11 = resolve(import.meta.dirname, '../fixtures/ocfl/1.1');
let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});
async function setup() {
  const t = await tempRoot();
  cleanup = t.cleanup;
  return t;
}

/** The official W004_uses_sha256 object (sha256, OCFL 1.1, made by another tool) placed in a storage root. */
async function sha256Object(root: string): Promise<{ id: string; obj: string }> {
  await ensureStorageRoot(root);
  const id = 'ark:123/abc';
  const obj = join(root, objectPath(id));
  await mkdir(dirname(obj), { recursive: true });
  await cp(join(FIX11, 'warn-objects/W004_uses_sha256'), obj, { recursive: true });
  return { id, obj };
}

describe('adding a version to an object written by another tool in sha256', () => {
  it('continues in sha256: manifest keys, state and root and version sidecars all sha256, and the object stays valid', async () => {
    const t = await setup();
    const { id, obj } = await sha256Object(t.root);
    const f = await writeFiles(join(t.dir, 'in'), { 'b.txt': 'second file', 'a_file.txt': 'changed' });
    const r = await commitVersion(t.root, id, [{ logicalPath: 'b.txt', sourcePath: f['b.txt'] }], META, { mode: 'merge' });
    expect(r).toMatchObject({ version: 'v2', changed: true });
    const v = await validateObject(obj);
    expect(v.errors).toEqual([]);
    expect([...new Set(v.warnings.map((w) => w.code))]).toEqual(['W004']); // the object's own choice, as before
    const inv = (await readInventory(t.root, id))!;
    expect(inv.digestAlgorithm).toBe('sha256');
    const bSha256 = createHash('sha256').update('second file').digest('hex');
    expect(inv.manifest[bSha256]).toEqual(['v2/content/b.txt']);
    expect(Object.keys(inv.manifest).every((d) => d.length === 64)).toBe(true);
    expect(inv.fixity?.sha512?.[createHash('sha512').update('second file').digest('hex')]).toEqual(['v2/content/b.txt']);
    expect((await readdir(obj)).filter((n) => n.startsWith('inventory.json')).sort()).toEqual(['inventory.json', 'inventory.json.sha256']);
    expect((await readdir(join(obj, 'v2'))).sort()).toEqual(['content', 'inventory.json', 'inventory.json.sha256']);
    const rootBytes = await readFile(join(obj, 'inventory.json'));
    expect((await readFile(join(obj, 'inventory.json.sha256'), 'utf8')).split(' ')[0]).toBe(createHash('sha256').update(rootBytes).digest('hex'));
    // A third version that changes an existing file and removes nothing else stays valid too.
    await commitVersion(t.root, id, [{ logicalPath: 'a_file.txt', sourcePath: f['a_file.txt'] }], META, { mode: 'merge' });
    expect((await validateObject(obj)).errors).toEqual([]);
  });

  it('an unchanged file given with its sha256 is referenced, not stored again', async () => {
    const t = await setup();
    const { id, obj } = await sha256Object(t.root);
    const same = join(obj, 'v1/content/a_file.txt');
    const digest = createHash('sha256').update(await readFile(same)).digest('hex');
    const r = await commitVersion(t.root, id, [{ logicalPath: 'copy.txt', sourcePath: same, digests: { sha256: digest } }], META, { mode: 'merge' });
    expect(r.newContentPaths).toEqual([]);
    expect(existsSync(join(obj, 'v2/content'))).toBe(false);
    expect((await validateObject(obj)).errors).toEqual([]);
  });

  it('a version that would be invalid is refused before anything is installed', async () => {
    const t = await setup();
    const { id, obj } = await sha256Object(t.root);
    // Damage the object's v1 block in a way only the inventory rules see (a forbidden key), keeping the sidecars right.
    const inv = JSON.parse(await readFile(join(obj, 'inventory.json'), 'utf8'));
    inv.versions.v1.note = 'not allowed';
    const bytes = JSON.stringify(inv, null, 2);
    await writeFile(join(obj, 'inventory.json'), bytes);
    await writeFile(join(obj, 'inventory.json.sha256'), `${createHash('sha256').update(bytes).digest('hex')} inventory.json\n`);
    const f = await writeFiles(join(t.dir, 'in'), { 'b.txt': 'b' });
    await expect(commitVersion(t.root, id, [{ logicalPath: 'b.txt', sourcePath: f['b.txt'] }], META, { mode: 'merge' })).rejects.toThrow(/would not be valid OCFL \(E102/);
    expect(existsSync(join(obj, 'v2'))).toBe(false);
    expect((await readFile(join(obj, 'inventory.json'), 'utf8'))).toBe(bytes);
  });
});

async function history(root: string, dir: string, id: string) {
  const f = await writeFiles(join(dir, 'in'), { 'a.jp2': 'image a', 'secret.jp2': 'private letter' });
  await commitVersion(root, id, [{ logicalPath: 'a.jp2', sourcePath: f['a.jp2'] }, { logicalPath: 'secret.jp2', sourcePath: f['secret.jp2'] }], META);
}

describe('purge keeps the object logs', () => {
  it('earlier logs (another tool, an earlier purge) survive and each purge adds its record, even twice in one second', async () => {
    const t = await setup();
    const id = 'https://example.org/obj/logs';
    await history(t.root, t.dir, id);
    const obj = join(t.root, objectPath(id));
    await writeFiles(join(obj, 'logs'), { 'other-tool.log': 'fixity check 2023-01-01 ok\n', 'nested/events.txt': 'ingest\n' });
    const now = new Date('2025-01-02T03:04:05Z');
    await purgeFiles(t.root, id, ['secret.jp2'], { reason: 'first request', user: META.user, now });
    const f = await writeFiles(join(t.dir, 'in2'), { 'b.jp2': 'b' });
    await commitVersion(t.root, id, [{ logicalPath: 'b.jp2', sourcePath: f['b.jp2'] }], META, { mode: 'merge' });
    await purgeFiles(t.root, id, ['b.jp2'], { reason: 'second request', user: META.user, now });
    const logs = (await readdir(join(obj, 'logs'), { recursive: true })).sort();
    expect(logs).toEqual(['nested', 'nested/events.txt', 'other-tool.log', 'purge-20250102T030405Z-2.json', 'purge-20250102T030405Z.json']);
    expect(await readFile(join(obj, 'logs/other-tool.log'), 'utf8')).toBe('fixity check 2023-01-01 ok\n');
    expect(JSON.parse(await readFile(join(obj, 'logs/purge-20250102T030405Z.json'), 'utf8')).reason).toBe('first request');
    expect(JSON.parse(await readFile(join(obj, 'logs/purge-20250102T030405Z-2.json'), 'utf8')).reason).toBe('second request');
    const v = await validateObject(obj);
    expect(v.errors).toEqual([]);
    expect(v.warnings).toEqual([]);
  });

  it('a purge of a sha256 object keeps its algorithm', async () => {
    const t = await setup();
    const { id, obj } = await sha256Object(t.root);
    const f = await writeFiles(join(t.dir, 'in'), { 'b.txt': 'second file' });
    await commitVersion(t.root, id, [{ logicalPath: 'b.txt', sourcePath: f['b.txt'] }], META, { mode: 'merge' });
    await purgeFiles(t.root, id, ['b.txt'], { reason: 'mistake', user: META.user });
    expect((await readInventory(t.root, id))!.digestAlgorithm).toBe('sha256');
    expect((await validateObject(obj)).errors).toEqual([]);
  });
});

describe('purge --stub leaves a stub an audit accepts', () => {
  it('"ocfl audit" on the old id passes: REDIRECT.json has its token', async () => {
    const t = await setup();
    const id = 'https://example.org/obj/stub-audit';
    await history(t.root, t.dir, id);
    const ledger = join(t.dir, 'ledger.jsonl');
    const io = () => {
      let out = '';
      return { io: { out: (s: string) => (out += s), err: (s: string) => (out += s) }, text: () => out };
    };
    const p = io();
    expect(await ocflCommand(['purge', t.root, id, 'secret.jp2', '--reason', 'court order', '--stub', '--new-id', `${id}-2`, '--ledger', ledger], p.io), p.text()).toBe(0);
    const a = io();
    const code = await ocflCommand(['audit', t.root, id, '--ledger', ledger], a.io);
    expect(a.text()).toMatch(/A v1\/content\/REDIRECT\.json is intact/);
    expect(code, a.text()).toBe(0);
    expect((await auditObject(t.root, `${id}-2`, new LocalIms(ledger))).ok).toBe(true);
    // The stub carries the purge record as well.
    expect((await readdir(join(t.root, objectPath(id), 'logs'))).some((n) => n.startsWith('purge-'))).toBe(true);
  });
});
