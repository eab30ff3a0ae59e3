/**
 * Faults a tape drive shows, injected in the rmt tape stand-in (so skipped against a real drive):
 * no tape, unlabelled, write-protected, end of tape mid-write then a second tape, a corrupted tape
 * file caught at verify, a read error at verify, a missing tar. Real GNU tar and mt-gnu throughout.
 */
import { afterEach, expect, test } from 'vitest';
import { loadCatalogue, tapeCommand, TapeDestination, TapeNotReadyError, TapeVerifyError } from '../../../src/destinations/tape/index.js';
import { loadTape, setTapeFaults } from '../../../src/destinations/tape/standin/rmt-standin.js';
import { cliIo, makeFolder, RecordingArchivesSpace, REAL_DEVICE, runScope, tapeEnv, type TapeEnv } from './fixture.js';

let env: TapeEnv;
afterEach(() => env?.cleanup());

async function label(indicator: string) {
  const { io, err } = cliIo();
  expect(await tapeCommand(['label', indicator], { settings: env.options, ...io }), err.join('\n')).toBe(0);
}

async function runOnce(folders: Awaited<ReturnType<typeof makeFolder>>[], aspace = new RecordingArchivesSpace(), runId = 'run-1') {
  const dest = new TapeDestination(env.options);
  const scope = runScope(aspace, runId);
  for (const f of folders) await dest.deliver(scope, f);
  await dest.finish(scope);
  return scope.reporter;
}

test.skipIf(REAL_DEVICE)('no tape in the drive: the run stops and says which tape to load', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  await label('LTO-000001');
  loadTape(env.library, null);
  const dest = new TapeDestination(env.options);
  const scope = runScope(new RecordingArchivesSpace());
  // mt's own message is shown (here mt-gnu's rmt open failing with the drive's ENOMEDIUM).
  const err = await dest.begin(scope).catch((e: Error) => e);
  expect(err).toBeInstanceOf(TapeNotReadyError);
  expect(err).toMatchObject({ reason: 'no-tape', message: 'No tape in localhost:/dev/nst0 (mt-gnu: localhost:/dev/nst0: rmtopen failed: No medium found): load tape LTO-000001, then run again.' });
  const check = await dest.check();
  expect(check.ok).toBe(false);
  expect(check.detail).toContain('No tape in localhost:/dev/nst0');
});

test.skipIf(REAL_DEVICE)('a blank tape: the run says to label it, with the next indicator', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  const f1 = await makeFolder(env, 'F1', [{ seq: '0001' }]);
  await expect(runOnce([f1])).rejects.toThrow('The tape in localhost:/dev/nst0 is blank (nothing could be read at the start of the tape): label it with `distillery tape label LTO-000001`');
});

test.skipIf(REAL_DEVICE)('a write-protected tape: nothing is written or recorded, and the message says what to do', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  await label('LTO-000001');
  setTapeFaults(env.library, 'A', { writeProtected: true });
  const aspace = new RecordingArchivesSpace();
  const f1 = await makeFolder(env, 'F1', [{ seq: '0001' }]);
  await expect(runOnce([f1], aspace)).rejects.toThrow('Tape LTO-000001 in localhost:/dev/nst0 is write-protected (tar: localhost\\:/dev/nst0: Cannot open: Read-only file system): slide its write-protect tab to "write" or load another labelled tape, then run again.');
  expect((await loadCatalogue(env.options.cataloguePath)).tapes[0].files).toHaveLength(1);
  expect(aspace.fileVersions.size).toBe(0);
});

test.skipIf(REAL_DEVICE)('the tape fills mid-write: nothing is recorded, the next tape is named, and a rerun on it continues', async () => {
  env = await tapeEnv({ A: { capacityBytes: 60_000 }, B: {} }, 'A');
  await label('LTO-000001');
  const aspace = new RecordingArchivesSpace();
  const f1 = await makeFolder(env, 'F1', [{ seq: '0001' }, { seq: '0002' }, { seq: '0003' }]);
  await expect(runOnce([f1], aspace)).rejects.toThrow(/^Tape LTO-000001 ran out of space while writing tape file 1 \(9\d\.\d KB to write\): tar: localhost\\:\/dev\/nst0: Cannot write: No space left on device\. Nothing from this run is recorded on it\. Load a new tape and label it with `distillery tape label LTO-000002`, then run again/s);
  let cat = await loadCatalogue(env.options.cataloguePath);
  expect(cat.tapes[0].fullAt).toBeDefined();
  expect(cat.tapes[0].files.map((f) => f.state)).toEqual(['verified', 'incomplete']);
  expect(aspace.fileVersions.size).toBe(0);
  // A rerun on the full tape refuses before writing.
  await expect(runOnce([f1], aspace)).rejects.toThrow(/^Tape LTO-000001 is full \(since .*\)\. Nothing from this run is recorded on it. Load a new tape and label it with `distillery tape label LTO-000002`/);
  // …and so does the start of the next run, before any image work.
  await expect(new TapeDestination(env.options).begin(runScope(aspace))).rejects.toThrow(/^Tape LTO-000001 is full/);

  loadTape(env.library, 'B');
  await label('LTO-000002');
  await runOnce([f1], aspace, 'run-2');
  cat = await loadCatalogue(env.options.cataloguePath);
  expect(cat.tapes[1].files.map((f) => [f.number, f.state])).toEqual([[0, 'verified'], [1, 'verified']]);
  expect(aspace.fileVersions.get(f1.images[2].componentUri)!.map((f) => f.file_uri)).toEqual([`tape://LTO-000002/1/${f1.package!.objectPath}/v1/content/F1_0003.jp2`]);
});

