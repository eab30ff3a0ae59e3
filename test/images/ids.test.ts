// Real registry file on disk.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ID_PATTERN, ImageIdRegistry } from '../../src/images/index.js';

let dir: string;
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'distillery-ids-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

describe('ImageIdRegistry', () => {
  it('gives each source one id, unique, kept across reopening, even when asked concurrently', async () => {
    const file = join(dir, 'sub', 'ids.json');
    const reg = await ImageIdRegistry.open(file);
    const keys = Array.from({ length: 200 }, (_, i) => `F_001_01/F_001_01_${i}.tif`);
    const ids = await Promise.all([...keys, ...keys].map((k) => reg.idFor(k)));
    expect(ids.slice(0, 200)).toEqual(ids.slice(200));
    expect(new Set(ids).size).toBe(200);
    ids.forEach((id) => expect(id).toMatch(ID_PATTERN));
    const again = await ImageIdRegistry.open(file);
    expect(await again.idFor(keys[7])).toBe(ids[7]);
    expect(Object.keys(JSON.parse(await readFile(file, 'utf8')))).toHaveLength(200);
  });

  it('refuses a damaged registry instead of starting afresh', async () => {
    await writeFile(join(dir, 'bad.json'), '{"a": "abcd_');
    await expect(ImageIdRegistry.open(join(dir, 'bad.json'))).rejects.toThrow(/^cannot read the image id registry .*bad\.json: .*Restore it from backup: ids in it must never be reused\.$/);
  });
});
