/**
 * Injected faults, end to end: the alchemist's runOnce with the worker built from settings.ini by
 * buildWorkerEnv, all four processes, one small collection per case. Each fault ends either in a
 * retry that succeeds or in a failed run whose reason names the cause; nothing submitted is lost;
 * and once the fault is cleared a rerun completes the work with nothing duplicated
 * (checkEndState finds no problem).
 *
 * Real parts: vips/OpenJPEG, exiftool, tesseract, a real S3-compatible server (fauxqs) behind a
 * fault proxy (test/destinations/s3/faultProxy.ts, which answers what real S3 does on a bad day),
 * real GNU tar and mt, a real OpenSSH server, a real tmpfs for the full disk. Stand-ins: the
 * ArchivesSpace stand-in server with its fault injector, the rmt tape stand-in with its tape faults
 * (capacity, read errors), the drush stand-in (Islandora).
 *
 *  fault                                 outcome and message (the run's reason, after "N problem(s) kept this run from finishing: ")
 *  ArchivesSpace 500 (passing)           retried; the run succeeds
 *  ArchivesSpace 500 (persisting)        <F>: ArchivesSpace answered 500 to POST /repositories/2/digital_objects: Stand-in fault: internal server
 *                                        error. A retry may help; if it persists, check the ArchivesSpace server's log. (gave up after 5 attempts,
 *                                        short request policy) — then a rerun completes
 *  ArchivesSpace time-out on a create    retried; exactly one digital object; the run succeeds
 *  ArchivesSpace stale lock_version      re-read and re-applied; the run succeeds
 *  ArchivesSpace session expiry (412)    signed in again; the run succeeds
 *  S3 500 / SlowDown / reset (passing)   retried, each said in the stream ("🔁 S3 had a server error (500 InternalError)…", "🔁 S3 asked
 *                                        Distillery to slow down (503 SlowDown)…", "🔁 The connection to S3 failed…"); the run succeeds
 *  S3 500 (persisting)                   cloud: <F>: 4 of 4 preservation file(s) of <F> were not stored in S3 (first: S3 had a server error (500
 *                                        InternalError) while Distillery tried to send s3://… A rerun resumes where this one stopped. (gave up after
 *                                        5 attempts, long request policy)). The object's inventory was not sent, so the bucket holds no incomplete
 *                                        version of <object> — then a rerun completes
 *  S3 wrong stored checksum              cloud: … S3 holds <key> with SHA-256 <x> but Distillery computed <y> from the local file: the copy in the
 *                                        bucket is not intact. … — then a rerun completes
 *  full disk (tmpfs) in preservation     <tiff>: No space left on device in <dir>: N KB free, about M KB needed to convert <name>. Free space in
 *                                        LOSSLESS_PRESERVATION_FILES (or give it a larger disk), then run again; … — after remounting larger, a rerun completes
 *  tape fills                            onsite: Tape <T> ran out of space while writing tape file N (…): tar: …: Cannot write: No space left on
 *                                        device. Nothing from this run is recorded on it. Load a new tape and label it with `distillery tape label
 *                                        <next>`, then run again … — after loading <next>, a rerun completes
 *  tape read fails at verify             onsite: Tape <T>, file N could not be read back (tar: …: Cannot read: Input/output error; …): nothing from
 *                                        this run is marked as on tape. Run again to write it anew after this file; … — then a rerun completes
 *  SSH refused                           access: <F>: SSH connection to <user>@127.0.0.1:1 was refused: is sshd running there, and are
 *                                        ISLANDORA_SSH_HOST and ISLANDORA_SSH_PORT right? … (gave up after 3 attempts, remote command policy)
 *                                        — with the right port again, a rerun completes
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { fingerprint } from '../../src/e2e/endState.js';
import { loadTape, readDrive, setTapeFaults } from '../../src/destinations/tape/standin/rmt-standin.js';
import { startFaultProxy, type Fault, type FaultProxy, type SeenRequest } from '../destinations/s3/faultProxy.js';
import { ALL, endState, runCollection, startStack, writeFolder, type CollectionSpec, type Stack } from './support/stack.js';

const CASES = ['ASP500', 'ASPDOWN', 'ASPSLOW', 'ASPLOCK', 'ASPSESS', 'S3BLIP', 'S3DOWN', 'S3SUM', 'DISK', 'TAPEFULL', 'TAPEREAD', 'SSHNO'];
const COLLECTIONS: CollectionSpec[] = CASES.map((id) => ({ id, folders: [`${id}_001_01`] }));

let s: Stack;
let proxy: FaultProxy;
/** What the S3 fault proxy does to the next request; undefined passes it through. */
let s3Rule: (r: SeenRequest) => Fault | undefined = () => undefined;

