/**
 * A file Distillery made (a JP2, whose digests were computed when it was verified) is installed in
 * the OCFL object without its bytes being read again: by a hard link where the working file and
 * the storage root share a file system, by a copy with its digests verified where they do not;
 * unchanged content is referenced by the digests given. A working file changed after its digests
 * were computed is refused and nothing is installed. Reads are counted with /proc/self/io.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commitVersion, objectPath, readInventory, validateObject, type MadeFile } from '../../src/ocfl/index.js';
import { workspacePath } from '../../src/ocfl/companion.js';
import { bytesReadBy, canCountReads } from '../support/bytesRead.js';
import { META, tempRoot } from './helpers.js';

const MB = 1000 * 1000;
let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
async function setup() {
  const t = await tempRoot();
  cleanups.push(t.cleanup);
  return t;
}

/** A JP2 stand-in as the conversion leaves it: bytes, their digests, and the file's facts taken before hashing. */
async function madeFile(path: string, bytes: number) {
  const data = randomBytes(bytes);
  await writeFile(path, data);
  // An earlier modification time, so a later write always shows whatever the clock's granularity.
  await utimes(path, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
  const s = await stat(path);
  const made: MadeFile = { bytes: s.size, mtimeMs: s.mtimeMs, ino: s.ino };
  const digests = { sha512: createHash('sha512').update(data).digest('hex'), sha256: createHash('sha256').update(data).digest('hex') };
  return { data, made, digests };
}

describe.skipIf(!canCountReads)('OCFL install of a file with the digests it was made with', () => {
  it('links a 20 MB JP2 into the version: none of it is read, the content file is the working file, the inventory holds its digests', async () => {
    const { dir, root } = await setup();
    const jp2 = join(dir, 'work', 'A_0001-LOSSLESS.jp2');
    await mkdir(join(dir, 'work'));
    const { made, digests } = await madeFile(jp2, 20 * MB);
    const id = 'https://example.org/obj/linked';
    const { result, read } = await bytesReadBy(() => commitVersion(root, id, [{ logicalPath: 'images/A_0001.jp2', sourcePath: jp2, digests, made }], META));
    expect(result.newContentPaths).toEqual(['v1/content/images/A_0001.jp2']);
    expect(read).toBeLessThan(1 * MB);
    const content = join(root, objectPath(id), 'v1/content/images/A_0001.jp2');
    expect(statSync(content).ino).toBe(made.ino);
    expect(existsSync(jp2)).toBe(true); // the working JP2 stays for reruns and the access step
    const inv = (await readInventory(root, id))!;
    expect(inv.manifest).toEqual({ [digests.sha512]: ['v1/content/images/A_0001.jp2'] });
    expect(inv.fixity?.sha256).toEqual({ [digests.sha256]: ['v1/content/images/A_0001.jp2'] });
    const v = await validateObject(join(root, objectPath(id))); // reads the content: it matches the digests
    expect(v.errors).toEqual([]);
  });

  it('references unchanged content by the digests given without reading it', async () => {
    const { dir, root } = await setup();
    const jp2 = join(dir, 'A_0001-LOSSLESS.jp2');
    const { made, digests } = await madeFile(jp2, 20 * MB);
    const id = 'https://example.org/obj/unchanged-not-read';
    // The first version by copy (no facts given), so the second cannot find the bytes through a link either.
    await commitVersion(root, id, [{ logicalPath: 'A_0001.jp2', sourcePath: jp2 }], META);
    await writeFile(join(dir, 'note.txt'), 'a second version');
    const { result, read } = await bytesReadBy(() =>
      commitVersion(root, id, [
        { logicalPath: 'A_0001.jp2', sourcePath: jp2, digests, made },
        { logicalPath: 'note.txt', sourcePath: join(dir, 'note.txt') },
      ], META),
    );
    expect(result).toMatchObject({ version: 'v2', newContentPaths: ['v2/content/note.txt'] });
    expect(read).toBeLessThan(1 * MB);
  });

  it('copies with digests verified where the working file is on another file system (/dev/shm), and refuses a copy that does not match', async () => {
    const { root } = await setup();
    const shm = await mkdtemp('/dev/shm/distillery-jp2-');
    cleanups.push(() => rm(shm, { recursive: true, force: true }));
    await mkdir(root, { recursive: true });
    // The fault (a link across file systems) must really happen here: the two are different devices.
    expect(statSync(shm).dev).not.toBe(statSync(root).dev);
    const jp2 = join(shm, 'A_0001-LOSSLESS.jp2');
    const { data, made, digests } = await madeFile(jp2, 3 * MB);
    const id = 'https://example.org/obj/across';
    const r = await commitVersion(root, id, [{ logicalPath: 'A_0001.jp2', sourcePath: jp2, digests, made }], META);
    const content = join(root, objectPath(id), r.newContentPaths[0]);
    expect(statSync(content).ino).not.toBe(made.ino);
    expect((await readFile(content)).equals(data)).toBe(true);
    expect((await validateObject(join(root, objectPath(id)))).errors).toEqual([]);

    // Digests that do not match the bytes are caught by the verifying copy.
    const other = join(shm, 'B_0001-LOSSLESS.jp2');
    const b = await madeFile(other, 1 * MB);
    await expect(
      commitVersion(root, id, [{ logicalPath: 'B_0001.jp2', sourcePath: other, digests: { ...b.digests, sha512: digests.sha512.replace(/^./, (c) => (c === '0' ? '1' : '0')) }, made: b.made }], META, { mode: 'merge' }),
    ).rejects.toThrow(/B_0001-LOSSLESS\.jp2: sha512 is .* but .* was expected/);
    expect((await readInventory(root, id))!.head).toBe('v1');
  });

  it.each([
    ['rewritten in place with bytes of the same size', async (p: string) => {
      const fh = await open(p, 'r+');
      await fh.write(Buffer.from('changed'), 0, 7, 100);
      await fh.close();
    }, /modified at .*after it was verified/],
    ['grown', async (p: string) => writeFile(p, 'more', { flag: 'a' }), /has 2000004 bytes, 2000000 when it was verified/],
    ['replaced by another file', async (p: string) => {
      const s = await stat(p);
      await writeFile(`${p}.new`, randomBytes(s.size));
      await utimes(`${p}.new`, s.atime, s.mtime);
      await rename(`${p}.new`, p);
    }, /another file has replaced it/],
  ])('refuses a working JP2 %s after its digests were computed, with a clear message, installing nothing', async (_what, change, why) => {
    const { dir, root } = await setup();
    const jp2 = join(dir, 'A_0001-LOSSLESS.jp2');
    const { made, digests } = await madeFile(jp2, 2 * MB);
    const id = 'https://example.org/obj/changed';
    const v1 = join(dir, 'first.txt');
    await writeFile(v1, 'v1');
    await commitVersion(root, id, [{ logicalPath: 'first.txt', sourcePath: v1 }], META);
    await change(jp2);
    const err = await commitVersion(root, id, [{ logicalPath: 'A_0001.jp2', sourcePath: jp2, digests, made }], META, { mode: 'merge' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(why);
    expect((err as Error).message).toMatch(/A_0001-LOSSLESS\.jp2 changed after its digests were computed.*nothing was installed.*Run the folder again/);
    expect((await readInventory(root, id))!.head).toBe('v1');
    expect(existsSync(join(root, objectPath(id), 'v2'))).toBe(false);
    expect(await readdir(workspacePath(root)).catch(() => [])).toEqual([]);

    // Unchanged content given with the same facts is refused the same way (it is not read either).
    await commitVersion(root, id, [{ logicalPath: 'first.txt', sourcePath: v1 }, { logicalPath: 'A.jp2', sourcePath: jp2 }], META);
    const now = await stat(jp2);
    const stored = (await readInventory(root, id))!;
    const sha512 = Object.keys(stored.manifest).find((d) => stored.manifest[d][0].endsWith('A.jp2'))!;
    const facts = { bytes: now.size, mtimeMs: now.mtimeMs, ino: now.ino };
    await utimes(jp2, new Date(), new Date(now.mtimeMs + 5000));
    await expect(commitVersion(root, id, [{ logicalPath: 'B.jp2', sourcePath: jp2, digests: { sha512 }, made: facts }], META, { mode: 'merge' })).rejects.toThrow(/changed after its digests were computed/);
  });
});
