// Moving collection folders between stages on a real file system: nothing may be lost or overwritten.
import { mkdtemp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MoveConflict, moveCollection } from '../../src/alchemist/moveCollection.js';

let root: string;
beforeEach(async () => { root = await mkdtemp(join(tmpdir(), 'move-')); });
afterEach(async () => { await rm(root, { recursive: true, force: true }); });

async function put(path: string, text: string) {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, text);
}

describe('moveCollection', () => {
  it('renames when the destination does not exist', async () => {
    await put(join(root, 'a/C/f/1.tif'), 'one');
    const r = await moveCollection(join(root, 'a/C'), join(root, 'b/C'));
    expect(r.moved).toBe(1);
    expect(await readFile(join(root, 'b/C/f/1.tif'), 'utf8')).toBe('one');
    expect(await readdir(join(root, 'a'))).toEqual([]);
  });

  it('merges into an existing destination, dropping only byte-identical duplicates', async () => {
    await put(join(root, 'a/C/f/1.tif'), 'one');
    await put(join(root, 'a/C/f/2.tif'), 'two');
    await put(join(root, 'b/C/f/1.tif'), 'one');
    await put(join(root, 'b/C/g/3.tif'), 'three');
    const r = await moveCollection(join(root, 'a/C'), join(root, 'b/C'));
    expect(r).toEqual({ moved: 1, alreadyThere: 1 });
    expect((await readdir(join(root, 'b/C/f'))).sort()).toEqual(['1.tif', '2.tif']);
    expect(await readdir(join(root, 'b/C/g'))).toEqual(['3.tif']);
    expect(await readdir(join(root, 'a'))).toEqual([]);
  });

  it('refuses to merge when a file differs, and leaves both trees untouched', async () => {
    await put(join(root, 'a/C/f/1.tif'), 'new scan');
    await put(join(root, 'a/C/f/2.tif'), 'two');
    await put(join(root, 'b/C/f/1.tif'), 'old scan');
    await expect(moveCollection(join(root, 'a/C'), join(root, 'b/C'))).rejects.toThrow(MoveConflict);
    await expect(moveCollection(join(root, 'a/C'), join(root, 'b/C'))).rejects.toThrow(/f\/1\.tif.*Compare them/);
    expect((await readdir(join(root, 'a/C/f'))).sort()).toEqual(['1.tif', '2.tif']);
    expect(await readFile(join(root, 'b/C/f/1.tif'), 'utf8')).toBe('old scan');
    expect(await readdir(join(root, 'b/C/f'))).toEqual(['1.tif']);
  });
});
