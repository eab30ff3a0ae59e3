/**
 * A file is read from disk once per upload: the checksums S3 is sent and checked against come from
 * the bytes as they are read to be sent, and the digests known beforehand (OCFL inventory, image
 * record) are compared with those bytes, never computed in a read of their own. Reads are counted
 * with /proc/self/io (the S3 server, fauxqs, runs in a child process). Real S3 client and server.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { S3Destination } from '../../../src/destinations/s3/index.js';
import { SendProgress } from '../../../src/destinations/s3/progress.js';
import { BufferPool } from '../../../src/destinations/s3/slots.js';
import { compositeOf, Uploader, type SendSpec } from '../../../src/destinations/s3/uploader.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { bytesReadBy, canCountReads } from '../../support/bytesRead.js';
import { fauxqsTarget, type Target } from './targets.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';

const MB = 1000 * 1000;
const MiB = 1024 * 1024;
const SIZE = 50 * MB;
/** One part: fauxqs takes request bodies up to 11 MiB. */
const ONE_PART = 10 * MB;

describe.skipIf(!canCountReads)('S3 upload reads a file once', () => {
  let t: Target;
  let dir: string;
  beforeEach(async () => {
    t = await fauxqsTarget();
    dir = await mkdtemp(join(tmpdir(), 'distillery-s3once-'));
  });
  afterEach(async () => {
    await t.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /** An uploader as the destination makes it, with `partSize` parts and `slots` buffers. */
  function uploader(partSize: number, slots: number): Uploader {
    const dest = new S3Destination({ ...t.connection, storageRoot: dir, partSizeBytes: partSize, queueSize: slots });
    return new Uploader(dest.client, t.connection.bucket, t.connection.region, new BufferPool(partSize, slots));
  }
  const scope = () => ({ reporter: new MemoryReporter() });
  const progress = () => new SendProgress(new MemoryReporter(), SIZE, 1);
  async function file(name: string, size = SIZE): Promise<{ path: string; data: Buffer; sha256: string; sha512: string }> {
    const data = randomBytes(size);
    const path = join(dir, name);
    await writeFile(path, data);
    return { path, data, sha256: createHash('sha256').update(data).digest('hex'), sha512: createHash('sha512').update(data).digest('hex') };
  }
  const head = (key: string) => t.client.send(new HeadObjectCommand({ Bucket: t.connection.bucket, Key: key, ChecksumMode: 'ENABLED' }));

  test('a one-part file with no digest known, over different bytes of its size in the bucket: read once, sent and verified', async () => {
    const up = uploader(11 * MiB, 1);
    const key = 'ocfl/big.json';
    const before = await file('before.bin', ONE_PART);
    const spec = (path: string): SendSpec => ({ localPath: path, key, bytes: ONE_PART, storageClass: 'STANDARD' });
    await up.send(spec(before.path), scope(), progress());
    const now = await file('now.bin', ONE_PART);
    const { result, read } = await bytesReadBy(() => up.send(spec(now.path), scope(), progress()));
    expect(result).toMatchObject({ outcome: 'sent', sha256: now.sha256 });
    expect(read).toBeGreaterThanOrEqual(ONE_PART);
    expect(read).toBeLessThan(ONE_PART + 2 * MB);
    expect((await head(key)).ChecksumSHA256).toBe(Buffer.from(now.sha256, 'hex').toString('base64'));

    // The same bytes already there: read once to know it, nothing sent.
    const again = await bytesReadBy(() => up.send(spec(now.path), scope(), progress()));
    expect(again.result.outcome).toBe('skipped');
    expect(again.read).toBeLessThan(ONE_PART + 2 * MB);
  });

  test('a 50 MB multipart file with its digests known, over different bytes of its size: read once, composite SHA-256 of the parts read verified, whole-file SHA-256 compared', async () => {
    const up = uploader(8 * MiB, 4);
    const key = 'ocfl/big.jp2';
    const before = await file('before.jp2');
    await up.send({ localPath: before.path, key, bytes: SIZE, sha256: before.sha256, storageClass: 'STANDARD' }, scope(), progress());
    const now = await file('now.jp2');
    const { result, read } = await bytesReadBy(() => up.send({ localPath: now.path, key, bytes: SIZE, sha256: now.sha256, sha512: now.sha512, storageClass: 'STANDARD' }, scope(), progress()));
    expect(result).toMatchObject({ outcome: 'sent', sha256: now.sha256 });
    expect(read).toBeGreaterThanOrEqual(SIZE);
    expect(read).toBeLessThan(SIZE + 2 * MB);
    const parts: Buffer[] = [];
    for (let pos = 0; pos < SIZE; pos += 8 * MiB) parts.push(createHash('sha256').update(now.data.subarray(pos, pos + 8 * MiB)).digest());
    const h = await head(key);
    expect(h.ChecksumSHA256).toBe(compositeOf(parts));
    expect(h.Metadata?.sha256).toBe(now.sha256);

    // Known digests that the bytes read do not have: read once, nothing completed at the key.
    const other = 'ocfl/other.jp2';
    const wrong = await bytesReadBy(() => up.send({ localPath: before.path, key: other, bytes: SIZE, sha256: now.sha256, storageClass: 'STANDARD' }, scope(), progress()).catch((e: Error) => e));
    expect((wrong.result as Error).message).toMatch(/does not match the digest its OCFL inventory records/);
    expect(wrong.read).toBeLessThan(SIZE + 2 * MB);
    await expect(head(other)).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
  });
});
