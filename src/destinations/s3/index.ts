/**
 * The cloud destination (CLOUD_PLATFORM=s3): sends each folder's OCFL object version to an S3
 * bucket that holds an OCFL storage root, verified by checksum, and records each image's S3
 * location in ArchivesSpace.
 */
import { access, appendFile, mkdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GetObjectCommand, HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import type { FileVersion } from '../../archivesspace/types.js';
import { PermanentError, policies } from '../../policies.js';
import { silentReporter } from '../../runs/reporter.js';
import type { CheckResult, Destination, PreparedFolder, PreservationPackage, RunScope } from '../destination.js';
import { collectionJsonKey, folderJsonKey, objectUrl, s3ObjectOf, type FileUriForm } from './keys.js';
import { companionPath, filesToSend, tokenStorePath } from '../../ocfl/index.js';
import { originalS3Copies, type OriginalCopy } from '../../distill/original.js';
import { contentPathOf, digestsOf, objectRoot, packageInventory, storageRootFiles, type FileToSend } from './objectFiles.js';
import { abortOrphanedUploads } from './orphans.js';
import { mb, SendProgress } from './progress.js';
import type { OriginalCopies, S3Settings, StorageClass } from './settings.js';
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
  /** How copies are named in ArchivesSpace (default https). */
  fileUriForm?: FileUriForm;
  /** What to do with the Python Distillery's own copies of a folder (unset: stop and ask). */
  originalCopies?: OriginalCopies;
  /** USD per GB-month, to show what a second copy costs (default Deep Archive's 0.00099). */
  pricePerGbMonth?: number;
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
  /** Key prefix of the storage root in the bucket ("" or ending in "/"). */
  readonly prefix: string;
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
    this.uploader = new Uploader(this.client, opts.bucket, opts.region, new BufferPool(partSize, this.queueSize), opts.endpoint ? new URL(opts.endpoint).host : `s3.${opts.region}.amazonaws.com`);
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
    const originals = await this.originalCopies(run, folder);
    if (originals === 'kept') return;
    const objPrefix = `${this.prefix}${pkg.objectPath}/`;
    const aborted = await abortOrphanedUploads(this.client, this.uploader, this.opts.bucket, objPrefix, run);
    if (aborted > 0) reporter.line(`🧹 Aborted ${aborted} unfinished S3 upload(s) left by an earlier run under ${objPrefix}`);

    const root = objectRoot(pkg);
    const listed = await (this.opts.listFiles ?? ((p: PreservationPackage) => filesToSend(p.storageRoot, p.objectId, p.version, { includeHeldElsewhere: true })))(pkg);
    const inv = await packageInventory(pkg);
    const imageKeys = new Map<string, string>();
    const extra: FileToSend[] = [];
    const digests = digestsOf(inv);
    for (const image of [...folder.images, ...(folder.files ?? [])]) {
      const cp = contentPathOf(inv, pkg.version, image.logicalPath);
      if (!cp) throw new PermanentError(`${image.logicalPath} is not in version ${pkg.version} of OCFL object ${pkg.objectId}: the package does not match the folder; run distill again for ${folder.name}.`);
      imageKeys.set(image.componentUri, `${objPrefix}${cp}`);
      // A file unchanged since an earlier version lives under that version: make sure it is there too.
      if (!listed.some((f) => f.path === cp)) extra.push({ path: cp, bytes: image.bytes, ...digests.get(cp), sha256: image.digests.sha256, kind: 'payload' });
    }

    const plan: Planned[] = [];
    if (!this.storageRootSent) {
      for (const f of await storageRootFiles(this.opts.storageRoot)) plan.push(this.spec(join(this.opts.storageRoot, f.path), `${this.prefix}${f.path}`, f));
    }
    // Every version's ACE token store (and its sha256) beside the storage root, before the inventories:
    // an object restored from its inventories alone gets its tokens back from here.
    for (const v of Object.keys(inv.versions)) {
      const store = tokenStorePath(pkg.storageRoot, pkg.objectId, v);
      for (const [local, key] of [[store, this.tokenStoreKey(pkg.objectPath, v)], [`${store}.sha256`, `${this.tokenStoreKey(pkg.objectPath, v)}.sha256`]]) {
        const bytes = await stat(local).then((s) => s.size, () => undefined);
        if (bytes !== undefined) plan.push(this.spec(local, key, { path: key, bytes, kind: 'metadata' }));
      }
    }
    for (const f of [...extra, ...listed]) plan.push(this.spec(join(root, f.path), `${objPrefix}${f.path}`, f));
    if (folder.collectionJsonPath && !this.collectionJsonSent.has(run.collectionId)) {
      plan.push(await this.jsonSpec(folder.collectionJsonPath, collectionJsonKey(run.collectionId)));
    }
    if (folder.folderJsonPath) plan.push(await this.jsonSpec(folder.folderJsonPath, folderJsonKey(folder.arrangement, folder.name)));
    // The original's collection and folder JSON keys are never overwritten with less than they hold.
    for (const spec of plan.filter((p) => !p.key.startsWith(this.prefix) && p.key.endsWith('.json'))) {
      const lost = await this.wouldLose(spec, run);
      if (lost.length === 0) continue;
      plan.splice(plan.indexOf(spec), 1);
      reporter.line(`🛡️ s3://${this.opts.bucket}/${spec.key} is kept as it is: it holds ${lost.join(', ')}, which this run's copy lacks (the preserved copy is in the OCFL object).`);
    }
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
      // The same copy recorded before under another address (a moved endpoint, another form) is replaced, not doubled.
      const sameCopy = (uri: string) => {
        const o = s3ObjectOf(uri);
        return o !== undefined && o.bucket === this.opts.bucket && o.key === key;
      };
      await run.aspace.upsertFileVersions(image.componentUri, [fv], { replaces: sameCopy });
      reporter.line(`📝 Recorded the S3 copy of image ${image.sequence} in ArchivesSpace: ${run.aspace.staffUrl(image.componentUri)}`);
    }
    for (const file of folder.files ?? []) {
      const key = imageKeys.get(file.componentUri)!;
      const got = results.get(key);
      if (got && got.sha256 !== file.digests.sha256.toLowerCase()) {
        throw new PermanentError(`${key} has SHA-256 ${got.sha256} but ${file.name} has ${file.digests.sha256}: run distill again for ${folder.name}. A retry will not help.`);
      }
      const fv: FileVersion = {
        file_uri: objectUrl(this.opts, key),
        checksum: file.digests.sha256.toLowerCase(),
        checksum_method: 'sha-256',
        file_size_bytes: file.bytes,
        ...(file.format.name ? { file_format_name: file.format.name } : {}),
        file_format_version: file.format.version,
        ...(file.format.caption ? { caption: file.format.caption } : {}),
        use_statement: file.format.useStatement,
      };
      const sameCopy = (uri: string) => {
        const o = s3ObjectOf(uri);
        return o !== undefined && o.bucket === this.opts.bucket && o.key === key;
      };
      await run.aspace.upsertFileVersions(file.componentUri, [fv], { replaces: sameCopy });
      reporter.line(`📝 Recorded the S3 copy of ${file.name} in ArchivesSpace: ${run.aspace.staffUrl(file.componentUri)}`);
    }
    if (originals.length) await this.listForDeletion(run, folder, originals);
    const skipped = [...results.values()].filter((r) => r.outcome === 'skipped').length;
    reporter.line(`✅ ${folder.name} is in S3: ${results.size - skipped} file(s) sent (${mb(progress.sentBytes)} at ${progress.rate()}), ${skipped} already there and verified.`);
    reporter.folder?.({
      folder: folder.name,
      state: 'done',
      counts: { images: folder.images.length, sent: results.size - skipped, alreadyThere: skipped, bytesSent: progress.sentBytes },
      where: { s3: { bucket: this.opts.bucket, keys: [...imageKeys.values()] } },
    });
  }

  /**
   * The Python Distillery's own copies of the folder's images in this bucket. With
   * ORIGINAL_S3_COPIES=keep and a copy for every image, each is checked with a HEAD request (size,
   * and MD5 against the ETag of a single-part upload) and kept as the folder's cloud copy:
   * 'kept', nothing is uploaded. Otherwise the copies found are returned (the OCFL object is sent).
   */
  private async originalCopies(run: RunScope, folder: PreparedFolder): Promise<'kept' | OriginalCopy[]> {
    const per = folder.images.map((image) => ({ image, copies: originalS3Copies(image.recordedCopies ?? [], this.opts.bucket, this.prefix) }));
    const found = per.flatMap((p) => p.copies);
    if (found.length === 0) return [];
    const { reporter } = run;
    const theirs = found.reduce((n, c) => n + (c.fileVersion.file_size_bytes ?? 0), 0);
    const ours = folder.images.reduce((n, i) => n + i.bytes, 0);
    const mode = this.opts.originalCopies;
    if (!mode) {
      throw new PermanentError(
        `${folder.name} already has ${found.length} cop${found.length === 1 ? 'y' : 'ies'} in s3://${this.opts.bucket} made by the original Distillery (${mb(theirs)}). ` +
          `Choose what to do in settings.ini: ORIGINAL_S3_COPIES=keep (they stay the folder's cloud copy; nothing is uploaded) or ORIGINAL_S3_COPIES=repackage ` +
          `(the OCFL object is sent, ${this.cost(ours)}, and the original's keys are listed for a person to delete). The report shows this for every folder.`,
      );
    }
    const missing = [...per.filter((p) => p.copies.length === 0).map((p) => p.image.sequence), ...(folder.files ?? []).filter((f) => originalS3Copies(f.recordedCopies ?? [], this.opts.bucket, this.prefix).length === 0).map((f) => f.name)];
    if (mode === 'repackage' || missing.length) {
      if (mode === 'keep') reporter.line(`☁️ ${folder.name}: ${missing.join(', ')} ha${missing.length === 1 ? 's' : 've'} no copy from the original Distillery, so the OCFL object is sent (it adds ${this.cost(ours)}).`);
      else reporter.line(`☁️ ${folder.name}: repackaging — the OCFL object is sent (${this.cost(ours)}) beside the original's ${found.length} cop${found.length === 1 ? 'y' : 'ies'} (${mb(theirs)}).`);
      return found;
    }
    const problems: string[] = [];
    for (const c of found) {
      const head = await this.uploader.head(c.key, run).catch((err: Error) => {
        problems.push(`${c.key}: ${err.message}`);
        return null;
      });
      if (head === null) continue;
      const fv = c.fileVersion;
      if (!head) problems.push(`${c.key} is not in the bucket`);
      else if (fv.file_size_bytes !== undefined && head.ContentLength !== fv.file_size_bytes) problems.push(`${c.key} has ${head.ContentLength} bytes, ArchivesSpace records ${fv.file_size_bytes}`);
      else {
        const etag = String(head.ETag ?? '').replace(/"/g, '').toLowerCase();
        if (fv.checksum_method === 'md5' && fv.checksum && !etag.includes('-') && etag !== fv.checksum.toLowerCase()) problems.push(`${c.key} has MD5 ${etag}, ArchivesSpace records ${fv.checksum}`);
      }
    }
    if (problems.length) {
      throw new PermanentError(`The original Distillery's copies of ${folder.name} did not verify (${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''}): nothing was uploaded or recorded. Check them, or set ORIGINAL_S3_COPIES=repackage to send the OCFL object.`);
    }
    for (const c of found) reporter.file({ path: `s3://${this.opts.bucket}/${c.key}`, outcome: 'skipped', why: 'kept: the original Distillery\'s copy, size and MD5 verified with a HEAD request' });
    reporter.line(`☁️ ${folder.name}: kept the original Distillery's ${found.length} cop${found.length === 1 ? 'y' : 'ies'} in s3://${this.opts.bucket} (${mb(theirs)}), each verified by a HEAD request; nothing uploaded. A second copy would add ${this.cost(ours)}.`);
    return 'kept';
  }

  /** Repackaged: the original's keys go on a list for a person to delete (Distillery deletes nothing). */
  private async listForDeletion(run: RunScope, folder: PreparedFolder, copies: OriginalCopy[]): Promise<void> {
    const file = join(companionPath(this.opts.storageRoot), 'original-s3-keys-to-delete.tsv');
    await mkdir(dirname(file), { recursive: true });
    const have = new Set((await readFile(file, 'utf8').catch(() => '')).split('\n').map((l) => l.split('\t')[0]));
    const lines = copies.map((c) => `s3://${this.opts.bucket}/${c.key}\t${c.fileVersion.file_size_bytes ?? ''}\t${folder.name}\t${new Date().toISOString()}`).filter((l) => !have.has(l.split('\t')[0]));
    if (lines.length) await appendFile(file, lines.join('\n') + '\n');
    const bytes = copies.reduce((n, c) => n + (c.fileVersion.file_size_bytes ?? 0), 0);
    run.reporter.line(`🗒️ ${folder.name}: the original Distillery's ${copies.length} key(s) (${mb(bytes)}, ${this.cost(bytes)} until deleted) are listed in ${file} for a person to delete after checking; Distillery deletes nothing.`);
  }

  /** Top-level keys (or list entries) an object already in the bucket has that `spec`'s file lacks. */
  private async wouldLose(spec: Planned, run: RunScope): Promise<string[]> {
    const head = await this.uploader.head(spec.key, run);
    // Absent, or the same size as this run's copy (what an earlier run here wrote; the upload checks it is the same): nothing to lose.
    if (!head || head.ContentLength === spec.bytes) return [];
    const body = await this.uploader.call(policies.shortRequest, 'check', spec.key, run, async (abortSignal) => {
      const got = await this.client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: spec.key }), { abortSignal });
      return got.Body ? await got.Body.transformToString() : '';
    });
    let theirs: Record<string, unknown>;
    let ours: Record<string, unknown>;
    try {
      theirs = JSON.parse(body) as Record<string, unknown>;
      ours = JSON.parse(await readFile(spec.localPath, 'utf8')) as Record<string, unknown>;
    } catch {
      return [];
    }
    if (!theirs || typeof theirs !== 'object' || Array.isArray(theirs)) return [];
    const lost: string[] = [];
    for (const [k, v] of Object.entries(theirs)) {
      if (!(k in ours)) lost.push(Array.isArray(v) ? `${k} (${v.length})` : k);
      else if (Array.isArray(v) && Array.isArray(ours[k]) && (ours[k] as unknown[]).length < v.length) lost.push(`${v.length - (ours[k] as unknown[]).length} more ${k}`);
    }
    return lost;
  }

  private cost(bytes: number): string {
    const perMonth = (bytes / 1e9) * (this.opts.pricePerGbMonth ?? 0.00099);
    return `${mb(bytes)}, about $${perMonth < 0.01 ? perMonth.toFixed(4) : perMonth.toFixed(2)} a month`;
  }

  /**
   * What the bucket stores at a key under the storage root (HeadObject only: no restore, no GET):
   * its size, its S3 checksum and the whole-file SHA-256 recorded at upload; undefined when absent.
   */
  async stored(relativeKey: string, run: Pick<RunScope, 'reporter' | 'signal'>): Promise<{ key: string; bytes: number; checksumSha256?: string; sha256?: string } | undefined> {
    return this.storedAt(`${this.prefix}${relativeKey}`, run);
  }

  /** As `stored`, for a key anywhere in the bucket (token stores beside the storage root). */
  async storedAt(key: string, run: Pick<RunScope, 'reporter' | 'signal'>): Promise<{ key: string; bytes: number; checksumSha256?: string; sha256?: string } | undefined> {
    const head = await this.uploader.head(key, run);
    if (!head) return undefined;
    const checksum = head.ChecksumSHA256;
    const whole = checksum && !checksum.includes('-') ? Buffer.from(checksum, 'base64').toString('hex') : head.Metadata?.sha256;
    return { key, bytes: head.ContentLength ?? -1, checksumSha256: checksum, sha256: whole?.toLowerCase() };
  }

  /**
   * Reads a small metadata file under the storage root (inventories, sidecars, declarations are
   * kept in a class readable at once); undefined when absent. Never used for payload.
   */
  async readMetadata(relativeKey: string, run: Pick<RunScope, 'reporter' | 'signal'>): Promise<Buffer | undefined> {
    return this.readKey(`${this.prefix}${relativeKey}`, run);
  }

  /**
   * Where a version's ACE token store is kept: beside the storage root, as the local companion
   * folder is (`ocfl/` → `ocfl-distillery/tokens/<object path>/v1.tokens`), never inside an object.
   */
  tokenStoreKey(objectPath: string, version: string): string {
    const companion = this.prefix ? `${this.prefix.replace(/\/+$/, '')}-distillery/` : 'distillery/';
    return `${companion}tokens/${objectPath}/${version}.tokens`;
  }

  /** Reads a small file anywhere in the bucket (token stores, their digests); undefined when absent. Never used for payload. */
  async readKey(key: string, run: Pick<RunScope, 'reporter' | 'signal'>): Promise<Buffer | undefined> {
    return this.uploader.call(policies.shortRequest, 'read', key, run, async (abortSignal) => {
      try {
        const got = await this.client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key: key }), { abortSignal });
        return Buffer.from(await got.Body!.transformToByteArray());
      } catch (err) {
        const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
        if (e.$metadata?.httpStatusCode === 404 && e.name !== 'NoSuchBucket') return undefined;
        throw err;
      }
    });
  }

  /** Where the bucket is, for messages (never a secret). */
  get where(): string {
    return `s3://${this.opts.bucket}/${this.prefix}`;
  }

  /** The address of any key in the bucket, for messages. */
  urlOf(key: string): string {
    return `s3://${this.opts.bucket}/${key}`;
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
