/**
 * "Versions without the payload at hand": once destinations hold an object's payload, the local
 * copy is removed and later versions are built from the inventories alone.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { commitVersion, readInventory, validateObject, objectPath, removeLocalPayload, filesToSend, payloadHeldElsewhere, exportVersion } from '../../src/ocfl/index.js';
import { META, tempRoot, writeFiles } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('payload held elsewhere', () => {
  it('lists a version\'s files payload first and the root sidecar last', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const id = 'https://example.org/obj/send';
    const f = await writeFiles(join(t.dir, 'in'), { 'b.jp2': 'bee', 'a.jp2': 'ay', 'meta.json': '{}' });
    await commitVersion(t.root, id, [{ logicalPath: 'a.jp2', sourcePath: f['a.jp2'] }], META);
    await commitVersion(t.root, id, Object.entries(f).map(([k, p]) => ({ logicalPath: k, sourcePath: p })), META);
    const list = await filesToSend(t.root, id, 'v2');
    expect(list.map((x) => x.path)).toEqual([
      'v2/content/b.jp2',
      'v2/content/meta.json',
      'v2/inventory.json',
      'v2/inventory.json.sha512',
      '0=ocfl_object_1.1',
      'inventory.json',
      'inventory.json.sha512',
    ]);
    expect(list[0]).toMatchObject({ kind: 'payload', bytes: 3 });
    expect(list[0].sha512).toMatch(/^[0-9a-f]{128}$/);
    expect(list[0].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(list.at(-1)!.kind).toBe('metadata');
    await expect(filesToSend(t.root, id, 'v9')).rejects.toThrow(/has no version v9/);
  });

  it('builds the next version from the inventory alone after the payload is removed', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const id = 'https://example.org/obj/remote';
    const f = await writeFiles(join(t.dir, 'in'), { 'a.jp2': 'image a', 'b.jp2': 'image b', 'c.jp2': 'image c' });
    await commitVersion(t.root, id, [{ logicalPath: 'a.jp2', sourcePath: f['a.jp2'] }, { logicalPath: 'b.jp2', sourcePath: f['b.jp2'] }], META);
    const obj = join(t.root, objectPath(id));
    await removeLocalPayload(t.root, id);
    expect(await payloadHeldElsewhere(t.root, id)).toBe(true);
    expect(await readdir(join(obj, 'v1'))).toEqual(['inventory.json', 'inventory.json.sha512']);

    // Validation checks structure and inventories and says the payload is held elsewhere.
    let v = await validateObject(obj);
    expect(v.errors).toEqual([]);
    expect(v.notes.map((n) => n.code)).toEqual(['I-PAYLOAD-ELSEWHERE']);
    // Without the marker the same object is (rightly) reported as missing files.
    const strict = await validateObject(obj, { payloadElsewhere: new Set() });
    expect(strict.errors.map((e) => e.code)).toContain('E092');

    const inv = (await readInventory(t.root, id))!;
    const aDigest = Object.entries(inv.manifest).find(([, p]) => p[0] === 'v1/content/a.jp2')![0];
    // a.jp2 unchanged (known by digest), b.jp2 removed, c.jp2 new.
    const r = await commitVersion(t.root, id, [
      { logicalPath: 'a.jp2', sourcePath: f['a.jp2'], digests: { sha512: aDigest } },
      { logicalPath: 'c.jp2', sourcePath: f['c.jp2'] },
    ], META);
    expect(r).toMatchObject({ version: 'v2', changed: true, newContentPaths: ['v2/content/c.jp2'] });
    v = await validateObject(obj);
    expect(v.errors).toEqual([]);
    expect(v.notes.map((n) => n.code)).toEqual(['I-PAYLOAD-ELSEWHERE']);
    expect((await stat(join(obj, 'v2/content/c.jp2'))).size).toBe(7);
    await expect(filesToSend(t.root, id, 'v1')).rejects.toThrow(/not on this disk/);
    await expect(exportVersion(t.root, id, join(t.dir, 'out'), 'v1')).rejects.toThrow(/payload held elsewhere/);
    expect((await filesToSend(t.root, id, 'v2')).map((x) => x.path)[0]).toBe('v2/content/c.jp2');
  });
});
