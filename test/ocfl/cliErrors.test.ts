// `distillery ocfl` says what is wrong with what it was given, takes a folder's component id for
// its object, and explains its audit: real storage roots made by commitVersion in a temp folder.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ocflCommand } from '../../src/ocfl/cli.js';
import { commitVersion } from '../../src/ocfl/index.js';
import { META, tempRoot, writeFiles } from './helpers.js';

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

const ID = 'https://aspace.example.edu/repositories/2/archival_objects/7';

async function folderObject() {
  const t = await tempRoot();
  cleanup = t.cleanup;
  const f = await writeFiles(join(t.dir, 'in'), { 'a.jp2': 'image a', 'DEMO_001_01.json': '{}', 'DEMO.json': '{"collection": true}' });
  await commitVersion(t.root, ID, [
    { logicalPath: 'DEMO-s01/DEMO_001_01-Folder/DEMO_001_01_0001/a.jp2', sourcePath: f['a.jp2'] },
    { logicalPath: 'DEMO-s01/DEMO_001_01-Folder/DEMO_001_01.json', sourcePath: f['DEMO_001_01.json'] },
    { logicalPath: 'DEMO.json', sourcePath: f['DEMO.json'] },
  ], META);
  return t;
}

describe('distillery ocfl with a wrong root', () => {
  it('a missing path, an s3:// address or a folder that is not a storage root: a message and exit 1, never silence and 0', async () => {
    const t = await folderObject();
    const missing = await run('ls', join(t.dir, 'nowhere'));
    expect(missing).toMatchObject({ code: 1, out: '' });
    expect(missing.err).toContain(`There is no ${join(t.dir, 'nowhere')}: give the path of the OCFL storage root`);

    const s3 = await run('ls', 's3://distillery-preservation/ocfl');
    expect(s3.code).toBe(1);
    expect(s3.err).toContain('s3://distillery-preservation/ocfl is an S3 address; ocfl commands read a local OCFL storage root');

    const other = join(t.dir, 'other');
    await mkdir(other);
    await writeFile(join(other, 'notes.txt'), 'x');
    const notRoot = await run('show', other, ID);
    expect(notRoot.code).toBe(1);
    expect(notRoot.err).toContain(`${other} is not an OCFL storage root`);
    expect((await run('audit', other, ID)).code).toBe(1);

    const unknown = await run('show', t.root, 'NOSUCH_001_01');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain(`There is no object NOSUCH_001_01 in ${t.root}`);
    expect(unknown.err).toContain(`distillery ocfl ls ${t.root}`);
  });
});

describe('distillery ocfl with a component id', () => {
  it('show and audit find the object of the folder DEMO_001_01; audit prints a legend and totals', async () => {
    const t = await folderObject();
    const show = await run('show', t.root, 'DEMO_001_01');
    expect(show.code, show.err).toBe(0);
    expect(show.out).toContain(`object  ${ID}\n`);
    expect((await run('tokens', t.root, 'DEMO_001_01')).code).toBe(0);
    const audit = await run('audit', t.root, 'DEMO_001_01');
    expect(audit.code, audit.err).toBe(0);
    expect(audit.out).toContain('legend: A intact — the file matches its digests');
    expect(audit.out).toContain('C corrupt — the file does not match its recorded digests');
    expect(audit.out).toMatch(/totals: 3 file\(s\) — 3 intact \(A\), 0 corrupt \(C\), 0 missing \(M\), 0 without token \(T\), 0 not provable \(I\)\naudit passed\n$/);
  });
});
