/** Folder discovery on real directory trees in a temp dir. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { componentIdFromFolderName, discoverFolders } from '../../src/collection/discover.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'discover-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function file(rel: string, bytes = 10) {
  const p = join(root, rel);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, Buffer.alloc(bytes));
}

describe('componentIdFromFolderName', () => {
  it('re-pads the box to three digits and keeps the folder part', () => {
    expect(componentIdFromFolderName('HBF_001_02', 'HBF')).toBe('HBF_001_02');
    expect(componentIdFromFolderName('HBF_1_02', 'HBF')).toBe('HBF_001_02');
    expect(componentIdFromFolderName('HBF_0012_7', 'HBF')).toBe('HBF_012_7');
    expect(componentIdFromFolderName('My-Coll.2_3_01', 'My-Coll.2')).toBe('My-Coll.2_003_01');
  });
  it('rejects names of another collection, case included', () => {
    expect(() => componentIdFromFolderName('ABC_001_01', 'HBF')).toThrow('Folder "ABC_001_01" does not belong to collection HBF: its name must begin with "HBF_" (case matters).');
    expect(() => componentIdFromFolderName('hbf_001_01', 'HBF')).toThrow(/does not belong to collection HBF/);
  });
  it("keeps a box part with letters as the original did (8dacb3c: lstrip('0') then zfill(3))", () => {
    expect(componentIdFromFolderName('HaleGE_0B_03', 'HaleGE')).toBe('HaleGE_00B_03');
    expect(componentIdFromFolderName('HBF_A1_01', 'HBF')).toBe('HBF_0A1_01');
    expect(componentIdFromFolderName('HBF_000_01', 'HBF')).toBe('HBF_000_01');
  });
  it('rejects names with too many or too few parts, or a box with other characters', () => {
    expect(() => componentIdFromFolderName('HBF_001_01_extra', 'HBF')).toThrow('Folder "HBF_001_01_extra" is not named HBF_<box>_<folder>, for example HBF_001_01: after the collection ID it must have exactly a box and a folder part. Rename it.');
    expect(() => componentIdFromFolderName('HBF_001', 'HBF')).toThrow(/exactly a box and a folder part/);
    expect(() => componentIdFromFolderName('HBF_A.1_01', 'HBF')).toThrow('Folder "HBF_A.1_01" has a box part "A.1" with characters other than letters and digits.');
  });
});

describe('discoverFolders', () => {
  it('lists folders and TIFFs in sorted order with sequence and size, other files apart', async () => {
    file('HBF/HBF_001_02/HBF_001_02_0002.tif', 20);
    file('HBF/HBF_001_02/HBF_001_02_0001.tif', 30);
    file('HBF/HBF_001_02/HBF_001_02_10.TIFF', 5);
    file('HBF/HBF_001_02/notes.txt');
    file('HBF/HBF_001_02/.DS_Store');
    file('HBF/HBF_001_01/HBF_001_01_0001.tiff');
    const { folders, problems } = await discoverFolders(join(root, 'HBF'), 'HBF');
    expect(problems).toEqual([]);
    expect(folders.map((f) => f.name)).toEqual(['HBF_001_01', 'HBF_001_02']);
    const f = folders[1];
    expect(f.componentId).toBe('HBF_001_02');
    expect(f.images.map((i) => [i.name, i.stem, i.sequence, i.bytes])).toEqual([
      ['HBF_001_02_0001.tif', 'HBF_001_02_0001', '0001', 30],
      ['HBF_001_02_0002.tif', 'HBF_001_02_0002', '0002', 20],
      ['HBF_001_02_10.TIFF', 'HBF_001_02_10', '0010', 5],
    ]);
    expect(f.otherFiles).toEqual([join(root, 'HBF/HBF_001_02/notes.txt')]);
  });

  it('skips empty folders and reports every misfit as a problem', async () => {
    mkdirSync(join(root, 'HBF/HBF_001_03'), { recursive: true });
    file('HBF/HBF_001_01/HBF_001_01_0001.tif');
    file('HBF/ABC_001_01/ABC_001_01_0001.tif');
    file('HBF/stray.tif');
    file('HBF/HBF_001_01/sub/x.tif');
    file('HBF/HBF_001_04/scan.tif');
    const { folders, problems } = await discoverFolders(join(root, 'HBF'), 'HBF');
    expect(folders.map((f) => f.name)).toEqual(['HBF_001_01', 'HBF_001_04']);
    expect(problems).toEqual([
      { path: join(root, 'HBF/ABC_001_01'), message: expect.stringContaining('does not belong to collection HBF') },
      { path: join(root, 'HBF/HBF_001_01/sub'), message: 'Subfolder "sub" inside folder HBF_001_01 is ignored; folders hold files only.' },
      { path: join(root, 'HBF/HBF_001_03'), message: 'Folder "HBF_001_03" is empty and is skipped.' },
      { path: join(root, 'HBF/HBF_001_04/scan.tif'), message: 'Image "scan.tif" is not named HBF_001_04_<sequence>.tif; its sequence is taken as "scan".' },
      { path: join(root, 'HBF/stray.tif'), message: 'File "stray.tif" is outside any folder and is ignored; move it into its folder.' },
    ]);
  });

  it('says what to check when the collection folder is missing', async () => {
    await expect(discoverFolders(join(root, 'NOPE'), 'NOPE')).rejects.toThrow(`The collection folder ${join(root, 'NOPE')} does not exist. Check the collection ID (case matters)`);
  });
});
