/**
 * Where the static IIIF files go: a local folder that a web server serves (the demo serves it
 * itself), or an S3 bucket and prefix behind a bucket policy or a CDN (never per-object ACLs).
 * Every file counts as published only once its stored copy is verified: on S3 through the same
 * uploader as the preservation copies (SHA-256 sent with each request and checked by HeadObject
 * afterwards), locally by an atomic rename of a complete folder or file.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { policies } from '../../policies.js';
import { silentReporter, type Reporter } from '../../runs/reporter.js';
import { writeFileAtomic } from '../../atomicWrite.js';
import { SendProgress } from '../s3/progress.js';
import { BufferPool } from '../s3/slots.js';
import { Uploader } from '../s3/uploader.js';

export interface Publisher {
  /** Where the files go, for messages. */
  readonly where: string;
  read(key: string, signal?: AbortSignal): Promise<Buffer | undefined>;
  has(key: string, signal?: AbortSignal): Promise<boolean>;
  /** Publishes every file of a local folder under `prefix` (info.json last); verified. */
  publishDir(localDir: string, prefix: string, scope: PublishScope): Promise<void>;
  /** Publishes one small document; verified. */
  publishBytes(data: string, key: string, scope: PublishScope): Promise<void>;
  /** Removes everything under `prefix` (a stale image service). */
  removeTree(prefix: string, scope: PublishScope): Promise<void>;
}

export interface PublishScope {
  reporter: Reporter;
  signal?: AbortSignal;
}

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
  // info.json last: a client never finds a service whose tiles are not all there.
  return files.sort((a, b) => Number(a === 'info.json') - Number(b === 'info.json') || a.localeCompare(b));
}

export class FolderPublisher implements Publisher {
  constructor(readonly root: string) {}

  get where(): string {
    return this.root;
  }

  private path(key: string): string {
    const p = join(this.root, key);
    if (relative(this.root, p).startsWith('..')) throw new Error(`${key} is outside ${this.root}.`);
    return p;
  }

  async read(key: string): Promise<Buffer | undefined> {
    return readFile(this.path(key)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
  }

  async has(key: string): Promise<boolean> {
    return stat(this.path(key)).then((s) => s.isFile(), () => false);
  }

  async publishDir(localDir: string, prefix: string): Promise<void> {
    const dest = this.path(prefix);
    await mkdir(dirname(dest), { recursive: true });
    const partial = `${dest}.partial-${process.pid}`;
    await rm(partial, { recursive: true, force: true });
    // A whole folder appears at once: copied beside its place, then renamed into it.
    await cp(localDir, partial, { recursive: true });
    await rm(dest, { recursive: true, force: true });
    await rename(partial, dest);
  }

  async publishBytes(data: string, key: string): Promise<void> {
    const p = this.path(key);
    await mkdir(dirname(p), { recursive: true });
    await writeFileAtomic(p, data);
  }

  async removeTree(prefix: string): Promise<void> {
    await rm(this.path(prefix), { recursive: true, force: true });
  }
}

export interface S3PublisherOptions {
  bucket: string;
  prefix: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  endpoint?: string;
  forcePathStyle: boolean;
}

const MiB = 1024 * 1024;

export class S3Publisher implements Publisher {
  readonly client: S3Client;
  private readonly uploader: Uploader;
  private readonly prefix: string;

  constructor(private readonly o: S3PublisherOptions) {
    this.prefix = o.prefix ? `${o.prefix.replace(/^\/+|\/+$/g, '')}/` : '';
    this.client = new S3Client({
      region: o.region,
      endpoint: o.endpoint,
      forcePathStyle: o.forcePathStyle,
      credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
      maxAttempts: 1,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.uploader = new Uploader(this.client, o.bucket, o.region, new BufferPool(8 * MiB, 4));
  }

  get where(): string {
    return `s3://${this.o.bucket}/${this.prefix}`;
  }

  private key(k: string): string {
    return `${this.prefix}${k}`;
  }

  async read(key: string, signal?: AbortSignal): Promise<Buffer | undefined> {
    return this.uploader.call(policies.shortRequest, 'read', this.key(key), { reporter: silentReporter, signal }, async (abortSignal) => {
      try {
        const r = await this.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: this.key(key) }), { abortSignal });
        return Buffer.from(await r.Body!.transformToByteArray());
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.name === 'NoSuchKey' || (e.$metadata?.httpStatusCode === 404 && e.name !== 'NoSuchBucket')) return undefined;
        throw err;
      }
    });
  }

  async has(key: string, signal?: AbortSignal): Promise<boolean> {
    return (await this.uploader.head(this.key(key), { reporter: silentReporter, signal })) !== undefined;
  }

  async publishDir(localDir: string, prefix: string, scope: PublishScope): Promise<void> {
    const files = await filesBelow(localDir);
    const sizes = await Promise.all(files.map((f) => stat(join(localDir, f)).then((s) => s.size)));
    const progress = new SendProgress(silentReporter, sizes.reduce((a, b) => a + b, 0), files.length);
    const limit = pLimit(8);
    const send = (f: string, i: number) =>
      this.uploader.send({ localPath: join(localDir, f), key: this.key(`${prefix}/${f}`), bytes: sizes[i], storageClass: 'STANDARD' }, scope, progress);
    const last = files.length - 1;
    await Promise.all(files.slice(0, last).map((f, i) => limit(() => send(f, i))));
    await send(files[last], last);
  }

  async publishBytes(data: string, key: string, scope: PublishScope): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'distillery-iiif-doc-'));
    try {
      const local = join(dir, key.split('/').pop()!);
      await writeFile(local, data);
      const bytes = Buffer.byteLength(data);
      await this.uploader.send({ localPath: local, key: this.key(key), bytes, storageClass: 'STANDARD' }, scope, new SendProgress(silentReporter, bytes, 1));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async removeTree(prefix: string, scope: PublishScope): Promise<void> {
    let token: string | undefined;
    do {
      const page = await this.uploader.call(policies.shortRequest, 'list', this.key(prefix), scope, (abortSignal) =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.o.bucket, Prefix: this.key(`${prefix}/`), ContinuationToken: token }), { abortSignal }),
      );
      const keys = (page.Contents ?? []).map((c) => ({ Key: c.Key! }));
      if (keys.length) {
        await this.uploader.call(policies.shortRequest, 'remove', this.key(prefix), scope, (abortSignal) =>
          this.client.send(new DeleteObjectsCommand({ Bucket: this.o.bucket, Delete: { Objects: keys, Quiet: true } }), { abortSignal }),
        );
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }
}
