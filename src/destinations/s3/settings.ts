/**
 * Settings of the cloud destination (CLOUD_PLATFORM=s3). The original's keys keep their meaning
 * (AWS_ACCESS_KEY, AWS_SECRET_KEY, PRESERVATION_BUCKET); the rest are new and optional.
 */
import type { SettingsReader } from '../../settings/reader.js';
import type { FileUriForm } from './keys.js';

export const STORAGE_CLASSES = [
  'DEEP_ARCHIVE', 'GLACIER', 'GLACIER_IR', 'STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING',
] as const;
export type StorageClass = (typeof STORAGE_CLASSES)[number];

export interface S3Settings {
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** For S3-compatible stores; unset means AWS. */
  endpoint?: string;
  forcePathStyle: boolean;
  storageClass: StorageClass;
  metadataStorageClass: StorageClass;
  prefix: string;
  partSizeBytes: number;
  queueSize: number;
  /** S3_FILE_URI_FORM: how copies are named in ArchivesSpace file versions. */
  fileUriForm: FileUriForm;
  /**
   * ORIGINAL_S3_COPIES: what to do where the Python Distillery already put a folder's files in the
   * bucket: keep them as the folder's cloud copy (verified, nothing uploaded) or repackage (send
   * the OCFL object; the original's keys are listed for a person to delete). Unset: such a folder
   * stops with a message asking for the choice.
   */
  originalCopies?: OriginalCopies;
  /** S3_PRICE_PER_GB_MONTH: storage price used to show what a second copy would cost (USD). */
  pricePerGbMonth: number;
}

export type OriginalCopies = 'keep' | 'repackage';

const MiB = 1024 * 1024;

export function readS3Settings(r: SettingsReader): S3Settings {
  const accessKeyId = r.string('AWS_ACCESS_KEY', { required: true, help: 'the access key id of the AWS user that writes to the preservation bucket' }) ?? '';
  const secretAccessKey = r.secret('AWS_SECRET_KEY', { required: true, help: 'the secret key that belongs to AWS_ACCESS_KEY' }) ?? '';
  const bucket = r.string('PRESERVATION_BUCKET', { required: true, help: 'the S3 bucket that holds the OCFL storage root' }) ?? '';
  if (bucket && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    r.problem('PRESERVATION_BUCKET', `"${bucket}" is not a valid S3 bucket name (3–63 lower-case letters, digits, dots and hyphens).`);
  }
  const region = r.string('AWS_REGION', { default: 'us-west-2', help: 'the AWS region of the bucket' });
  const endpoint = r.url('S3_ENDPOINT', { help: 'only for S3-compatible stores other than AWS' });
  const forcePathStyle = r.bool('S3_FORCE_PATH_STYLE', { default: endpoint !== undefined, help: 'path-style URLs (bucket in the path), needed by most S3-compatible stores' });
  const storageClass = r.oneOf('S3_STORAGE_CLASS', STORAGE_CLASSES, { default: 'DEEP_ARCHIVE', help: 'storage class of the preservation files' })!;
  const metadataStorageClass = r.oneOf('S3_METADATA_STORAGE_CLASS', STORAGE_CLASSES, { default: 'STANDARD', help: 'storage class of inventories and JSON, which must stay readable at once' })!;
  // The storage root gets its own folder: the original's JSON keys (<collection>/…) sit at the bucket's top,
  // and inside a storage root they would be stray files (OCFL E072).
  let prefix = r.string('S3_PREFIX', { default: 'ocfl/', help: 'the folder inside the bucket that holds the OCFL storage root' });
  if (prefix && !prefix.endsWith('/')) prefix += '/';
  prefix = prefix.replace(/^\/+/, '');
  const partMiB = r.int('S3_PART_SIZE_MB', { default: 8, min: 5, max: 512, help: 'size of one multipart part in MiB' });
  const queueSize = r.int('S3_QUEUE_SIZE', { default: 4, min: 1, max: 64, help: 'parts or files sent at the same time' });
  const fileUriForm = r.oneOf('S3_FILE_URI_FORM', ['https', 's3'] as const, {
    default: 'https',
    help: 'how S3 copies are named in ArchivesSpace: https (the object\'s web address) or s3 (s3://bucket/key, unchanged when the endpoint moves)',
  })!;
  const originalCopies = r.oneOf('ORIGINAL_S3_COPIES', ['keep', 'repackage'] as const, {
    help: "keep: the original Distillery's copies stay the folder's cloud copy; repackage: the OCFL object is sent and the original's keys listed for deletion by a person",
  });
  const priceText = r.string('S3_PRICE_PER_GB_MONTH', { default: '0.00099', help: 'USD per GB-month of the payload storage class, for the cost of a second copy' });
  const pricePerGbMonth = Number(priceText);
  if (!Number.isFinite(pricePerGbMonth) || pricePerGbMonth < 0) r.problem('S3_PRICE_PER_GB_MONTH', `must be a price in US dollars such as 0.00099, not "${priceText}".`);
  return {
    bucket, region, fileUriForm, originalCopies, pricePerGbMonth: Number.isFinite(pricePerGbMonth) ? pricePerGbMonth : 0.00099, accessKeyId, secretAccessKey, endpoint, forcePathStyle, storageClass, metadataStorageClass, prefix,
    partSizeBytes: partMiB * MiB, queueSize,
  };
}