test.skipIf(REAL_DEVICE)('a tape file corrupted on the media is caught at verify, named, and never recorded', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  await label('LTO-000001');
  setTapeFaults(env.library, 'A', { corruptWrites: [{ file: 1, offset: 40_000 }] });
  const aspace = new RecordingArchivesSpace();
  const f1 = await makeFolder(env, 'F1', [{ seq: '0001' }, { seq: '0002' }]);
  const err = await runOnce([f1], aspace).catch((e: Error) => e);
  expect(err).toBeInstanceOf(TapeVerifyError);
  expect((err as Error).message).toMatch(new RegExp(`^Tape LTO-000001, file 1 did not verify: 1 file\\(s\\) differ from the OCFL inventory — ${f1.package!.objectPath}/v1/content/F1_000\\d\\.jp2 \\(object ${f1.package!.objectId}\\): sha512 read back [0-9a-f]{16}… differs from the inventory's`));
  let cat = await loadCatalogue(env.options.cataloguePath);
  expect(cat.tapes[0].files.map((f) => f.state)).toEqual(['verified', 'failed']);
  expect(aspace.fileVersions.size).toBe(0);
  // Once the fault is gone a rerun writes it again after the failed file.
  setTapeFaults(env.library, 'A', { corruptWrites: [] });
  await runOnce([f1], aspace, 'run-2');
  cat = await loadCatalogue(env.options.cataloguePath);
  expect(cat.tapes[0].files.map((f) => f.state)).toEqual(['verified', 'failed', 'verified']);
  expect(aspace.fileVersions.get(f1.images[0].componentUri)![0].file_uri).toMatch(/^tape:\/\/LTO-000001\/2\//);
});

test.skipIf(REAL_DEVICE)('a read error at verify fails the step naming tape, file and object', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  await label('LTO-000001');
  // Past F1 (the table of contents, two 30 KB images, its inventories): in F2's images, so F2 is named.
  setTapeFaults(env.library, 'A', { readErrors: [{ file: 1, offset: 100_000 }] });
  const f1 = await makeFolder(env, 'F1', [{ seq: '0001' }, { seq: '0002' }]);
  const f2 = await makeFolder(env, 'F2', [{ seq: '0001' }, { seq: '0002' }]);
  const aspace = new RecordingArchivesSpace();
  await expect(runOnce([f1, f2], aspace)).rejects.toThrow(new RegExp(`^Tape LTO-000001, file 1 could not be read back \\(tar: localhost\\\\:/dev/nst0: Cannot read: Input/output error \\(\\d+ times\\); tar: Too many errors, quitting\\) after \\S+, in object ${f2.package!.objectId.replace(/[.]/g, '\\.')}: nothing from this run is marked as on tape\\. Run again to write it anew after this file; if it happens again, clean the drive or use another tape\\.$`, 's'));
  expect((await loadCatalogue(env.options.cataloguePath)).tapes[0].files.map((f) => f.state)).toEqual(['verified', 'failed']);
  expect(aspace.fileVersions.size).toBe(0);
  expect(aspace.containers).toEqual([]);
});

test('a missing tar or mt is named with what to do', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  const r = await new TapeDestination({ ...env.options, tarCommand: 'no-such-tar' }).check();
  expect(r).toEqual({ ok: false, detail: 'tape: no-such-tar is not installed or not on PATH: install it (see docs/tape.md) or set its TAPE_*_CMD setting.' });
  const m = await new TapeDestination({ ...env.options, mtCommand: 'no-such-mt' }).check();
  expect(m).toEqual({ ok: false, detail: 'tape: no-such-mt is not installed or not on PATH: install it (see docs/tape.md) or set its TAPE_*_CMD setting.' });
  // A run with a missing mt stops before writing, with the same advice.
  await expect(new TapeDestination({ ...env.options, mtCommand: 'no-such-mt' }).begin(runScope(new RecordingArchivesSpace()))).rejects.toThrow('no-such-mt is not installed or not on PATH');
});
