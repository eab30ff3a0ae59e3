/**
 * Building objects and versions through commitVersion, with real files on disk; every object
 * written is validated with the project's validator (which passes the official fixtures).
 */
import { describe, it, expect, afterEach } from 'vitest';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  commitVersion,
  readInventory,
  validateObject,
  validateStorageRoot,
  objectPath,
  stateOf,
  exportVersion,
  diffVersions,
} from '../../src/ocfl/index.js';
import { DigestMismatchError } from '../../src/hash.js';
import { FIXTURES, META, tempRoot, writeFiles } from './helpers.js';
import { existsSync } from 'node:fs';

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
async function expectValid(root: string, id: string) {
  const r = await validateObject(join(root, objectPath(id)));
  expect(r.errors).toEqual([]);
  expect(r.warnings).toEqual([]);
  return r;
}

describe('round trip of the spec example (content/spec-ex-full)', () => {
  const src = join(FIXTURES, 'content/spec-ex-full');
  it.skipIf(!existsSync(src))('builds v1..v3 whose states and manifest match the fixture object', async () => {
    const { root } = await setup();
    const expected = JSON.parse(await readFile(join(FIXTURES, 'good-objects/spec-ex-full/inventory.json'), 'utf8'));
    const id = expected.id as string;
    for (const v of ['v1', 'v2', 'v3']) {
      const dir = join(src, v);
      const files = await listRel(dir);
      const block = expected.versions[v];
      const r = await commitVersion(root, id, files.map((f) => ({ logicalPath: f, sourcePath: join(dir, f) })), {
        message: block.message,
        user: block.user,
        created: new Date(block.created),
      });
      expect(r).toMatchObject({ version: v, changed: true });
      await expectValid(root, id);
    }
    const inv = (await readInventory(root, id))!;
    for (const v of ['v1', 'v2', 'v3']) {
      const want = new Map<string, string>();
      for (const [d, paths] of Object.entries(expected.versions[v].state as Record<string, string[]>)) for (const p of paths) want.set(p, d);
      expect(stateOf(inv, v)).toEqual(want);
      expect(inv.versions[v].created).toBe(expected.versions[v].created);
    }
    // Unchanged and reinstated files are referenced, never stored twice.
    expect(inv.manifest).toEqual(expected.manifest);
  });
});