/** settings.ini lines with `key` set to `value`. */
function withSetting(lines: string[], key: string, value: string): string[] {
  return [...lines.filter((l) => !l.startsWith(`${key}=`)), `${key}=${value}`];
}

beforeAll(async () => {
  s = await startStack({ collections: COLLECTIONS, extraSettings: ['ASPACE_TIMEOUT_SECONDS=2'] });
  proxy = await startFaultProxy(s.services.s3.endpoint, (r) => s3Rule(r));
  s.settingsLines.splice(0, s.settingsLines.length, ...withSetting(s.settingsLines, 'S3_ENDPOINT', proxy.endpoint));
  await s.reload();
}, 180_000);

afterAll(async () => {
  s3Rule = () => undefined;
  await proxy?.close();
  await s?.stop();
});

/** Makes the case's folder (2 small scans) and returns its fingerprint as submitted. */
async function prepare(id: string): Promise<Map<string, string>> {
  await writeFolder(s, id, `${id}_001_01`, 2, { seed: CASES.indexOf(id) + 1 });
  return fingerprint(join(s.stage1, id));
}

/** The end state of a case must be whole: every image everywhere, once. */
async function expectComplete(id: string, originals: Map<string, string>): Promise<void> {
  const end = await endState(s, id, [{ name: `${id}_001_01`, images: 2 }], originals);
  expect(end.problems).toEqual([]);
  expect(end.figures).toMatchObject({ filesLost: 0, duplicateDigitalObjects: 0, duplicateComponents: 0, duplicateOcflObjects: 0, invalidOcflObjects: 0, orphanedMultipartUploads: 0, imagesInS3: 2, imagesOnTape: 2, books: 1 });
}

/** A run that failed: its reason matches, the originals wait untouched in the processing folder. */
async function expectFailed(id: string, originals: Map<string, string>, reason: RegExp): Promise<string> {
  const { record, lines } = await runCollection(s, id, ALL);
  expect(record.state).toBe('failed');
  expect(record.reason).toMatch(reason);
  expect(lines.at(-1)).toContain(record.reason!);
  expect(await fingerprint(join(s.stage2, id))).toEqual(originals);
  return record.reason!;
}

async function expectSucceeds(id: string): Promise<string> {
  const { record, text } = await runCollection(s, id, ALL);
  expect(record.reason).toBeUndefined();
  expect(record.state).toBe('succeeded');
  return text;
}

