/**
 * Where the contract suite runs: always against fauxqs on loopback (test/support/s3server.ts),
 * and also against real AWS S3 when S3_TEST_BUCKET, S3_TEST_REGION, AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY are set (objects go under a fresh prefix in STANDARD class, and are
 * deleted afterwards).
 */
import { randomUUID } from 'node:crypto';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { startS3Server, type S3TestServer } from '../../support/s3server.js';
import type { S3Destination, S3DestinationOptions } from '../../../src/destinations/s3/index.js';

export interface Target {
  name: string;
  connection: Pick<S3DestinationOptions, 'bucket' | 'region' | 'accessKeyId' | 'secretAccessKey' | 'endpoint' | 'forcePathStyle' | 'prefix' | 'storageClass'>;
  client: S3Client;
  server?: S3TestServer;
  stop(): Promise<void>;
}

export const awsConfigured = Boolean(process.env.S3_TEST_BUCKET && process.env.S3_TEST_REGION && process.env.AWS_ACCESS_KEY_ID && process.env.AWS_SECRET_ACCESS_KEY);

let bucketCounter = 0;
export async function fauxqsTarget(): Promise<Target> {
  const server = await startS3Server();
  const bucket = `distillery-test-${process.pid}-${++bucketCounter}`;
  await server.createBucket(bucket);
  return {
    name: 'fauxqs',
    server,
    client: server.client(),
    connection: { bucket, region: server.region, accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey, endpoint: server.endpoint, forcePathStyle: true, prefix: 'ocfl/' },
    stop: () => server.stop(),
  };
}

export async function awsTarget(): Promise<Target> {
  const env = process.env;
  const region = env.S3_TEST_REGION!;
  const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! };
  const client = new S3Client({ region, credentials, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
  const prefix = `distillery-test/${randomUUID()}/`;
  return {
    name: 'aws',
    client,
    connection: { bucket: env.S3_TEST_BUCKET!, region, ...credentials, prefix, storageClass: 'STANDARD' },
    async stop() {
      // The JSON keys sit at the top of the bucket (as the original put them): remove them too.
      for (const p of [prefix, 'DEMO/']) {
        for (;;) {
          const page = await client.send(new ListObjectsV2Command({ Bucket: env.S3_TEST_BUCKET!, Prefix: p }));
          const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
          if (keys.length === 0) break;
          await client.send(new DeleteObjectsCommand({ Bucket: env.S3_TEST_BUCKET!, Delete: { Objects: keys } }));
        }
      }
      client.destroy();
    },
  };
}

export interface SentRequest {
  method: string;
  key: string;
  query: Record<string, unknown>;
  storageClass?: string;
  checksumSha256?: string;
}

/** Records every request the destination's client sends, as sent (after signing). */
export function spyOn(dest: S3Destination, bucket: string): SentRequest[] {
  const sent: SentRequest[] = [];
  dest.client.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as { method: string; path: string; query: Record<string, unknown>; headers: Record<string, string>; hostname: string };
      let path = decodeURIComponent(req.path.replace(/^\//, ''));
      if (path.startsWith(`${bucket}/`)) path = path.slice(bucket.length + 1);
      else if (path === bucket) path = '';
      sent.push({ method: req.method, key: path, query: req.query ?? {}, storageClass: req.headers['x-amz-storage-class'], checksumSha256: req.headers['x-amz-checksum-sha256'] });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'distilleryTestSpy' },
  );
  return sent;
}

/** PutObject and CreateMultipartUpload requests: the ones that create objects. */
export function writes(sent: SentRequest[]): SentRequest[] {
  return sent.filter((r) => (r.method === 'PUT' && !('partNumber' in r.query)) || (r.method === 'POST' && 'uploads' in r.query));
}
