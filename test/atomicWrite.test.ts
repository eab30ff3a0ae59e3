import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEMP_FILE, tempPathFor, writeFileAtomic } from '../src/atomicWrite.js';
import { emptyCatalogue, loadCatalogue, saveCatalogue } from '../src/destinations/tape/catalogue.js';

describe('the one atomic write', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atomic-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writers racing on one file in one process each use their own temporary name; the file is one of them whole, nothing is left over', async () => {
    const path = join(dir, 'f.json');
    const bodies = Array.from({ length: 20 }, (_, i) => JSON.stringify({ writer: i, pad: 'x'.repeat(50_000 + i) }));
    await Promise.all(bodies.map((b) => writeFileAtomic(path, b)));
    expect(bodies).toContain(await readFile(path, 'utf8'));
    expect(await readdir(dir)).toEqual(['f.json']);
  });

  it('temporary names are hidden, unique and recognisable', () => {
    const a = tempPathFor(join(dir, 'catalogue.json'));
    const b = tempPathFor(join(dir, 'catalogue.json'));
    expect(a).not.toBe(b);
    for (const p of [a, b]) expect(p.slice(dir.length + 1)).toMatch(TEMP_FILE);
    expect('catalogue.json').not.toMatch(TEMP_FILE);
  });

  it('a write that fails leaves the old file as it was and no temporary file', async () => {
    const path = join(dir, 'f.json');
    await writeFile(path, 'old');
    await expect(writeFileAtomic(path, 'new', { tmpDir: join(dir, 'missing') })).rejects.toThrow();
    expect(await readFile(path, 'utf8')).toBe('old');
    expect(await readdir(dir)).toEqual(['f.json']);
  });

  it('the tape catalogue saved twice at once (one process) is never lost or half-written', async () => {
    // With one fixed temporary name per process the second rename found nothing (ENOENT).
    const path = join(dir, 'catalogue.json');
    await Promise.all(Array.from({ length: 8 }, () => saveCatalogue(path, emptyCatalogue())));
    expect((await loadCatalogue(path)).tapes).toEqual([]);
    expect(await readdir(dir)).toEqual(['catalogue.json']);
  });
});
