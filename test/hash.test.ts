import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digester, hashFile, sha256Hex, sha512Hex } from '../src/hash.js';

describe('the one file hasher', () => {
  let dir: string;
  let file: string;
  const data = Buffer.alloc(3 * (1 << 20) + 12345);
  for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hash-'));
    file = join(dir, 'f.bin');
    await writeFile(file, data);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('returns every digest asked for from one read, equal to hashing the bytes in memory', async () => {
    const chunks: number[] = [];
    const { bytes, digests } = await hashFile(file, ['sha512', 'sha256', 'md5', 'size'], (c) => chunks.push(c.length));
    expect(bytes).toBe(data.length);
    expect(digests.sha512).toBe(createHash('sha512').update(data).digest('hex'));
    expect(digests.sha256).toBe(createHash('sha256').update(data).digest('hex'));
    expect(digests.md5).toBe(createHash('md5').update(data).digest('hex'));
    expect(digests.size).toBe(String(data.length));
    // One pass: the chunks seen add up to the file exactly once.
    expect(chunks.reduce((a, b) => a + b, 0)).toBe(data.length);
  });

  it('a digester fed the same bytes in pieces gives the same digests', () => {
    const d = digester(['sha512', 'sha256']);
    d.update(data.subarray(0, 1000));
    d.update(data.subarray(1000));
    expect(d.bytes).toBe(data.length);
    expect(d.digests()).toEqual({ sha512: sha512Hex(data), sha256: sha256Hex(data) });
  });
});
