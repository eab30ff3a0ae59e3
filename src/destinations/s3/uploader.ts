/**
 * Sends one local file to one key, once: a file is read a single time, in part-sized chunks from
 * a shared buffer pool, and hashed while it is read (SHA-256 of the whole file and of each part,
 * and SHA-512 when the inventory gives one to check the staging copy against). The digests known
 * beforehand (the inventory's, the image record's) are compared with the bytes read, never
 * computed in a read of their own; whether the bucket already holds the file is decided from them
 * without reading, or, for a one-part file with none, from the bytes read to send it. Only a file
 * of several parts with no digest known, over an object of its size, is hashed before it is sent
 * (Distillery's payload always has its SHA-256 in the inventory). Every request
 * carries its SHA-256, which S3 checks on receipt (BadDigest otherwise); afterwards HeadObject
 * with checksum mode must show the checksum computed here, or the file fails.
 *
 * Multipart uploads use COMPOSITE SHA-256 (the checksum of the part checksums, "-N"): it is the
 * same algorithm as single-part uploads and as the OCFL sha256 fixity, S3-compatible stores
 * support it, and it is computed from the very buffers sent. The whole-file SHA-256 is kept as
 * user metadata `sha256` so a rerun can recognise the object from the inventory alone.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import { digester, hashFile } from '../../hash.js';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PermanentError, policies, timeoutAdvice, withRetry, type RetryPolicy } from '../../policies.js';
import type { Reporter } from '../../runs/reporter.js';
import { ChecksumMismatchError, describeS3Error, RetryableS3Error } from './errors.js';
import type { SendProgress } from './progress.js';
import type { StorageClass } from './settings.js';
import type { BufferPool } from './slots.js';

export interface SendSpec {
  localPath: string;
  key: string;
  bytes: number;
  /** Lower-case hex digests known beforehand (inventory, image record); checked while reading. */
  sha256?: string;
  sha512?: string;
  storageClass: StorageClass;
}

export interface SendResult {
  key: string;
  outcome: 'sent' | 'skipped';
  bytes: number;
  /** Hex SHA-256 of the whole file. */
  sha256: string;
}

export interface CallScope {
  reporter: Reporter;
  signal?: AbortSignal;
}

const MAX_PARTS = 10_000;

