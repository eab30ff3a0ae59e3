import { describe, it, expect, afterEach } from 'vitest';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  commitVersion,
  readInventory,
  validateObject,
  validateStorageRoot,
  objectPath,
  purgeFiles,
  stateOf,
  tokenizeVersion,
  auditObject,
  LocalIms,
  removeLocalPayload,
  listObjectIds,
} from '../../src/ocfl/index.js';
import { listFiles } from '../../src/ocfl/fsutil.js';
import { META, tempRoot, writeFiles } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function history(root: string, dir: string, id: string) {
  const f = await writeFiles(join(dir, 'in'), { 'a.jp2': 'image a', 'secret.jp2': 'private letter', 'b.jp2': 'image b' });
  const file = (k: string) => ({ logicalPath: k, sourcePath: f[k] });
  await commitVersion(root, id, [file('a.jp2')], { ...META, message: 'first' });
  await commitVersion(root, id, [file('a.jp2'), file('secret.jp2')], { ...META, message: 'add letter' });
  await commitVersion(root, id, [file('a.jp2'), file('secret.jp2'), file('b.jp2')], { ...META, message: 'add b' });
  await commitVersion(root, id, [file('a.jp2'), file('b.jp2')], { ...META, message: 'drop letter' });
}

describe('purgeFiles', () => {
  it('rewrites the history without the file, keeping version numbers and saying so', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const id = 'https://example.org/obj/purge';
    await history(t.root, t.dir, id);
    const ims = new LocalIms(join(t.dir, 'ledger.jsonl'));
    await tokenizeVersion(t.root, id, 'v2', ims);
    const r = await purgeFiles(t.root, id, ['secret.jp2'], { reason: 'donor request 2024-17', user: { name: 'Head Archivist', address: 'head@example.org' }, ims });
    expect(r).toMatchObject({ purgedObjectId: id, affectedVersions: ['v2', 'v3'], removedContentFiles: 1 });
    const inv = (await readInventory(t.root, id))!;
    expect(Object.keys(inv.versions)).toEqual(['v1', 'v2', 'v3', 'v4']);
    expect([...stateOf(inv, 'v2').keys()]).toEqual(['a.jp2']);
    expect(inv.versions.v2.message).toMatch(/^add letter \[Purged on .*: 1 file\(s\) removed from this version\. Reason: donor request 2024-17\]$/);
    expect(inv.versions.v4.message).toBe('drop letter');
    const obj = join(t.root, objectPath(id));
    const files = await listFiles(obj);
    expect(files.some((p) => p.includes('secret'))).toBe(false);
    expect(files.filter((p) => p.startsWith('logs/'))).toHaveLength(1);
    const log = JSON.parse(await readFile(join(obj, files.find((p) => p.startsWith('logs/'))!), 'utf8'));
    expect(log).toMatchObject({ action: 'purge', reason: 'donor request 2024-17', affectedVersions: ['v2', 'v3'] });
    const v = await validateObject(obj);
    expect(v.errors).toEqual([]);
    expect(v.warnings).toEqual([]);
    // Tokens were remade for the new history.
    expect((await auditObject(t.root, id, ims)).ok).toBe(true);
    expect((await validateStorageRoot(t.root)).errors).toEqual([]);
  });

  it('with a stub, moves the history to a new id and leaves a pointer with the reason', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const id = 'https://example.org/obj/stubbed';
    await history(t.root, t.dir, id);
    const r = await purgeFiles(t.root, id, ['secret.jp2'], { reason: 'court order', user: { name: 'Head Archivist' }, stub: true, newId: 'https://example.org/obj/stubbed-2' });
    expect(r).toMatchObject({ purgedObjectId: 'https://example.org/obj/stubbed-2', stubObjectId: id });
    const stub = (await readInventory(t.root, id))!;
    expect(Object.keys(stub.versions)).toEqual(['v1']);
    expect(stub.versions.v1.message).toContain('moved to https://example.org/obj/stubbed-2');
    const redirect = JSON.parse(await readFile(join(t.root, objectPath(id), 'v1/content/REDIRECT.json'), 'utf8'));
    expect(redirect).toMatchObject({ redirectTo: 'https://example.org/obj/stubbed-2', reason: 'court order' });
    expect(Object.keys((await readInventory(t.root, 'https://example.org/obj/stubbed-2'))!.versions)).toHaveLength(4);
    expect(await listObjectIds(t.root)).toEqual([id, 'https://example.org/obj/stubbed-2']);
    expect((await validateStorageRoot(t.root)).errors).toEqual([]);
  });

  it('refuses without a reason, for unknown paths and when the payload is held elsewhere, leaving the object untouched', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const id = 'https://example.org/obj/refuse';
    await history(t.root, t.dir, id);
    const before = await listFiles(join(t.root, objectPath(id)));
    await expect(purgeFiles(t.root, id, ['secret.jp2'], { reason: ' ', user: META.user })).rejects.toThrow(/needs a reason/);
    await expect(purgeFiles(t.root, id, ['nothing.jp2'], { reason: 'x', user: META.user })).rejects.toThrow(/never held nothing\.jp2/);
    await removeLocalPayload(t.root, id);
    await expect(purgeFiles(t.root, id, ['secret.jp2'], { reason: 'x', user: META.user })).rejects.toThrow(/held elsewhere/);
    expect((await listFiles(join(t.root, objectPath(id)))).filter((p) => !p.includes('/content/'))).toEqual(before.filter((p) => !p.includes('/content/')));
    expect(await readdir(join(t.dir, 'root-distillery', 'workspace'))).toEqual([]);
  });
});
