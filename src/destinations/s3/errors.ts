/**
 * Turns what S3 (or the network) answered into one sentence an archivist or librarian can act
 * on, and says whether trying again can help. Every S3 call of the destination goes through
 * `describeS3Error`, so the wording lives in one table.
 */
import { PermanentError } from '../../policies.js';

export interface S3Context {
  bucket: string;
  region: string;
  /** What was being done, e.g. "send", "check", "verify". */
  action: string;
  key?: string;
}

/** A failure that another attempt may cure (throttling, 5xx, a dropped connection). */
export class RetryableS3Error extends Error {
  override readonly name = 'RetryableS3Error';
  constructor(message: string, readonly code: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The stored object does not carry the checksum Distillery computed: it was not stored intact. */
export class ChecksumMismatchError extends PermanentError {
  constructor(readonly key: string, readonly expected: string, readonly actual: string | undefined) {
    super(
      `S3 holds ${key} with SHA-256 ${actual ?? '(none)'} but Distillery computed ${expected} from the local file: ` +
        'the copy in the bucket is not intact. Nothing was removed from the staging area; run the cloud process again ' +
        'to send the file again, and if it happens again report it to whoever runs the storage.',
    );
  }
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: string;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET']);

function where(ctx: S3Context): string {
  return ctx.key ? `s3://${ctx.bucket}/${ctx.key}` : `bucket ${ctx.bucket}`;
}

/** Classifies an error from the SDK; returns the error to throw (RetryableS3Error or PermanentError). */
export function describeS3Error(err: unknown, ctx: S3Context): RetryableS3Error | PermanentError {
  if (err instanceof RetryableS3Error || err instanceof PermanentError) return err;
  const e = (err ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const code = e.name && e.name !== 'Error' ? e.name : e.code ?? 'Error';
  const said = `${status ? `${status} ` : ''}${code}`;
  const perm = (text: string) => new PermanentError(`${text} A retry will not help.`, { cause: err });
  const again = (text: string) => new RetryableS3Error(`${text} A rerun resumes where this one stopped.`, code, { cause: err });

  if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidToken', 'ExpiredToken', 'AuthorizationHeaderMalformed', 'CredentialsProviderError'].includes(code)) {
    return perm(`S3 did not accept the AWS keys (${said}) when trying to ${ctx.action} ${where(ctx)}: check AWS_ACCESS_KEY and AWS_SECRET_KEY (and AWS_REGION) in settings.ini.`);
  }
  if (code === 'NoSuchBucket' || (status === 404 && !ctx.key)) {
    return perm(`The bucket "${ctx.bucket}" does not exist in region ${ctx.region} (${said}): check PRESERVATION_BUCKET and AWS_REGION in settings.ini, or ask whoever manages the AWS account to create it.`);
  }
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || code === 'Forbidden' || status === 403) {
    return perm(
      `S3 refused to let Distillery ${ctx.action} ${where(ctx)} (${said}): either the AWS keys are wrong, or the AWS user lacks a permission. ` +
        'It needs s3:ListBucket, s3:GetObject (for HEAD), s3:PutObject, s3:ListBucketMultipartUploads and s3:AbortMultipartUpload on this bucket; check AWS_ACCESS_KEY and AWS_SECRET_KEY, or ask whoever manages the AWS account.',
    );
  }
  if (code === 'SlowDown' || status === 503 || status === 429) {
    return again(`S3 asked Distillery to slow down (${said}) while trying to ${ctx.action} ${where(ctx)}.`);
  }
  if (code === 'BadDigest' || code === 'XAmzContentSHA256Mismatch' || code === 'InvalidDigest') {
    return again(`S3 refused ${where(ctx)} because the bytes it received did not match the SHA-256 Distillery sent (${said}): the data was damaged on the way.`);
  }
  if (status !== undefined && status >= 500) {
    return again(`S3 had a server error (${said}) while Distillery tried to ${ctx.action} ${where(ctx)}.`);
  }
  // The SDK names a dropped socket TimeoutError with code ECONNRESET: look at the code first.
  if (status === undefined && (NETWORK_CODES.has(code) || NETWORK_CODES.has(e.code ?? '') || /socket|network|ECONN|EPIPE|hang up/i.test(e.message ?? ''))) {
    return again(`The connection to S3 failed (${e.code ?? code}: ${e.message ?? ''}) while Distillery tried to ${ctx.action} ${where(ctx)}: check the network.`);
  }
  if (code === 'RequestTimeout' || code === 'TimeoutError' || code === 'AbortError' || code === 'RequestTimeTooSkewed') {
    if (code === 'RequestTimeTooSkewed') return perm(`S3 says this machine's clock is wrong (${said}): set the clock (NTP) and rerun.`);
    return again(`S3 did not answer in time (${said}) while Distillery tried to ${ctx.action} ${where(ctx)}.`);
  }
  if (status !== undefined && status >= 400) {
    return perm(`S3 refused to ${ctx.action} ${where(ctx)} (${said}: ${e.message ?? ''}).`);
  }
  // Unknown failures without an HTTP answer are most likely the network; one more try is cheap.
  return again(`S3 request failed (${code}: ${e.message ?? String(err)}) while Distillery tried to ${ctx.action} ${where(ctx)}.`);
}