describe('ArchivesSpace', () => {
  test('500s that pass: retried, the run succeeds with nothing duplicated', async () => {
    const originals = await prepare('ASP500');
    s.services.aspace.faults.failNext({ method: 'POST', path: '/digital_objects' }, 2);
    s.services.aspace.faults.failNext({ method: 'GET', path: '/archival_objects/' }, 1);
    await expectSucceeds('ASP500');
    await expectComplete('ASP500', originals);
  }, 120_000);

  test('500s that do not pass: a failed run naming the server error; after it recovers a rerun completes', async () => {
    const originals = await prepare('ASPDOWN');
    s.services.aspace.faults.failNext({ method: 'POST', path: '/digital_objects' }, 1000);
    try {
      await expectFailed('ASPDOWN', originals, /ASPDOWN_001_01: ArchivesSpace answered 500 to POST \/repositories\/2\/digital_objects: Stand-in fault: internal server error\. A retry may help; if it persists, check the ArchivesSpace server's log\. \(gave up after 5 attempts, short request policy\)/);
    } finally {
      s.services.aspace.faults.clear();
    }
    await expectSucceeds('ASPDOWN');
    await expectComplete('ASPDOWN', originals);
  }, 180_000);

  test('a time-out on a create that the server still carries out: retried without a duplicate digital object', async () => {
    const originals = await prepare('ASPSLOW');
    // Longer than ASPACE_TIMEOUT_SECONDS=2: the client gives up, the server creates the record anyway.
    const log = s.services.aspace.state.requestLog;
    const creates = () => log.filter((e) => e.method === 'POST' && /\/digital_objects$/.test(e.path)).length;
    const before = creates(); // the log holds up to 20,000 requests: far more than this file makes
    s.services.aspace.faults.delayNext({ method: 'POST', path: '/digital_objects' }, 3_000, 1);
    await expectSucceeds('ASPSLOW');
    // The server carried out the slow create; the client, having timed out, looked the record up
    // again instead of creating a second one.
    expect(creates() - before).toBe(1);
    expect(s.services.aspace.state.list('digital_object').filter((d) => d.data.digital_object_id === 'ASPSLOW_001_01')).toHaveLength(1);
    await expectComplete('ASPSLOW', originals);
  }, 120_000);

  test('a stale lock_version (someone saved the record first): re-read and re-applied, the run succeeds', async () => {
    const originals = await prepare('ASPLOCK');
    s.services.aspace.faults.staleLockNext({ path: /\/digital_objects\/\d+$/ }, 2);
    s.services.aspace.faults.staleLockNext({ path: /\/archival_objects\/\d+$/ }, 1);
    await expectSucceeds('ASPLOCK');
    await expectComplete('ASPLOCK', originals);
  }, 120_000);

  test('sessions that expire during the run: signed in again, the run succeeds', async () => {
    const originals = await prepare('ASPSESS');
    const expire = setInterval(() => s.services.aspace.faults.expireSessions(), 1_000);
    try {
      await expectSucceeds('ASPSESS');
    } finally {
      clearInterval(expire);
    }
    expect(s.services.aspace.state.requestLog.filter((e) => e.status === 412).length).toBeGreaterThan(0);
    await expectComplete('ASPSESS', originals);
  }, 120_000);
});

describe('S3', () => {
  test('500, SlowDown and a connection reset on uploads: retried, the run succeeds, every checksum verified', async () => {
    const originals = await prepare('S3BLIP');
    const queue: Fault[] = [
      { kind: 'respond', status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
      { kind: 'respond', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
      { kind: 'reset' },
    ];
    s3Rule = (r) => (r.method === 'PUT' && r.key.endsWith('.jp2') ? queue.shift() : undefined);
    let text: string;
    try {
      text = await expectSucceeds('S3BLIP');
    } finally {
      s3Rule = () => undefined;
    }
    expect(queue).toEqual([]);
    expect(text).toMatch(/^🔁 S3 had a server error \(500 InternalError\)/m);
    expect(text).toMatch(/^🔁 S3 asked Distillery to slow down \(503 SlowDown\)/m);
    expect(text).toMatch(/^🔁 The connection to S3 failed/m);
    await expectComplete('S3BLIP', originals);
  }, 120_000);

  test('500 on every upload: a failed run naming S3 and the error; after it recovers a rerun completes', async () => {
    const originals = await prepare('S3DOWN');
    s3Rule = (r) => (r.method === 'PUT' ? { kind: 'respond', status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' } : undefined);
    try {
      await expectFailed('S3DOWN', originals, /cloud: S3DOWN_001_01: 4 of 4 preservation file\(s\) of S3DOWN_001_01 were not stored in S3 \(first: S3 had a server error \(500 InternalError\) while Distillery tried to send s3:\/\/distillery-preservation\/ocfl\/.* A rerun resumes where this one stopped\. \(gave up after 5 attempts, long request policy\)\)\. The object's inventory was not sent, so the bucket holds no incomplete version of /);
    } finally {
      s3Rule = () => undefined;
    }
    await expectSucceeds('S3DOWN');
    await expectComplete('S3DOWN', originals);
  }, 180_000);

  test('a wrong stored checksum: a failed run naming the mismatch; a rerun completes', async () => {
    const originals = await prepare('S3SUM');
    // The bucket's HEAD answer, by which the upload is verified, carries a different SHA-256.
    s3Rule = (r) => (r.method === 'HEAD' && r.key.endsWith('.jp2') ? { kind: 'corruptChecksumHeader' } : undefined);
    try {
      await expectFailed('S3SUM', originals, /cloud: .*S3 holds .*S3SUM_001_01_000\d\/\S+\.jp2 with SHA-256 .* but Distillery computed .* the copy in the bucket is not intact/s);
    } finally {
      s3Rule = () => undefined;
    }
    await expectSucceeds('S3SUM');
    await expectComplete('S3SUM', originals);
  }, 180_000);
});

describe('local disk, tape and SSH', () => {
  test('a full disk in the preservation folder: a failed run naming "no space"; with space again a rerun completes', async (ctx) => {
    const mnt = mkdtempSync(join(tmpdir(), 'distillery-fulldisk-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'pipe' });
    } catch (err) {
      rmSync(mnt, { recursive: true, force: true });
      ctx.skip(`mounting a tmpfs is not permitted here (${(err as Error).message.split('\n')[0]}); the full-disk case needs root`);
      return;
    }
    const lines = s.settingsLines;
    try {
      await s.reload(withSetting(lines, 'LOSSLESS_PRESERVATION_FILES', mnt));
      // Full-size scans (about 3 MB each) against 1 MB of space.
      await writeFolder(s, 'DISK', 'DISK_001_01', 2, { seed: 31, width: 1200, height: 900 });
      const originals = await fingerprint(join(s.stage1, 'DISK'));
      const reason = await expectFailed('DISK', originals, /No space left on device in .*: [\d,]+ KB free, about [\d,]+ KB needed to convert DISK_001_01_000\d\.tif\. Free space in LOSSLESS_PRESERVATION_FILES/);
      expect(reason).not.toContain('unsupported image format');
      execFileSync('mount', ['-o', 'remount,size=64m', mnt], { stdio: 'pipe' });
      await expectSucceeds('DISK');
      const end = await endState(s, 'DISK', [{ name: 'DISK_001_01', images: 2 }], originals);
      expect(end.problems).toEqual([]);
    } finally {
      await s.reload(lines);
      try {
        execFileSync('umount', [mnt], { stdio: 'pipe' });
      } finally {
        rmSync(mnt, { recursive: true, force: true });
      }
    }
  }, 180_000);

  test('a tape that fills: a failed run naming the next tape; after loading it a rerun completes', async () => {
    const originals = await prepare('TAPEFULL');
    const loaded = readDrive(s.services.tapeLibrary).loaded!;
    setTapeFaults(s.services.tapeLibrary, loaded, { capacityBytes: 64 * 1024 });
    const reason = await expectFailed('TAPEFULL', originals, /onsite: .*LTO-\d{6}/s);
    expect(reason).toContain(`Tape ${loaded} ran out of space while writing tape file`);
    expect(reason).toContain('No space left on device. Nothing from this run is recorded on it. Load a new tape and label it with `distillery tape label');
    const next = /`distillery tape label (LTO-\d{6})`/.exec(reason)?.[1];
    expect(next, `the reason names the tape to load next: ${reason}`).toBeDefined();
    expect(next).not.toBe(loaded);
    loadTape(s.services.tapeLibrary, next!);
    await expectSucceeds('TAPEFULL');
    await expectComplete('TAPEFULL', originals);
  }, 180_000);

  test('a tape read that fails at verify: a failed run naming the tape and the error; a rerun completes', async () => {
    const originals = await prepare('TAPEREAD');
    const loaded = readDrive(s.services.tapeLibrary).loaded!;
    // Every file that could be written next on this tape fails on read.
    setTapeFaults(s.services.tapeLibrary, loaded, { readErrors: Array.from({ length: 20 }, (_, i) => ({ file: i + 1, offset: 1024 })) });
    try {
      await expectFailed('TAPEREAD', originals, new RegExp(`onsite: Tape ${loaded}, file \\d+ could not be read back \\(tar: .*Cannot read: Input/output error.*: nothing from this run is marked as on tape\\. Run again to write it anew after this file`));
    } finally {
      setTapeFaults(s.services.tapeLibrary, loaded, { readErrors: [] });
    }
    await expectSucceeds('TAPEREAD');
    await expectComplete('TAPEREAD', originals);
  }, 180_000);

  test('SSH refused by the Islandora host: a failed run naming the host and the refusal; a rerun completes', async () => {
    const originals = await prepare('SSHNO');
    const lines = s.settingsLines;
    // A port nothing listens on: the connection is refused.
    await s.reload(withSetting(lines, 'ISLANDORA_SSH_PORT', '1'));
    try {
      await expectFailed('SSHNO', originals, /access: SSHNO_001_01: SSH connection to \S+@127\.0\.0\.1:1 was refused: is sshd running there, and are ISLANDORA_SSH_HOST and ISLANDORA_SSH_PORT right\? .*\(gave up after 3 attempts, remote (command|look-up) policy\)/);
    } finally {
      await s.reload(lines);
    }
    await expectSucceeds('SSHNO');
    await expectComplete('SSHNO', originals);
  }, 180_000);
});
