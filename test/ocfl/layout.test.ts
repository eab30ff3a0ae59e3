import { describe, it, expect, afterEach } from 'vitest';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { objectPath, ensureStorageRoot, validateStorageRoot } from '../../src/ocfl/index.js';
import { tempRoot, writeFiles } from './helpers.js';

describe('0004 hashed n-tuple layout', () => {
  it('maps the extension specification examples', () => {
    expect(objectPath('object-01')).toBe('3c0/ff4/240/3c0ff4240c1e116dba14c7627f2319b58aa3d77606d0d90dfc6161608ac987d4');
    expect(objectPath('..hor/rib:le-$id')).toBe('487/326/d8c/487326d8c2a3c0b885e23da1469b4d6671fd4e76978924b4443e9e3c316cda6d');
  });
});

describe('ensureStorageRoot', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => cleanup?.());

  it('creates a self-describing, valid storage root and is idempotent', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    await ensureStorageRoot(t.root);
    await ensureStorageRoot(t.root);
    expect(await readFile(join(t.root, '0=ocfl_1.1'), 'utf8')).toBe('ocfl_1.1\n');
    expect(JSON.parse(await readFile(join(t.root, 'ocfl_layout.json'), 'utf8')).extension).toBe('0004-hashed-n-tuple-storage-layout');
    const config = JSON.parse(await readFile(join(t.root, 'extensions/0004-hashed-n-tuple-storage-layout/config.json'), 'utf8'));
    expect(config).toMatchObject({ extensionName: '0004-hashed-n-tuple-storage-layout', digestAlgorithm: 'sha256', tupleSize: 3, numberOfTuples: 3, shortObjectRoot: false });
    expect((await readdir(t.root)).sort()).toEqual(['0=ocfl_1.1', 'extensions', 'ocfl_layout.json']);
    const r = await validateStorageRoot(t.root);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it('lets several writers create the same root at once, each finding it valid', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    await Promise.all(Array.from({ length: 8 }, () => ensureStorageRoot(t.root)));
    expect((await readdir(t.root)).sort()).toEqual(['0=ocfl_1.1', 'extensions', 'ocfl_layout.json']);
    expect((await validateStorageRoot(t.root)).errors).toEqual([]);
  });

  it('completes a root whose creation stopped before its declaration (a crash), but not one with anything else', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    await writeFiles(t.root, { 'extensions/0004-hashed-n-tuple-storage-layout/config.json': '{"extensionName": "0004-hashed-n-tuple-storage-layout"', 'ocfl_layout.json': '' });
    await ensureStorageRoot(t.root);
    expect((await readdir(t.root)).sort()).toEqual(['0=ocfl_1.1', 'extensions', 'ocfl_layout.json']);
    const r = await validateStorageRoot(t.root);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);

    const other = await tempRoot();
    try {
      await writeFiles(other.root, { 'extensions/something-else/config.json': '{}' });
      await expect(ensureStorageRoot(other.root)).rejects.toThrow(/is not empty and is not an OCFL storage root/);
    } finally {
      await other.cleanup();
    }
  });

  it('refuses a folder that has other things in it', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    await writeFiles(t.root, { 'notes.txt': 'x' });
    await expect(ensureStorageRoot(t.root)).rejects.toThrow(/is not empty and is not an OCFL storage root/);
  });

  it('refuses a storage root with another layout', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    await writeFiles(t.root, { '0=ocfl_1.1': 'ocfl_1.1\n', 'ocfl_layout.json': JSON.stringify({ extension: '0002-flat-direct-storage-layout', description: 'flat' }) });
    await expect(ensureStorageRoot(t.root)).rejects.toThrow(/uses the storage layout 0002-flat-direct-storage-layout/);
  });
});