async function listRel(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listRel(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}

describe('commitVersion', () => {
  it('stores duplicate content once and lists both logical paths', async () => {
    const { dir, root } = await setup();
    const f = await writeFiles(join(dir, 'in'), { 'a.txt': 'same bytes', 'b/c.txt': 'same bytes', 'd.txt': 'other' });
    const r = await commitVersion(root, 'https://example.org/obj/dup', [
      { logicalPath: 'a.txt', sourcePath: f['a.txt'] },
      { logicalPath: 'b/c.txt', sourcePath: f['b/c.txt'] },
      { logicalPath: 'd.txt', sourcePath: f['d.txt'] },
    ], META);
    expect(r.newContentPaths).toEqual(['v1/content/a.txt', 'v1/content/d.txt']);
    const inv = (await readInventory(root, 'https://example.org/obj/dup'))!;
    expect(Object.values(inv.manifest).flat().sort()).toEqual(['v1/content/a.txt', 'v1/content/d.txt']);
    expect(Object.values(inv.versions.v1.state).find((p) => p.length === 2)?.sort()).toEqual(['a.txt', 'b/c.txt']);
    // No empty b/ directory is left behind (E024).
    expect(await readdir(join(root, r.objectPath, 'v1/content'))).toEqual(['a.txt', 'd.txt']);
    // Every content file has a sha256 fixity value (for Chronopolis and ACE).
    expect(Object.values(inv.fixity!.sha256).flat().sort()).toEqual(['v1/content/a.txt', 'v1/content/d.txt']);
    expect(inv.versions.v1.user).toEqual({ name: 'Test Archivist', address: 'mailto:archivist@example.org' });
    await expectValid(root, 'https://example.org/obj/dup');
  });

  it('makes a version for a rename-only change and none for an identical state', async () => {
    const { dir, root } = await setup();
    const id = 'https://example.org/obj/rename';
    const f = await writeFiles(join(dir, 'in'), { 'one.jp2': 'image one', 'two.jp2': 'image two' });
    await commitVersion(root, id, [{ logicalPath: 'one.jp2', sourcePath: f['one.jp2'] }, { logicalPath: 'two.jp2', sourcePath: f['two.jp2'] }], META);
    const same = await commitVersion(root, id, [{ logicalPath: 'two.jp2', sourcePath: f['two.jp2'] }, { logicalPath: 'one.jp2', sourcePath: f['one.jp2'] }], META);
    expect(same).toMatchObject({ version: 'v1', changed: false, newContentPaths: [] });
    const renamed = await commitVersion(root, id, [{ logicalPath: 'images/one.jp2', sourcePath: f['one.jp2'] }, { logicalPath: 'two.jp2', sourcePath: f['two.jp2'] }], { ...META, message: 'rename' });
    expect(renamed).toMatchObject({ version: 'v2', changed: true, newContentPaths: [] });
    const obj = join(root, renamed.objectPath);
    expect(await readdir(join(obj, 'v2'))).toEqual(['inventory.json', 'inventory.json.sha512']);
    const inv = (await readInventory(root, id))!;
    expect(diffVersions(inv, 'v1', 'v2')).toEqual({ added: [], removed: [], modified: [], renamed: [{ from: 'one.jp2', to: 'images/one.jp2' }] });
    await expectValid(root, id);
  });

  it('replaces by default, merges and removes on request, and exports any version', async () => {
    const { dir, root } = await setup();
    const id = 'https://example.org/obj/modes';
    const f = await writeFiles(join(dir, 'in'), { 'a.txt': 'A', 'b.txt': 'B', 'c.txt': 'C', 'a2.txt': 'A changed' });
    await commitVersion(root, id, [{ logicalPath: 'a.txt', sourcePath: f['a.txt'] }, { logicalPath: 'b.txt', sourcePath: f['b.txt'] }], META);
    const merged = await commitVersion(root, id, [{ logicalPath: 'c.txt', sourcePath: f['c.txt'] }], META, { mode: 'merge', remove: ['b.txt'] });
    expect(merged.version).toBe('v2');
    let inv = (await readInventory(root, id))!;
    expect([...stateOf(inv).keys()].sort()).toEqual(['a.txt', 'c.txt']);
    await commitVersion(root, id, [{ logicalPath: 'a.txt', sourcePath: f['a2.txt'] }], META);
    inv = (await readInventory(root, id))!;
    expect([...stateOf(inv).keys()]).toEqual(['a.txt']);
    expect(diffVersions(inv, 'v2', 'v3')).toEqual({ added: [], removed: ['c.txt'], modified: ['a.txt'], renamed: [] });
    const out = join(dir, 'export');
    expect(await exportVersion(root, id, out, 'v2')).toEqual(['a.txt', 'c.txt']);
    expect(await readFile(join(out, 'a.txt'), 'utf8')).toBe('A');
    await expectValid(root, id);
  });

  it('aborts the version when a file does not match the digest it was made with, naming the file', async () => {
    const { dir, root } = await setup();
    const id = 'https://example.org/obj/mismatch';
    const f = await writeFiles(join(dir, 'in'), { 'good.jp2': 'good', 'bad.jp2': 'damaged' });
    await commitVersion(root, id, [{ logicalPath: 'good.jp2', sourcePath: f['good.jp2'] }], META);
    const wrong = 'ab'.repeat(64);
    const err = await commitVersion(root, id, [
      { logicalPath: 'good.jp2', sourcePath: f['good.jp2'] },
      { logicalPath: 'bad.jp2', sourcePath: f['bad.jp2'], digests: { sha512: wrong } },
    ], META).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DigestMismatchError);
    expect((err as Error).message).toContain(f['bad.jp2']);
    expect((err as Error).message).toMatch(/sha512 is [0-9a-f]{128} but abab/);
    expect((await readInventory(root, id))!.head).toBe('v1');
    expect(await readdir(join(root, objectPath(id)))).not.toContain('v2');
    await expectValid(root, id);
  });

  it('references unchanged files by the digests supplied, without copying or reading them again', async () => {
    const { dir, root } = await setup();
    const id = 'https://example.org/obj/unchanged';
    const f = await writeFiles(join(dir, 'in'), { 'a.jp2': 'a', 'b.jp2': 'b' });
    const first = await commitVersion(root, id, [{ logicalPath: 'a.jp2', sourcePath: f['a.jp2'] }], META);
    const inv = (await readInventory(root, id))!;
    const sha512 = Object.keys(inv.manifest)[0];
    const sha256 = Object.keys(inv.fixity!.sha256)[0];
    const second = await commitVersion(root, id, [
      { logicalPath: 'a.jp2', sourcePath: f['a.jp2'], digests: { sha512, sha256 } },
      { logicalPath: 'b.jp2', sourcePath: f['b.jp2'] },
    ], META);
    expect(first.newContentPaths).toEqual(['v1/content/a.jp2']);
    expect(second.newContentPaths).toEqual(['v2/content/b.jp2']);
    // The caller's digests stand for the file: a change after they were taken is caught by the
    // file's size, inode and modification time when the caller gives them (installWithoutReading.test.ts).
    const s = await stat(f['a.jp2']);
    await writeFile(f['a.jp2'], 'A changed after its digest was taken');
    // Without them (an archivist's file), it is read and its digests checked.
    await expect(commitVersion(root, id, [{ logicalPath: 'a.jp2', sourcePath: f['a.jp2'], digests: { sha512 } }], META)).rejects.toThrow(/a\.jp2: sha512 is/);
    const made = { bytes: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
    await expect(commitVersion(root, id, [{ logicalPath: 'a.jp2', sourcePath: f['a.jp2'], digests: { sha512 }, made }], META)).rejects.toThrow(/a\.jp2 changed after its digests were computed/);
    await expect(commitVersion(root, id, [{ logicalPath: 'a.jp2', sourcePath: join(dir, 'in/gone.jp2'), digests: { sha512 } }], META)).rejects.toThrow(/gone\.jp2 does not exist/);
  });

  it('rejects bad and conflicting logical paths with what to do', async () => {
    const { dir, root } = await setup();
    const f = await writeFiles(join(dir, 'in'), { 'a.txt': 'A' });
    const id = 'https://example.org/obj/paths';
    await expect(commitVersion(root, id, [{ logicalPath: '../a.txt', sourcePath: f['a.txt'] }], META)).rejects.toThrow(/cannot be a path in an OCFL object/);
    await expect(commitVersion(root, id, [{ logicalPath: '/a.txt', sourcePath: f['a.txt'] }], META)).rejects.toThrow(/leading-or-trailing-slash/);
    await expect(commitVersion(root, id, [
      { logicalPath: 'a', sourcePath: f['a.txt'] },
      { logicalPath: 'a/b', sourcePath: f['a.txt'] },
    ], META)).rejects.toThrow(/Logical paths a and a\/b conflict/);
  });

  it('writes two objects concurrently without either losing files', async () => {
    const { dir, root } = await setup();
    const f = await writeFiles(join(dir, 'in'), Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`f${i}.txt`, `file ${i}`])));
    const files = Object.entries(f).map(([k, p]) => ({ logicalPath: k, sourcePath: p }));
    await Promise.all([
      commitVersion(root, 'https://example.org/obj/c1', files.slice(0, 4), META),
      commitVersion(root, 'https://example.org/obj/c2', files.slice(4), META),
      commitVersion(root, 'https://example.org/obj/c3', files, META),
    ]);
    await Promise.all([
      commitVersion(root, 'https://example.org/obj/c1', files, META),
      commitVersion(root, 'https://example.org/obj/c2', files, META),
    ]);
    const r = await validateStorageRoot(root);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.objects).toBe(3);
    // Nothing of the workspaces is left in or beside the root.
    expect(await readdir(join(dir, 'root-distillery', 'workspace'))).toEqual([]);
  });
});

