/**
 * Writing runs to tape and reading them back: real GNU tar and GNU mt through rmt to the tape
 * stand-in (or a real drive with TAPE_TEST_DEVICE), real OCFL objects.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { TapeDestination, tapeCommand, loadCatalogue } from '../../../src/destinations/tape/index.js';
import { validateObject } from '../../../src/ocfl/index.js';
import { cliIo, makeFolder, RecordingArchivesSpace, runScope, tapeEnv, type TapeEnv } from './fixture.js';

let env: TapeEnv;
beforeEach(async () => {
  env = await tapeEnv();
  const { io } = cliIo();
  expect(await tapeCommand(['label', 'LTO-000001', ...(process.env.TAPE_TEST_DEVICE ? ['--force'] : [])], { settings: env.options, ...io })).toBe(0);
});
afterEach(() => env.cleanup());

async function run(folders: Awaited<ReturnType<typeof makeFolder>>[], aspace: RecordingArchivesSpace, runId: string) {
  const dest = new TapeDestination(env.options);
  const scope = runScope(aspace, runId);
  await dest.begin(scope);
  for (const f of folders) await dest.deliver(scope, f);
  await dest.finish(scope);
  return scope.reporter;
}

test('two runs on one tape: one verified tar file each, only what the tape lacks, restorable with plain mt and tar', async () => {
  const aspace = new RecordingArchivesSpace();
  const f1 = await makeFolder(env, 'F1', [{ seq: '0001' }, { seq: '0002' }]);
  const r1 = await run([f1], aspace, 'run-1');
  expect(r1.lines.some((l) => l.startsWith('✅ Tape file 1 on LTO-000001 verified: 1 object(s)'))).toBe(true);
  expect(r1.progresses.some((p) => /written at .*\/s/.test(p.detail ?? ''))).toBe(true);
  expect(r1.progresses.some((p) => /^verified /.test(p.detail ?? ''))).toBe(true);

  // Second run: a new folder and a new version of F1 (one image changed).
  const f2 = await makeFolder(env, 'F2', [{ seq: '0001' }]);
  const f1v2 = await makeFolder(env, 'F1', [{ seq: '0002' }]);
  expect(f1v2.package!.version).toBe('v2');
  await run([f2, f1v2], aspace, 'run-2');

  const cat = await loadCatalogue(env.options.cataloguePath);
  const tape = cat.tapes[0];
  expect(tape.files.map((f) => [f.number, f.kind, f.state])).toEqual([[0, 'label', 'verified'], [1, 'run', 'verified'], [2, 'run', 'verified']]);
  expect(tape.files[1].objects.map((o) => [o.objectId.split('/').pop(), o.versions])).toEqual([['F1', ['v1']]]);
  // F1's v1 is already on this tape: file 2 holds only its v2.
  expect(tape.files[2].objects.map((o) => [o.objectId.split('/').pop(), o.versions])).toEqual([['F2', ['v1']], ['F1', ['v2']]]);

  // A rerun of the same folders writes nothing.
  const r3 = await run([f2, f1v2], aspace, 'run-3');
  expect(r3.lines.filter((l) => l.startsWith('↩️'))).toHaveLength(2);
  expect((await loadCatalogue(env.options.cataloguePath)).tapes[0].files).toHaveLength(3);

  // The archivist's restore: rewind, space to a file, extract with tar; the object is whole and valid.
  const restore = join(env.dir, 'restore');
  await mkdir(restore);
  const o = env.options;
  const sh = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return r.stdout;
  };
  const rsh = o.rshCommand ? [`--rsh-command=${o.rshCommand}`] : [];
  for (const n of [1, 2]) {
    sh(o.mtCommand, [...rsh, '-f', o.device, 'rewind']);
    sh(o.mtCommand, [...rsh, '-f', o.device, 'fsf', String(n)]);
    sh('tar', [...rsh, '-b', '20', '-x', '-f', o.device, '-C', restore]);
  }
  const toc = JSON.parse(await readFile(join(restore, 'DISTILLERY-TOC.json'), 'utf8'));
  expect(toc).toMatchObject({ indicator: 'LTO-000001', fileNumber: 2, runId: 'run-2', collectionId: 'DEMO' });
  expect(toc.tape.files).toHaveLength(2); // the tape's catalogue so far travels with it
  const restored = join(restore, f1.package!.objectPath);
  const v = await validateObject(restored);
  expect(v.errors ?? []).toEqual([]);
  expect(await readFile(join(restored, 'v2/content/F1_0002.jp2'))).toEqual(await readFile(f1v2.images[0].jp2Path));
});

test('each image gets a tape:// file version with its SHA-512, and the archival object a Tape top container', async () => {
  const aspace = new RecordingArchivesSpace();
  const f1 = await makeFolder(env, 'F1', [{ seq: '0001' }, { seq: '0002' }]);
  await run([f1], aspace, 'run-1');
  expect(aspace.containers).toEqual([{ archivalObjectUri: '/repositories/2/archival_objects/F1', indicator: 'LTO-000001', profile: '/container_profiles/1' }]);
  const fv = aspace.fileVersions.get(f1.images[0].componentUri)!;
  expect(fv).toEqual([expect.objectContaining({
    file_uri: `tape://LTO-000001/1/${f1.package!.objectPath}/v1/content/F1_0001.jp2`,
    checksum: f1.images[0].digests.sha512, checksum_method: 'sha-512', file_size_bytes: 30_000,
  })]);
  // v2 changes image 2 only: image 1 stays recorded where its bytes are (file 1), image 2 points at file 2.
  const f1v2 = await makeFolder(env, 'F1', [{ seq: '0002' }]);
  f1v2.images.unshift(f1.images[0]);
  await run([f1v2], aspace, 'run-2');
  expect(aspace.fileVersions.get(f1.images[0].componentUri)!.map((x) => x.file_uri)).toEqual([`tape://LTO-000001/1/${f1.package!.objectPath}/v1/content/F1_0001.jp2`]);
  expect(aspace.fileVersions.get(f1v2.images[1].componentUri)!.map((x) => x.file_uri)).toContain(`tape://LTO-000001/2/${f1.package!.objectPath}/v2/content/F1_0002.jp2`);
});

test('check() names tar, mt and the loaded tape', async () => {
  const r = await new TapeDestination(env.options).check();
  expect(r.ok).toBe(true);
  expect(r.detail).toMatch(/^tape: tar \(GNU tar\) 1\.\d+; .*; tape LTO-000001 loaded in /);
  // The original's ssh/LTFS keys are accepted but unused: check says so.
  const old = await new TapeDestination({ ...env.options, ignoredKeys: ['TAPE_SSH_HOST', 'TAPE_LTFS_CMD'] }).check();
  expect(old.detail).toMatch(/; TAPE_SSH_HOST, TAPE_LTFS_CMD in settings\.ini are no longer used \(the drive is reached with mt and tar\): remove them$/);
});
