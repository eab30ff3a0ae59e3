/** Failure modes of writing versions, each with the message a person sees. */
import { describe, it, expect, afterEach } from 'vitest';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { commitVersion, objectPath, ensureStorageRoot, readInventory } from '../../src/ocfl/index.js';
import { FIXTURES, META, tempRoot, writeFiles } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('commitVersion refuses', () => {
  it('a source file that does not exist', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    await expect(commitVersion(t.root, 'https://example.org/x', [{ logicalPath: 'a.jp2', sourcePath: join(t.dir, 'gone.jp2') }], META)).rejects.toThrow(
      /gone\.jp2 does not exist; it was moved or deleted before it could be preserved/,
    );
    expect(await readInventory(t.root, 'https://example.org/x')).toBeUndefined();
  });

  it('to add to an object whose inventory no longer matches its sidecar', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const id = 'https://example.org/damaged';
    const f = await writeFiles(join(t.dir, 'in'), { 'a.txt': 'A', 'b.txt': 'B' });
    const r = await commitVersion(t.root, id, [{ logicalPath: 'a.txt', sourcePath: f['a.txt'] }], META);
    const invPath = join(t.root, r.objectPath, 'inventory.json');
    await writeFile(invPath, (await readFile(invPath, 'utf8')).replace('test version', 'edited by hand'));
    await expect(commitVersion(t.root, id, [{ logicalPath: 'b.txt', sourcePath: f['b.txt'] }], META)).rejects.toThrow(
      /inventory\.json does not match its sidecar inventory\.json\.sha512; the object is damaged or a write was interrupted/,
    );
  });

  it('a folder at the object path that is not an object', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const id = 'https://example.org/occupied';
    await ensureStorageRoot(t.root);
    await mkdir(join(t.root, objectPath(id)), { recursive: true });
    const f = await writeFiles(join(t.dir, 'in'), { 'a.txt': 'A' });
    await expect(commitVersion(t.root, id, [{ logicalPath: 'a.txt', sourcePath: f['a.txt'] }], META)).rejects.toThrow(/exists but holds no inventory\.json/);
  });

  it.skipIf(!existsSync(FIXTURES))('an OCFL 1.0 object (Distillery writes 1.1 only)', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const id = 'ark:/12345/bcd987';
    await ensureStorageRoot(t.root);
    await cp(join(FIXTURES, 'good-objects/spec-ex-full'), join(t.root, objectPath(id)), { recursive: true });
    const f = await writeFiles(join(t.dir, 'in'), { 'a.txt': 'A' });
    await expect(commitVersion(t.root, id, [{ logicalPath: 'a.txt', sourcePath: f['a.txt'] }], META)).rejects.toThrow(
      /is an OCFL object of type https:\/\/ocfl\.io\/1\.0\/spec\/#inventory; Distillery adds versions to OCFL 1\.1 objects only/,
    );
  });
});