export class Uploader {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly region: string,
    private readonly pool: BufferPool,
    /** The S3 host (endpoint or AWS region's), for messages. */
    private readonly host = `s3.${region}.amazonaws.com`,
  ) {}

  /** One S3 request under a named policy: time-out per attempt, retry when it can help, clear error. */
  async call<T>(policy: RetryPolicy, action: string, key: string | undefined, run: CallScope, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    // Named in a time-out: the host, what was asked, and (timeoutAdvice) the setting to change.
    const what = `S3 at ${this.host} (asked to ${action} ${key ? `s3://${this.bucket}/${key}` : `bucket ${this.bucket}`})`;
    return withRetry(
      policy,
      async () => {
        const timeout = AbortSignal.timeout(policy.timeoutMs);
        const signal = run.signal ? AbortSignal.any([run.signal, timeout]) : timeout;
        try {
          return await fn(signal);
        } catch (err) {
          if (run.signal?.aborted) throw new PermanentError(`The run was stopped while Distillery tried to ${action} ${key ?? this.bucket}.`, { cause: err });
          if (timeout.aborted) throw new RetryableS3Error(`${what} did not answer in time and was stopped ${timeoutAdvice(policy)}.`, 'TimeoutError', { cause: err });
          throw describeS3Error(err, { bucket: this.bucket, region: this.region, action, key });
        }
      },
      {
        what,
        signal: run.signal,
        retryable: (err) => err instanceof RetryableS3Error,
        onRetry: (err, attempt, delay) =>
          run.reporter.line(`🔁 ${(err as Error).message.replace(/ A rerun resumes.*$/, '')} Trying again in ${Math.round(delay / 1000)} s (attempt ${attempt + 1} of ${policy.attempts}).`),
      },
    );
  }

  /** HeadObject with checksums; undefined when the key is absent. */
  async head(key: string, run: CallScope): Promise<HeadObjectCommandOutput | undefined> {
    return this.call(policies.shortRequest, 'check', key, run, async (abortSignal) => {
      try {
        return await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }), { abortSignal });
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.$metadata?.httpStatusCode === 404 && e.name !== 'NoSuchBucket') return undefined;
        throw err;
      }
    });
  }

  /**
   * Why a copy the bucket holds alone (its local file released) cannot be trusted, or undefined
   * when its size and checksum match what the inventory says (HeadObject only: never a GET).
   */
  heldCopyProblem(head: HeadObjectCommandOutput, want: { key: string; bytes?: number; sha256?: string; sha512?: string }): string | undefined {
    const where = `s3://${this.bucket}/${want.key}`;
    if (want.bytes !== undefined && head.ContentLength !== want.bytes) return `${where} holds ${head.ContentLength} bytes but the OCFL inventory says ${want.bytes}.`;
    const stored = head.ChecksumSHA256;
    const stored256 = stored && !stored.includes('-') ? Buffer.from(stored, 'base64').toString('hex') : head.Metadata?.sha256?.toLowerCase();
    if (want.sha256) {
      if (!stored256) return `${where} carries no SHA-256 to compare with the inventory's ${want.sha256}.`;
      return stored256 === want.sha256 ? undefined : `${where} has SHA-256 ${stored256} but the OCFL inventory says ${want.sha256}: the copy in the bucket is not the preserved file.`;
    }
    const stored512 = head.Metadata?.sha512?.toLowerCase();
    if (want.sha512 && stored512) return stored512 === want.sha512 ? undefined : `${where} has SHA-512 ${stored512} but the OCFL inventory says ${want.sha512}: the copy in the bucket is not the preserved file.`;
    return `${where} cannot be compared with the OCFL inventory (no SHA-256 in the inventory's fixity and none stored with the copy).`;
  }

  async send(spec: SendSpec, run: CallScope, progress: SendProgress): Promise<SendResult> {
    const partSize = this.pool.size;
    const head = await this.head(spec.key, run);
    // The same size is there: it may be this file. Decided from the digests known beforehand
    // without reading; otherwise from the bytes as they are read to be sent (one read).
    const present = head && head.ContentLength === spec.bytes ? head : undefined;
    if (present && spec.sha256) {
      const sha256 = sameAsKnown(present, spec.sha256);
      if (sha256) {
        progress.fileDone(spec.bytes);
        return { key: spec.key, outcome: 'skipped', bytes: spec.bytes, sha256 };
      }
    }
    const unknown = present && !spec.sha256 ? present : undefined;
    if (unknown && spec.bytes > partSize) {
      // No digest known beforehand and more than one part: hashed before any part is sent, so
      // this file is read twice when the bucket holds different bytes of its size. Distillery's
      // payload always has its SHA-256 in the inventory; only files without one come here.
      const local = await localChecksums(spec.localPath, partSize);
      if (sameAsLocal(unknown, local)) {
        progress.fileDone(spec.bytes);
        return { key: spec.key, outcome: 'skipped', bytes: spec.bytes, sha256: local.sha256 };
      }
    }
    if (spec.bytes > partSize * MAX_PARTS) {
      throw new PermanentError(`${spec.localPath} is ${spec.bytes} bytes, more than ${MAX_PARTS} parts of ${partSize} bytes: raise S3_PART_SIZE_MB in settings.ini. A retry will not help.`);
    }
    const sent = spec.bytes <= partSize ? await this.putSingle(spec, run, progress, unknown) : await this.putMultipart(spec, run, progress);
    if (sent.checksum === undefined) {
      progress.fileDone(spec.bytes);
      return { key: spec.key, outcome: 'skipped', bytes: spec.bytes, sha256: sent.sha256 };
    }
    await this.verify(spec.key, spec.bytes, sent.checksum, run);
    progress.fileDone();
    return { key: spec.key, outcome: 'sent', bytes: spec.bytes, sha256: sent.sha256 };
  }

  /**
   * One part: read into a pooled buffer once, hashed, and sent from the same buffer. When the
   * bucket holds an object of this size and no digest was known beforehand (`present`), the
   * digest of the bytes just read decides: the same bytes are not sent again (no checksum
   * returned), other bytes are sent without a second read.
   */
  private async putSingle(spec: SendSpec, run: CallScope, progress: SendProgress, present?: HeadObjectCommandOutput): Promise<{ checksum?: string; sha256: string }> {
    const buf = await this.pool.acquire();
    try {
      const fh = await open(spec.localPath, 'r');
      let data: Buffer;
      try {
        data = buf.subarray(0, await readFully(fh, buf, spec.bytes, 0, spec.localPath));
      } finally {
        await fh.close();
      }
      const sha256 = createHash('sha256').update(data).digest();
      const sha512 = spec.sha512 ? createHash('sha512').update(data).digest('hex') : undefined;
      checkStaging(spec, sha256.toString('hex'), sha512);
      const checksum = sha256.toString('base64');
      if (present && sameAsLocal(present, { sha256: sha256.toString('hex'), full: checksum, composite: compositeOf([sha256]) })) {
        return { sha256: sha256.toString('hex') };
      }
      await this.call(policies.longRequest, 'send', spec.key, run, (abortSignal) =>
        this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket, Key: spec.key, Body: data, ContentLength: data.length, ChecksumSHA256: checksum,
            StorageClass: spec.storageClass, Metadata: metadata(sha256.toString('hex'), sha512), ContentType: contentType(spec.key),
          }),
          { abortSignal },
        ),
      );
      progress.sent(data.length);
      return { checksum, sha256: sha256.toString('hex') };
    } finally {
      this.pool.release(buf);
    }
  }

  private async putMultipart(spec: SendSpec, run: CallScope, progress: SendProgress): Promise<{ checksum: string; sha256: string }> {
    const { bucket } = this;
    const key = spec.key;
    const created = await this.call(policies.shortRequest, 'start a multipart upload of', key, run, (abortSignal) =>
      this.client.send(
        new CreateMultipartUploadCommand({
          Bucket: bucket, Key: key, StorageClass: spec.storageClass, ChecksumAlgorithm: 'SHA256', ChecksumType: 'COMPOSITE',
          Metadata: metadata(spec.sha256, spec.sha512), ContentType: contentType(key),
        }),
        { abortSignal },
      ),
    );
    const uploadId = created.UploadId!;
    const fh = await open(spec.localPath, 'r');
    try {
      const whole = digester<'sha256' | 'sha512'>(spec.sha512 ? ['sha256', 'sha512'] : ['sha256']);
      const partDigests: Buffer[] = [];
      const parts: CompletedPart[] = [];
      const inflight = new Set<Promise<void>>();
      let failure: unknown;
      for (let partNumber = 1, pos = 0; pos < spec.bytes && failure === undefined; partNumber++) {
        const buf = await this.pool.acquire();
        const len = Math.min(this.pool.size, spec.bytes - pos);
        let data: Buffer;
        try {
          data = buf.subarray(0, await readFully(fh, buf, len, pos, spec.localPath));
        } catch (err) {
          this.pool.release(buf);
          throw err;
        }
        pos += len;
        whole.update(data);
        const digest = createHash('sha256').update(data).digest();
        partDigests.push(digest);
        const n = partNumber;
        const task: Promise<void> = this.call(policies.longRequest, `send part ${n} of`, key, run, (abortSignal) =>
          this.client.send(
            new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: n, Body: data, ContentLength: data.length, ChecksumSHA256: digest.toString('base64') }),
            { abortSignal },
          ),
        )
          .then((r) => {
            parts[n - 1] = { PartNumber: n, ETag: r.ETag, ChecksumSHA256: digest.toString('base64') };
            progress.sent(data.length);
          })
          .catch((err) => {
            failure ??= err;
          })
          .finally(() => {
            this.pool.release(buf);
            inflight.delete(task);
          });
        inflight.add(task);
      }
      await Promise.all([...inflight]);
      if (failure !== undefined) throw failure;
      const { sha256, sha512 } = whole.digests();
      checkStaging(spec, sha256, spec.sha512 ? sha512 : undefined);
      await this.call(policies.longRequest, 'finish the multipart upload of', key, run, (abortSignal) =>
        this.client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }), { abortSignal }),
      );
      return { checksum: compositeOf(partDigests), sha256 };
    } catch (err) {
      // Best effort: if S3 cannot be reached now, the next run aborts it (abortOrphanedUploads).
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }), { abortSignal: AbortSignal.timeout(policies.shortRequest.timeoutMs) }).catch(() => undefined);
      throw err;
    } finally {
      await fh.close();
    }
  }

  private async verify(key: string, bytes: number, expected: string, run: CallScope): Promise<void> {
    const head = await this.head(key, run);
    if (!head) throw new ChecksumMismatchError(key, expected, 'nothing: the object is missing right after its upload');
    if (head.ContentLength !== bytes) throw new ChecksumMismatchError(key, `${expected} over ${bytes} bytes`, `${head.ChecksumSHA256} over ${head.ContentLength} bytes`);
    if (head.ChecksumSHA256 !== expected) throw new ChecksumMismatchError(key, expected, head.ChecksumSHA256);
  }
}

