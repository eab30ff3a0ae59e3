// The run's fence on a real status folder: a claim taken over by another worker stops every write
// of the old holder (ArchivesSpace writes, its run's stream and record), reads go on; a cancel
// request stops the run at the next boundary, not before.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ClaimLost, fencedArchivesSpace, RunCancelled, RunFence } from '../../src/alchemist/fence.js';
import { silentLogger } from '../../src/log.js';
import { RunJournal } from '../../src/runs/journal.js';
import { type Claim, StatusFolder } from '../../src/runs/statusFolder.js';

let dir: string;
let status: StatusFolder;
let claim: Claim;
const user = { email: 'a@example.edu', name: 'Ada' };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fence-'));
  status = new StatusFolder(dir);
  await status.requestRun({ collectionId: 'F', processes: ['cloud'], user });
  claim = (await status.claim((await status.pending())[0], { host: 'host-a', pid: 1 }))!;
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function takeOver(): Promise<Claim> {
  const [stale] = await status.claimed();
  expect(await status.requeue(stale)).toBe(true);
  return (await status.claim((await status.pending())[0], { host: 'host-b', pid: 2 }))!;
}

it('lets writes through while the claim is held, and stops them (and aborts the run) once another worker took it', async () => {
  const controller = new AbortController();
  const fence = new RunFence(status, claim, controller, silentLogger);
  const calls: string[] = [];
  const aspace = fencedArchivesSpace({
    findFolder: async (id: string) => (calls.push(`find ${id}`), id),
    ensureComponent: async (uri: string) => (calls.push(`ensure ${uri}`), uri),
  }, fence.check);
  await aspace.ensureComponent('/do/1');
  await takeOver();
  await expect(aspace.ensureComponent('/do/2')).rejects.toBeInstanceOf(ClaimLost);
  await expect(aspace.findFolder('F_001_01')).resolves.toBe('F_001_01');
  expect(calls).toEqual(['ensure /do/1', 'find F_001_01']);
  expect(controller.signal.aborted).toBe(true);
  await expect(fence.check('installing the OCFL version of F_001_01')).rejects.toThrow(/^This worker \(host-a, process 1\) no longer holds the run F-\S+ of F: another worker took it over after this one stopped answering\. Stopped before the ArchivesSpace write ensureComponent; nothing more is written by this worker\.$/);
});

it('drops the old holder\'s stream and record writes once the claim is gone; the new owner\'s stay', async () => {
  const fence = new RunFence(status, claim, new AbortController(), silentLogger);
  const record = (await status.readRecord('F'))!;
  const journal = new RunJournal({ ...record, state: 'running' }, status, silentLogger, () => fence.holds());
  await journal.line('A: before');
  await new Promise((ok) => setTimeout(ok, 250));
  const b = await takeOver();
  await status.appendLines('F', ['B: resumed']);
  await journal.line('A: after');
  await journal.save();
  expect(await readFile(status.streamPath('F'), 'utf8')).toBe('A: before\nB: resumed\n');
  expect((await status.readRecord('F'))?.state).toBe('queued');
  expect(fence.lostClaim).toBe(true);
  expect(await status.holds(b)).toBe(true);
});

it('stops a cancelled run at the next boundary with who, when and where', async () => {
  const controller = new AbortController();
  const fence = new RunFence(status, claim, controller, silentLogger);
  await fence.check('installing the OCFL version of F_001_01');
  // A cancel of another (earlier) run of the collection does not count.
  await status.requestCancel('F', { runId: 'F-20260101000000-older', by: user, at: '2026-11-30T11:00:00.000Z' });
  await fence.check('installing the OCFL version of F_001_02');
  expect(controller.signal.aborted).toBe(false);
  await status.requestCancel('F', { runId: claim.request.runId, by: user, at: '2026-11-30T12:00:00.000Z' });
  const err = await fence.check('sending F_001_01 to S3').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(RunCancelled);
  expect((err as RunCancelled).message).toBe('Cancelled by Ada at 2026-11-30T12:00:00.000Z; stopped before sending F_001_01 to S3.');
  expect(controller.signal.aborted).toBe(true);
  expect(await status.holds(claim)).toBe(true);
});
