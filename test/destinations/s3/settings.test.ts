import { describe, expect, test } from 'vitest';
import { readS3Settings } from '../../../src/destinations/s3/settings.js';
import { SettingsReader } from '../../../src/settings/reader.js';

describe('readS3Settings', () => {
  test('the original keys and the new defaults', () => {
    const r = new SettingsReader({ AWS_ACCESS_KEY: 'AKIDEXAMPLE', AWS_SECRET_KEY: 's3cr3t', PRESERVATION_BUCKET: 'caltech-preservation' });
    expect(readS3Settings(r)).toEqual({
      accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 's3cr3t', bucket: 'caltech-preservation', region: 'us-west-2', endpoint: undefined,
      forcePathStyle: false, storageClass: 'DEEP_ARCHIVE', metadataStorageClass: 'STANDARD', prefix: 'ocfl/', partSizeBytes: 8 * 1024 * 1024, queueSize: 4,
      fileUriForm: 'https', originalCopies: undefined, pricePerGbMonth: 0.00099,
    });
    expect(r.problems).toEqual([]);
    expect([...r.secretKeys]).toEqual(['AWS_SECRET_KEY']);
  });

  test('an S3-compatible store, path style by default, and a custom prefix', () => {
    const r = new SettingsReader({ AWS_ACCESS_KEY: 'a', AWS_SECRET_KEY: 'b', PRESERVATION_BUCKET: 'bucket-1', S3_ENDPOINT: 'http://store.example:9000/', S3_PREFIX: '/archive', S3_STORAGE_CLASS: 'GLACIER' });
    expect(readS3Settings(r)).toMatchObject({ endpoint: 'http://store.example:9000', forcePathStyle: true, prefix: 'archive/', storageClass: 'GLACIER' });
  });

  test('every problem at once, by key', () => {
    const r = new SettingsReader({ PRESERVATION_BUCKET: 'Bad_Bucket', S3_STORAGE_CLASS: 'COLD', S3_PART_SIZE_MB: '2', S3_ENDPOINT: 'ftp://x' });
    readS3Settings(r);
    expect(r.problems.map((p) => p.key).sort()).toEqual(['AWS_ACCESS_KEY', 'AWS_SECRET_KEY', 'PRESERVATION_BUCKET', 'S3_ENDPOINT', 'S3_PART_SIZE_MB', 'S3_STORAGE_CLASS']);
    expect(r.problems.find((p) => p.key === 'PRESERVATION_BUCKET')!.message).toMatch(/"Bad_Bucket" is not a valid S3 bucket name/);
    expect(r.problems.find((p) => p.key === 'AWS_ACCESS_KEY')!.message).toMatch(/is required but missing: add AWS_ACCESS_KEY=/);
  });
});