/** Hex SHA-256 when the object holds the bytes whose SHA-256 is known beforehand (HeadObject only: never a GET). */
function sameAsKnown(head: HeadObjectCommandOutput, sha256: string): string | undefined {
  const stored = head.ChecksumSHA256;
  if (!stored) return undefined;
  if (!stored.includes('-')) return stored === hexToB64(sha256) ? sha256 : undefined;
  // S3 checked every part against the checksums sent with it; the whole-file digest was
  // recorded by the same upload, which Distillery verified before it finished.
  return head.Metadata?.sha256 === sha256 ? sha256 : undefined;
}

/** Whether the object holds the bytes whose checksums were computed here from the local file. */
function sameAsLocal(head: HeadObjectCommandOutput, local: { sha256: string; full: string; composite: string }): boolean {
  const stored = head.ChecksumSHA256;
  if (!stored) return false;
  if (stored === local.full || stored === local.composite) return true;
  return stored.includes('-') && head.Metadata?.sha256 === local.sha256;
}

function checkStaging(spec: SendSpec, sha256: string, sha512: string | undefined): void {
  const bad = (spec.sha256 && spec.sha256 !== sha256) || (spec.sha512 && sha512 && spec.sha512 !== sha512);
  if (bad) {
    throw new PermanentError(
      `The staged file ${spec.localPath} does not match the digest its OCFL inventory records: the staging copy is damaged, so it was not sent. ` +
        'Run distill again for this folder to rebuild the package. A retry will not help.',
    );
  }
}

