/**
 * A multipart upload interrupted by a crash or a lost connection stays in the bucket, invisible
 * and billed, until someone aborts it. Before sending an object, abort every unfinished upload
 * under that object's prefix (only ours: one worker holds a collection at a time).
 */
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { policies } from '../../policies.js';
import type { CallScope, Uploader } from './uploader.js';

export async function abortOrphanedUploads(client: S3Client, uploader: Uploader, bucket: string, prefix: string, run: CallScope): Promise<number> {
  let aborted = 0;
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    const page = await uploader.call(policies.shortRequest, 'list unfinished uploads under', prefix, run, (abortSignal) =>
      client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }), { abortSignal }),
    );
    for (const u of page.Uploads ?? []) {
      await uploader.call(policies.shortRequest, 'abort the unfinished upload of', u.Key, run, async (abortSignal) => {
        try {
          await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key!, UploadId: u.UploadId! }), { abortSignal });
        } catch (err) {
          // Finished or aborted meanwhile: that is what we wanted.
          if ((err as { name?: string }).name !== 'NoSuchUpload') throw err;
        }
      });
      aborted += 1;
    }
    if (!page.IsTruncated) return aborted;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}
