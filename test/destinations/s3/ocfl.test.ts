/**
 * End to end with the real OCFL layer (src/ocfl): objects made by commitVersion are sent to
 * fauxqs on loopback (test/support/s3server.ts), and what the bucket holds under the prefix, read
 * back, is a valid OCFL storage root (validated by src/ocfl's validator) after each version.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterEach, beforeEach, expect, test } from 'vitest';
import type { ArchivesSpace } from '../../../src/archivesspace/types.js';
import type { RunScope } from '../../../src/destinations/destination.js';
import { S3Destination } from '../../../src/destinations/s3/index.js';
import { commitVersion, filesToSend, validateStorageRoot } from '../../../src/ocfl/index.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { preparedFolder, RecordingArchivesSpace } from './fixture.js';
import { fauxqsTarget, spyOn, writes, type Target } from './targets.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';

let t: Target;
let dir: string;

beforeEach(async () => {
  t = await fauxqsTarget();
  dir = await mkdtemp(join(tmpdir(), 'distillery-s3ocfl-'));
});
afterEach(async () => {
  await t.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Copies every object under the prefix out of the bucket (STANDARD here; a test may GET). */
async function download(prefix: string, to: string): Promise<number> {
  let n = 0;
  let token: string | undefined;
  do {
    const page = await t.client.send(new ListObjectsV2Command({ Bucket: t.connection.bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      const got = await t.client.send(new GetObjectCommand({ Bucket: t.connection.bucket, Key: o.Key! }));
      const path = join(to, o.Key!.slice(prefix.length));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await got.Body!.transformToByteArray());
      n += 1;
    }
    token = page.NextContinuationToken;
  } while (token);
  return n;
}

async function source(name: string): Promise<string> {
  const path = join(dir, 'scans', name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, randomBytes(6000));
  return path;
}

test('the bucket holds a valid OCFL storage root after each version', async () => {
  const root = join(dir, 'preservation');
  const user = { name: 'Archivist', address: 'mailto:a@example.org' };
  const a = 'DEMO_001_02_0001.jp2';
  const b = 'DEMO_001_02_0002.jp2';
  const c = 'DEMO_001_02_0003.jp2';
  const v1 = await commitVersion(root, 'DEMO_001_02', [{ logicalPath: a, sourcePath: await source(a) }, { logicalPath: b, sourcePath: await source(b) }], { message: 'first', user });
  const aspace = new RecordingArchivesSpace();
  const run = (): RunScope => ({ runId: 'r', collectionId: 'DEMO', user: { email: 'a@example.org', name: 'A' }, processes: ['cloud'], reporter: new MemoryReporter(), aspace: aspace as unknown as ArchivesSpace });
  await new S3Destination({ ...t.connection, storageRoot: root }).deliver(run(), await preparedFolder(root, v1.version, [a, b]));

  let copy = join(dir, 'copy1');
  expect(await download('ocfl/', copy)).toBe(10);
  let result = await validateStorageRoot(copy);
  expect(result.errors).toEqual([]);
  expect(result.objects).toBe(1);

  const v2 = await commitVersion(root, 'DEMO_001_02', [{ logicalPath: c, sourcePath: await source(c) }], { message: 'second', user }, { mode: 'merge' });
  expect(v2.version).toBe('v2');
  const dest = new S3Destination({ ...t.connection, storageRoot: root });
  const sent = spyOn(dest, t.connection.bucket);
  await dest.deliver(run(), await preparedFolder(root, v2.version, [a, b, c]));
  expect(writes(sent).map((r) => r.key.slice(`ocfl/${v2.objectPath}/`.length))).toEqual([
    `v2/content/${c}`, 'v2/inventory.json', 'v2/inventory.json.sha512', 'inventory.json', 'inventory.json.sha512',
  ]);

  copy = join(dir, 'copy2');
  expect(await download('ocfl/', copy)).toBe(13);
  result = await validateStorageRoot(copy);
  expect(result.errors).toEqual([]);
  expect(aspace.versions.get('/repositories/2/digital_object_components/3')![0].file_uri).toMatch(new RegExp(`/ocfl/${v2.objectPath}/v2/content/${c}$`));
});

test('an inventory that does not match its sidecar is refused: nothing is sent or recorded', async () => {
  const root = join(dir, 'preservation');
  const user = { name: 'Archivist', address: 'mailto:a@example.org' };
  const a = 'DEMO_001_02_0001.jp2';
  const v1 = await commitVersion(root, 'DEMO_001_02', [{ logicalPath: a, sourcePath: await source(a) }], { message: 'first', user });
  const folder = await preparedFolder(root, v1.version, [a]);
  // The list of files is taken before the damage (as a caller's own listing would be).
  const listed = await filesToSend(root, 'DEMO_001_02', v1.version, { includeHeldElsewhere: true });
  // The inventory is altered after its sidecar was written: its image now sits at another path.
  const invPath = join(root, v1.objectPath, 'inventory.json');
  const inv = JSON.parse(await readFile(invPath, 'utf8'));
  for (const paths of Object.values(inv.manifest) as string[][]) paths[0] = paths[0].replace(a, 'elsewhere.jp2');
  await writeFile(invPath, JSON.stringify(inv));

  const aspace = new RecordingArchivesSpace();
  const dest = new S3Destination({ ...t.connection, storageRoot: root, listFiles: async () => listed });
  const sent = spyOn(dest, t.connection.bucket);
  const run: RunScope = { runId: 'r', collectionId: 'DEMO', user: { email: 'a@example.org', name: 'A' }, processes: ['cloud'], reporter: new MemoryReporter(), aspace: aspace as unknown as ArchivesSpace };
  await expect(dest.deliver(run, folder)).rejects.toThrow(/does not match its sidecar/);
  expect(writes(sent)).toEqual([]);
  expect(aspace.versions.size).toBe(0);
});