function metadata(sha256: string | undefined, sha512: string | undefined): Record<string, string> | undefined {
  const m: Record<string, string> = {};
  if (sha256) m.sha256 = sha256;
  if (sha512) m.sha512 = sha512;
  return Object.keys(m).length ? m : undefined;
}

function contentType(key: string): string {
  if (key.endsWith('.jp2')) return 'image/jp2';
  if (key.endsWith('.json')) return 'application/json';
  if (key.endsWith('.jpg')) return 'image/jpeg';
  return key.endsWith('.txt') || /inventory\.json\.sha(256|512)$/.test(key) || /\/?0=ocfl/.test(key) ? 'text/plain' : 'application/octet-stream';
}

export function hexToB64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

/** S3's COMPOSITE SHA-256: the SHA-256 of the concatenated part digests, then "-<parts>". */
export function compositeOf(partDigests: Buffer[]): string {
  return `${createHash('sha256').update(Buffer.concat(partDigests)).digest('base64')}-${partDigests.length}`;
}

/** Reads exactly `len` bytes at `pos` (a short read means the file changed under us). */
async function readFully(fh: FileHandle, buf: Buffer, len: number, pos: number, path: string): Promise<number> {
  let got = 0;
  while (got < len) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) throw new PermanentError(`${path} is shorter than its recorded size (${pos + got} of ${pos + len} bytes): it changed while being sent. Run distill again for this folder.`);
    got += bytesRead;
  }
  return got;
}

/**
 * Whole-file and composite SHA-256 of a local file, in one read (the shared file hasher), without
 * holding it in memory: the chunks it reads are also cut into parts of `partSize` for the composite.
 */
async function localChecksums(path: string, partSize: number): Promise<{ sha256: string; full: string; composite: string }> {
  const parts: Buffer[] = [];
  let part = createHash('sha256');
  let inPart = 0;
  const { digests } = await hashFile(path, ['sha256'], (chunk) => {
    for (let off = 0; off < chunk.length; ) {
      const n = Math.min(partSize - inPart, chunk.length - off);
      part.update(chunk.subarray(off, off + n));
      inPart += n;
      off += n;
      if (inPart === partSize) {
        parts.push(part.digest());
        part = createHash('sha256');
        inPart = 0;
      }
    }
  });
  if (inPart > 0) parts.push(part.digest());
  return { sha256: digests.sha256, full: Buffer.from(digests.sha256, 'hex').toString('base64'), composite: compositeOf(parts) };
}
