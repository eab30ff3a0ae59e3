/**
 * What two runs to tape leave in ArchivesSpace, through the real HTTP client against the project's
 * ArchivesSpace stand-in (src/archivesspace/standin); the drive is the rmt tape stand-in driven by
 * real GNU tar and mt-gnu (or a real drive with TAPE_TEST_DEVICE).
 */
import { afterEach, beforeEach, expect, test } from 'vitest';
import { ArchivesSpaceClient } from '../../../src/archivesspace/client.js';
import { buildSeed, startArchivesSpaceStandIn, type StandInHandle } from '../../../src/archivesspace/standin/index.js';
import { tapeCommand, TapeDestination } from '../../../src/destinations/tape/index.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { cliIo, makeFolder, tapeEnv, type TapeEnv } from './fixture.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';

let env: TapeEnv;
let standin: StandInHandle;
beforeEach(async () => {
  env = await tapeEnv();
  standin = await startArchivesSpaceStandIn({ seed: buildSeed({ collectionId: 'DEMO', folders: ['DEMO_001_01'] }) });
});
afterEach(async () => {
  await standin.close();
  await env.cleanup();
});

test('two runs: one Tape top container per tape linked once, one tape:// file version per image', async () => {
  const aspace = new ArchivesSpaceClient({ baseUrl: standin.url, username: 'admin', password: 'admin', repositoryId: 2, staffUrl: 'https://staff.example.edu' });
  const { io, err } = cliIo();
  expect(await tapeCommand(['label', 'LTO-000001', ...(process.env.TAPE_TEST_DEVICE ? ['--force'] : [])], { settings: env.options, ...io }), err.join('\n')).toBe(0);
  // The stand-in keeps no container profiles; the ref is stored as given, as ArchivesSpace does for an existing one.
  const profile = { uri: '/container_profiles/3' };
  const ao = { uri: standin.state.list('archival_object', 2).find((r) => r.data.component_id === 'DEMO_001_01')!.uri };
  const digitalObject = await aspace.post('/repositories/2/digital_objects', { digital_object_id: 'F1', title: 'Letters, 1923' });

  const folder = await makeFolder(env, 'F1', [{ seq: '0001' }, { seq: '0002' }]);
  folder.record.archivalObjectUri = ao.uri;
  for (const image of folder.images) {
    // The core creates the components (once); the destination adds its file version.
    image.componentUri = (await aspace.ensureComponent(digitalObject.uri, { componentId: image.componentId, label: `Image ${image.sequence}` })).uri;
  }
  for (const runId of ['run-1', 'run-2']) {
    const reporter = new MemoryReporter();
    const run = { runId, collectionId: 'DEMO', user: { email: 'a@example.org', name: 'A' }, processes: ['onsite' as const], reporter, aspace };
    const dest = new TapeDestination({ ...env.options, containerProfileUri: profile.uri });
    await dest.begin(run);
    await dest.deliver(run, folder);
    await dest.finish(run);
    expect(reporter.lines).toContain(`📝 Recorded F1 on tape LTO-000001 (file 1) in ArchivesSpace: ${aspace.staffUrl(ao.uri)}`);
  }

  const containers = standin.state.list('top_container', 2).filter((c) => c.data.type === 'Tape');
  expect(containers).toHaveLength(1);
  expect(containers[0].data).toMatchObject({ indicator: 'LTO-000001', type: 'Tape', container_profile: { ref: profile.uri } });
  const record = await aspace.get(ao.uri);
  expect(record.instances.filter((i: { sub_container?: { top_container?: { ref: string } } }) => i.sub_container?.top_container?.ref === containers[0].uri)).toHaveLength(1);
  for (const image of folder.images) {
    const component = await aspace.get(image.componentUri);
    expect(component.file_versions).toHaveLength(1);
    expect(component.file_versions[0]).toMatchObject({
      file_uri: `tape://LTO-000001/1/${folder.package!.objectPath}/v1/content/${image.logicalPath}`,
      checksum: image.digests.sha512,
      checksum_method: 'sha-512',
      file_size_bytes: 30_000,
      use_statement: 'image-master',
    });
  }
});
