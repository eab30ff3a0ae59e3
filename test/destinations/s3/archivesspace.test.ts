/**
 * The S3 locations recorded in ArchivesSpace, through the real HTTP client against the
 * ArchivesSpace stand-in (src/archivesspace/standin), with fauxqs on loopback as the bucket.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { ArchivesSpaceClient } from '../../../src/archivesspace/client.js';
import { startArchivesSpaceStandIn, type StandInHandle } from '../../../src/archivesspace/standin/index.js';
import type { RunScope } from '../../../src/destinations/destination.js';
import { S3Destination } from '../../../src/destinations/s3/index.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { addVersion, makeStorageRoot, OBJECT_PATH, preparedFolder } from './fixture.js';
import { fauxqsTarget, type Target } from './targets.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';

let t: Target;
let standin: StandInHandle;
let dir: string;

beforeEach(async () => {
  t = await fauxqsTarget();
  standin = await startArchivesSpaceStandIn({ seed: { repositories: [{ id: 2, repo_code: 'TEST', name: 'Test Archives' }] } });
  dir = await mkdtemp(join(tmpdir(), 'distillery-s3as-'));
});
afterEach(async () => {
  await t.stop();
  await standin.close();
  await rm(dir, { recursive: true, force: true });
});

test('after two runs ArchivesSpace holds exactly one component per image with one S3 file version', async () => {
  const aspace = new ArchivesSpaceClient({ baseUrl: standin.url, username: 'admin', password: 'admin', repositoryId: 2, staffUrl: 'https://staff.example.edu' });
  const root = join(dir, 'root');
  await makeStorageRoot(root);
  const paths = ['DEMO_001_02_0001.jp2', 'DEMO_001_02_0002.jp2'];
  const { version } = await addVersion(root, 'DEMO_001_02', paths.map((logicalPath) => ({ logicalPath, content: randomBytes(3000) })));
  const folder = await preparedFolder(root, version, paths);
  const digitalObject = await aspace.post('/repositories/2/digital_objects', { digital_object_id: 'DEMO_001_02', title: 'Letters, 1923' });
  for (const image of folder.images) {
    // The core creates the components (once); the destination adds its file version.
    image.componentUri = (await aspace.ensureComponent(digitalObject.uri, { componentId: image.componentId, label: `Image ${image.sequence}` })).uri;
  }

  for (let i = 0; i < 2; i++) {
    const reporter = new MemoryReporter();
    const run: RunScope = { runId: `r${i}`, collectionId: 'DEMO', user: { email: 'a@example.org', name: 'A' }, processes: ['cloud'], reporter, aspace };
    await new S3Destination({ ...t.connection, storageRoot: root }).deliver(run, folder);
    expect(reporter.lines).toContain(`📝 Recorded the S3 copy of image 0001 in ArchivesSpace: ${aspace.staffUrl(folder.images[0].componentUri)}`);
  }

  const components = standin.state.list('digital_object_component', 2);
  expect(components).toHaveLength(2);
  for (const image of folder.images) {
    const record = await aspace.get(image.componentUri);
    expect(record.file_versions).toHaveLength(1);
    expect(record.file_versions[0]).toMatchObject({
      file_uri: `${t.connection.endpoint}/${t.connection.bucket}/ocfl/${OBJECT_PATH}/v1/content/${image.logicalPath}`,
      checksum: image.digests.sha256,
      checksum_method: 'sha-256',
      file_size_bytes: 3000,
      file_format_name: 'JPEG 2000',
      file_format_version: image.technical.fileFormatVersion,
      caption: 'width: 10; height: 10; compression: lossless',
      use_statement: 'image-master',
    });
  }
});