describe('validator cases git cannot hold', () => {
  it('reports an empty content dir (W003), an empty dir inside content (E024) and a missing declaration newline (E007)', async () => {
    const { dir, root } = await setup();
    const f = await writeFiles(join(dir, 'in'), { 'a.txt': 'A' });
    const id = 'https://example.org/obj/gen';
    const r = await commitVersion(root, id, [{ logicalPath: 'a.txt', sourcePath: f['a.txt'] }], META);
    const obj = join(root, r.objectPath);
    await commitVersion(root, id, [{ logicalPath: 'b.txt', sourcePath: f['a.txt'] }], META);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(obj, 'v2/content'));
    let v = await validateObject(obj);
    expect(v.valid).toBe(true);
    expect(v.warnings.map((w) => w.code)).toEqual(['W003']);
    await mkdir(join(obj, 'v1/content/empty'));
    v = await validateObject(obj);
    expect(v.errors.map((e) => e.code)).toContain('E024');
    await writeFile(join(obj, '0=ocfl_object_1.1'), 'ocfl_object_1.1');
    v = await validateObject(obj);
    expect(v.errors.map((e) => e.code)).toContain('E007');
  });

  it('reports a storage root without declaration (E069), a stray file (E072) and an empty directory (E073)', async () => {
    const { dir, root } = await setup();
    const f = await writeFiles(join(dir, 'in'), { 'a.txt': 'A' });
    const r = await commitVersion(root, 'https://example.org/obj/sr', [{ logicalPath: 'a.txt', sourcePath: f['a.txt'] }], META);
    const { mkdir, rm } = await import('node:fs/promises');
    await writeFile(join(root, r.objectPath.split('/')[0], 'stray.txt'), 'x');
    await mkdir(join(root, 'abc', 'def'), { recursive: true });
    let v = await validateStorageRoot(root);
    expect(v.errors.map((e) => e.code).sort()).toEqual(['E072', 'E073']);
    expect(v.errors.find((e) => e.code === 'E072')!.path).toContain('stray.txt');
    await rm(join(root, '0=ocfl_1.1'));
    v = await validateStorageRoot(root);
    expect(v.errors.map((e) => e.code)).toContain('E069');
    expect((await stat(join(root, r.objectPath))).isDirectory()).toBe(true);
  });
});
