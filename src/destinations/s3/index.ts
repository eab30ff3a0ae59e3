/**
 * The cloud destination (CLOUD_PLATFORM=s3): sends each folder's OCFL object version to an S3
 * bucket that holds an OCFL storage root, verified by checksum, and records each image's S3
 * location in ArchivesSpace.
 */
import { access, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { FileVersion } from '../../archivesspace/types.js';
import { PermanentError, policies } from '../../policies.js';
import { silentReporter } from '../../runs/reporter.js';
import type { CheckResult, Destination, PreparedFolder, PreservationPackage, RunScope } from '../destination.js';
import { collectionJsonKey, folderJsonKey, objectUrl } from './keys.js';
import { filesToSend } from '../../ocfl/index.js';
import { contentPathOf, digestsOf, objectRoot, readInventory, storageRootFiles, type FileToSend } from './objectFiles.js';
import { abortOrphanedUploads } from './orphans.js';
import { mb, SendProgress } from './progress.js';
import type { S3Settings, StorageClass } from './settings.js';
import { BufferPool } from './slots.js';
import { Uploader, type SendResult, type SendSpec } from './uploader.js';

export { readS3Settings, type S3Settings } from './settings.js';
export type { FileToSend } from './objectFiles.js';

export interface S3DestinationOptions {
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** An S3-compatible endpoint; unset means AWS. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** Storage class of payload files (default DEEP_ARCHIVE). */
  storageClass?: StorageClass;
  /** Storage class of inventories, sidecars, declarations and JSON (default STANDARD: readable at once). */
  metadataStorageClass?: StorageClass;
  /** Key prefix of the OCFL storage root inside the bucket, e.g. "ocfl/" (default none). */
  prefix?: string;
  /** Multipart part size (default 8 MiB; at least 5 MiB). */
  partSizeBytes?: number;
  /** Parts (or small files) in flight at once (default 4); memory is about queueSize × partSize. */
  queueSize?: number;
  /** The local OCFL storage root the packages live in. */
  storageRoot: string;
  /** The files a version adds, in upload order; defaults to the OCFL layer's filesToSend. */
  listFiles?: (pkg: PreservationPackage) => Promise<FileToSend[]>;
}

interface Planned extends SendSpec {
  kind: FileToSend['kind'];
}

export class S3Destination implements Destination {
  readonly process = 'cloud' as const;
  readonly platform = 's3';
  /** The SDK client (exposed so tests and tools can add middleware, e.g. to watch requests). */
  readonly client: S3Client;
  private readonly uploader: Uploader;
  private readonly prefix: string;
  private readonly queueSize: number;
  private readonly partSize: number;
  private bucketChecked = false;
  private storageRootSent = false;
  private readonly collectionJsonSent = new Set<string>();

  constructor(private readonly opts: S3DestinationOptions) {
    const partSize = opts.partSizeBytes ?? 8 * 1024 * 1024;
    if (partSize < 5 * 1024 * 1024) throw new PermanentError(`The S3 part size must be at least 5 MiB (S3's minimum), not ${partSize} bytes: raise S3_PART_SIZE_MB.`);
    this.queueSize = opts.queueSize ?? 4;
    this.partSize = partSize;
    this.prefix = opts.prefix ?? '';
    this.client = new S3Client({
      region: opts.region,
      endpoint: opts.endpoint,
      forcePathStyle: opts.forcePathStyle ?? false,
      credentials: { accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey },
      // Retries follow the project's named policies (policies.ts), not the SDK's own.
      maxAttempts: 1,
      // Checksums are computed here, once, from the bytes read; the SDK must not add its own.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    this.uploader = new Uploader(this.client, opts.bucket, opts.region, new BufferPool(partSize, this.queueSize));
  }

  async check(): Promise<CheckResult> {
    const where = `bucket ${this.opts.bucket} (${this.opts.endpoint ?? `AWS ${this.opts.region}`})`;
    try {
      await this.headBucket({ reporter: silentReporter });
      return { ok: true, detail: `s3: ${where} reachable` };
    } catch (err) {
      return { ok: false, detail: `s3: ${where} not reachable: ${(err as Error).message}` };
    }
  }

  async begin(run: RunScope): Promise<void> {
    await this.ensureBucket(run);
  }

  async deliver(run: RunScope, folder: PreparedFolder): Promise<void> {
    const pkg = folder.package;
    if (!pkg) {
      throw new PermanentError(`Folder ${folder.name} has no preservation package: the cloud process sends OCFL objects, so the folder must be packaged first (run distill for it). A retry will not help.`);
    }
    await this.ensureBucket(run);
    const { reporter } = run;
    const objPrefix = `${this.prefix}${pkg.objectPath}/`;
    const aborted = await abortOrphanedUploads(this.client, this.uploader, this.opts.bucket, objPrefix, run);
    if (aborted > 0) reporter.line(`🧹 Aborted ${aborted} unfinished S3 upload(s) left by an earlier run under ${objPrefix}`);

    const root = objectRoot(pkg);
    const listed = await (this.opts.listFiles ?? ((p: PreservationPackage) => filesToSend(p.storageRoot, p.objectId, p.version, { includeHeldElsewhere: true })))(pkg);
    const inv = await readInventory(root);
    const imageKeys = new Map<string, string>();
    const extra: FileToSend[] = [];
    const digests = digestsOf(inv);
    for (const image of folder.images) {
      const cp = contentPathOf(inv, pkg.version, image.logicalPath);
      if (!cp) throw new PermanentError(`Image ${image.logicalPath} is not in version ${pkg.version} of OCFL object ${pkg.objectId}: the package does not match the folder; run distill again for ${folder.name}.`);
      imageKeys.set(image.componentUri, `${objPrefix}${cp}`);
      // An image unchanged since an earlier version lives under that version: make sure it is there too.
      if (!listed.some((f) => f.path === cp)) extra.push({ path: cp, bytes: image.bytes, ...digests.get(cp), sha256: image.digests.sha256, kind: 'payload' });
    }

    const plan: Planned[] = [];
    if (!this.storageRootSent) {
      for (const f of await storageRootFiles(this.opts.storageRoot)) plan.push(this.spec(join(this.opts.storageRoot, f.path), `${this.prefix}${f.path}`, f));
    }
    for (const f of [...extra, ...listed]) plan.push(this.spec(join(root, f.path), `${objPrefix}${f.path}`, f));
    if (folder.collectionJsonPath && !this.collectionJsonSent.has(run.collectionId)) {
      plan.push(await this.jsonSpec(folder.collectionJsonPath, collectionJsonKey(run.collectionId)));
    }
    if (folder.folderJsonPath) plan.push(await this.jsonSpec(folder.folderJsonPath, folderJsonKey(folder.arrangement, folder.name)));
    // Files no longer on local disk (an earlier version, or payload released after it was sent) must already be in the bucket.
    for (const e of [...extra, ...listed.filter((f) => f.heldElsewhere)]) {
      if (!(await exists(join(root, e.path)))) {
        // Payload of earlier versions may be gone locally (payloadLocal false): then it must already be in the bucket.
        const key = `${objPrefix}${e.path}`;
        const head = await this.uploader.head(key, run);
        if (!head) throw new PermanentError(`${key} (from an earlier version of ${pkg.objectId}) is neither in the bucket nor on local disk: restore that version's files to ${root} and rerun. A retry will not help.`);
        // Held elsewhere: the copy in the bucket is the only one at hand, so it must carry the inventory's checksum.
        const problem = this.uploader.heldCopyProblem(head, { key, bytes: e.bytes || undefined, sha256: e.sha256?.toLowerCase(), sha512: e.sha512?.toLowerCase() });
        if (problem) {
          reporter.file({ path: key, outcome: 'failed', why: problem });
          throw new PermanentError(`${problem} Its local payload was released, so nothing of ${folder.name} is recorded from this copy: restore that version's files to ${root} (from tape) and run again to send it anew. A retry will not help.`);
        }
        reporter.file({ path: key, outcome: 'skipped', why: `held in s3://${this.opts.bucket}/${key} only; SHA-256 matches the inventory` });
        const at = plan.findIndex((p) => p.localPath === join(root, e.path));
        if (at >= 0) plan.splice(at, 1);
      }
    }

    // A collection JSON larger than a part goes multipart outside the object's prefix: clean up after it too.
    for (const p of plan) {
      if (p.bytes > this.partSize && !p.key.startsWith(objPrefix)) await abortOrphanedUploads(this.client, this.uploader, this.opts.bucket, p.key, run);
    }
    const payload = plan.filter((p) => p.kind === 'payload');
    const metadata = plan.filter((p) => p.kind === 'metadata');
    const progress = new SendProgress(reporter, plan.reduce((n, p) => n + p.bytes, 0), plan.length);
    reporter.line(`☁️ Sending ${folder.name} to s3://${this.opts.bucket}/${objPrefix} (${pkg.version}): ${plan.length} files, ${mb(progress.totalBytes)}`);

    const results = new Map<string, SendResult>();
    const failures: { spec: Planned; err: Error }[] = [];
    const limit = pLimit(this.queueSize);
    await run.fence?.(`sending ${folder.name} to S3`);
    await Promise.all(payload.map((spec) => limit(() => this.sendOne(spec, run, progress, results, failures))));
    if (failures.length > 0) {
      const first = failures[0];
      const permanent = failures.every((f) => f.err instanceof PermanentError);
      const message = `${failures.length} of ${payload.length} preservation file(s) of ${folder.name} were not stored in S3 (first: ${first.err.message}). ` +
        `The object's inventory was not sent, so the bucket holds no incomplete version of ${pkg.objectId}.`;
      reporter.line(`❌ ${message}`);
      throw permanent ? new PermanentError(message, { cause: first.err }) : new Error(message, { cause: first.err });
    }
    // Inventories, sidecars and declarations one by one, in order: the root sidecar is the last word.
    await run.fence?.(`sending the inventory of ${folder.name} to S3`);
    for (const spec of metadata) {
      const err = await this.sendOne(spec, run, progress, results, failures);
      if (err) {
        reporter.line(`❌ ${err.message}`);
        throw err;
      }
    }
    this.storageRootSent = true;
    if (folder.collectionJsonPath) this.collectionJsonSent.add(run.collectionId);

    for (const image of folder.images) {
      const key = imageKeys.get(image.componentUri)!;
      const got = results.get(key);
      if (got && got.sha256 !== image.digests.sha256.toLowerCase()) {
        throw new PermanentError(`${key} has SHA-256 ${got.sha256} but the image record says ${image.digests.sha256}: the package does not match the converted image; run distill again for ${folder.name}. A retry will not help.`);
      }
      const fv: FileVersion = {
        file_uri: objectUrl(this.opts, key),
        checksum: image.digests.sha256.toLowerCase(),
        checksum_method: 'sha-256',
        file_size_bytes: image.bytes,
        file_format_name: 'JPEG 2000',
        file_format_version: image.technical.fileFormatVersion,
        caption: image.technical.caption,
        use_statement: 'image-master',
      };
      await run.aspace.upsertFileVersions(image.componentUri, [fv]);
      reporter.line(`📝 Recorded the S3 copy of image ${image.sequence} in ArchivesSpace: ${run.aspace.staffUrl(image.componentUri)}`);
    }
    const skipped = [...results.values()].filter((r) => r.outcome === 'skipped').length;
    reporter.line(`✅ ${folder.name} is in S3: ${results.size - skipped} file(s) sent (${mb(progress.sentBytes)} at ${progress.rate()}), ${skipped} already there and verified.`);
    reporter.folder?.({
      folder: folder.name,
      state: 'done',
      counts: { images: folder.images.length, sent: results.size - skipped, alreadyThere: skipped, bytesSent: progress.sentBytes },
      where: { s3: { bucket: this.opts.bucket, keys: [...imageKeys.values()] } },
    });
  }

  private async sendOne(spec: Planned, run: RunScope, progress: SendProgress, results: Map<string, SendResult>, failures: { spec: Planned; err: Error }[]): Promise<Error | undefined> {
    try {
      const r = await this.uploader.send(spec, run, progress);
      results.set(spec.key, r);
      run.reporter.file({
        path: spec.localPath,
        outcome: r.outcome === 'sent' ? 'done' : 'skipped',
        why: r.outcome === 'sent' ? `sent to s3://${this.opts.bucket}/${spec.key}, SHA-256 verified` : `already in s3://${this.opts.bucket}/${spec.key} with the same SHA-256`,
      });
      return undefined;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      failures.push({ spec, err });
      run.reporter.file({ path: spec.localPath, outcome: 'failed', why: err.message });
      return err;
    }
  }

  private spec(localPath: string, key: string, f: FileToSend): Planned {
    return {
      localPath, key, bytes: f.bytes, sha256: f.sha256?.toLowerCase(), sha512: f.sha512?.toLowerCase(), kind: f.kind,
      storageClass: f.kind === 'payload' ? this.opts.storageClass ?? 'DEEP_ARCHIVE' : this.opts.metadataStorageClass ?? 'STANDARD',
    };
  }

  /** The collection and folder JSON go where the original put them: at the bucket's top, beside the storage root. */
  private async jsonSpec(localPath: string, key: string): Promise<Planned> {
    const bytes = (await stat(localPath)).size;
    return this.spec(localPath, key, { path: key, bytes, kind: 'metadata' });
  }

  private async ensureBucket(run: RunScope): Promise<void> {
    if (this.bucketChecked) return;
    try {
      await this.headBucket(run);
    } catch (err) {
      run.reporter.line(`❌ ${(err as Error).message}`);
      throw err;
    }
    this.bucketChecked = true;
  }

  private async headBucket(run: Pick<RunScope, 'reporter' | 'signal'>): Promise<void> {
    await this.uploader.call(policies.shortRequest, 'reach', undefined, run, (abortSignal) =>
      this.client.send(new HeadBucketCommand({ Bucket: this.opts.bucket }), { abortSignal }),
    );
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

/** Builds the destination from settings (settings.ts) and the local OCFL storage root. */
export function s3DestinationFromSettings(s: S3Settings, storageRoot: string): S3Destination {
  return new S3Destination({ ...s, storageRoot });
}
