/**
 * The one way to hash: a file is read once, in 1 MiB chunks, and every digest a caller needs
 * (sha512 the OCFL content address, sha256 the fixity value S3, Chronopolis and ACE use, md5 for
 * ArchivesSpace, …) comes from that one read. Reading a large file twice costs more than hashing
 * it twice. Code that already holds the bytes as they stream past (a copy, an upload) feeds a
 * `digester` instead of reading the file again.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rm, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Blake2b } from './blake2b.js';
import { PermanentError } from './policies.js';

/**
 * The digest algorithms OCFL names: the five of the specification (sha512, sha256, sha1, md5,
 * blake2b-512) and the fixity algorithms of extension 0009 (blake2b-160/256/384, sha512/256, and
 * size, the byte count in decimal).
 */
export type DigestAlgorithm = 'sha512' | 'sha256' | 'sha1' | 'md5' | 'blake2b-512' | 'blake2b-160' | 'blake2b-256' | 'blake2b-384' | 'sha512/256' | 'size';

interface Hasher {
  update(b: Buffer): unknown;
  digest(encoding: 'hex'): string;
}

/** How each algorithm is computed: Node's hash where it has one, BLAKE2b of other lengths here. */
const MAKE: Record<DigestAlgorithm, () => Hasher> = {
  sha512: () => createHash('sha512'),
  sha256: () => createHash('sha256'),
  sha1: () => createHash('sha1'),
  md5: () => createHash('md5'),
  'blake2b-512': () => createHash('blake2b512'),
  'blake2b-160': () => new Blake2b(20),
  'blake2b-256': () => new Blake2b(32),
  'blake2b-384': () => new Blake2b(48),
  'sha512/256': () => createHash('sha512-256'),
  size: () => {
    let n = 0;
    return { update: (b: Buffer) => (n += b.length), digest: () => String(n) };
  },
};

export function isKnownAlgorithm(alg: string): alg is DigestAlgorithm {
  return Object.prototype.hasOwnProperty.call(MAKE, alg);
}

/** The digests of the algorithms asked for, lowercase hex, keyed by algorithm. */
export type Digests<A extends DigestAlgorithm> = Record<A, string>;

/** Digests of bytes fed to it in order: `update` each chunk, then `digests()` once at the end. */
export interface Digester<A extends DigestAlgorithm> {
  update(chunk: Buffer): void;
  readonly bytes: number;
  digests(): Digests<A>;
}

export function digester<A extends DigestAlgorithm>(algorithms: readonly A[]): Digester<A> {
  const hashes = [...new Set(algorithms)].map((a) => [a, MAKE[a]()] as const);
  let bytes = 0;
  return {
    update(chunk) {
      bytes += chunk.length;
      for (const [, h] of hashes) h.update(chunk);
    },
    get bytes() {
      return bytes;
    },
    digests: () => Object.fromEntries(hashes.map(([a, h]) => [a, h.digest('hex')])) as Digests<A>,
  };
}

/**
 * Reads a file once, returning the byte count and the digests of every algorithm asked for
 * (lowercase hex). `onChunk` sees every chunk too, for a caller that needs more of the same read
 * (the S3 uploader's per-part digests).
 */
export async function hashFile<A extends DigestAlgorithm>(
  path: string,
  algorithms: readonly A[],
  onChunk?: (chunk: Buffer) => void,
): Promise<{ bytes: number; digests: Digests<A> }> {
  const d = digester(algorithms);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    d.update(chunk as Buffer);
    onChunk?.(chunk as Buffer);
  }
  return { bytes: d.bytes, digests: d.digests() };
}

/** Digest of a small string or buffer held in memory (an inventory, a token store, a TOC). */
export function sha512Hex(data: string | Buffer): string {
  return createHash('sha512').update(data).digest('hex');
}
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export class DigestMismatchError extends PermanentError {
  constructor(
    readonly file: string,
    readonly algorithm: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `${file}: ${algorithm} is ${actual} but ${expected} was expected. The file changed or was damaged ` +
        `after its digest was computed; remake it from the original, then run again (a retry alone cannot help).`,
    );
  }
}

/**
 * Copies `src` to `dst` reading it once, computing sha512 and sha256 on the way, fsyncs the copy,
 * and compares with the expected digests (case-insensitively). On a mismatch the copy is removed
 * and a DigestMismatchError names the file. Memory use is one 1 MiB buffer whatever the size.
 */
export async function copyWithDigests(
  src: string,
  dst: string,
  expected?: { sha512?: string; sha256?: string },
): Promise<{ bytes: number; sha512: string; sha256: string }> {
  await mkdir(dirname(dst), { recursive: true });
  const d = digester(['sha512', 'sha256']);
  const input = await open(src, 'r').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw new PermanentError(`${src} does not exist; it was moved or deleted before it could be preserved. Run the folder again.`);
    throw err;
  });
  let output;
  try {
    output = await open(dst, 'wx');
  } catch (err) {
    await input.close();
    throw err;
  }
  let bytes = 0;
  try {
    // Two buffers: hash and write one while the next read fills the other.
    const size = 1 << 20;
    const bufs = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
    let i = 0;
    let pendingWrite: Promise<unknown> = Promise.resolve();
    for (;;) {
      const buf = bufs[i];
      const { bytesRead } = await input.read(buf, 0, size, null);
      if (bytesRead === 0) break;
      const slice = buf.subarray(0, bytesRead);
      d.update(slice);
      await pendingWrite;
      pendingWrite = writeAll(output, slice);
      bytes += bytesRead;
      i ^= 1;
    }
    await pendingWrite;
    await output.sync();
  } catch (err) {
    await output.close().catch(() => {});
    await input.close().catch(() => {});
    await rm(dst, { force: true });
    throw err;
  }
  await output.close();
  await input.close();
  const result = { bytes, ...d.digests() };
  for (const alg of ['sha512', 'sha256'] as const) {
    const want = expected?.[alg];
    if (want && want.toLowerCase() !== result[alg]) {
      await rm(dst, { force: true });
      throw new DigestMismatchError(src, alg, want.toLowerCase(), result[alg]);
    }
  }
  return result;
}

async function writeAll(fh: FileHandle, data: Buffer): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off);
    off += bytesWritten;
  }
}

