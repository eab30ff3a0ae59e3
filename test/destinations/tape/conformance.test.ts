/**
 * The onsite destination (LTO tape) held to the destination conformance suite (../conformance.ts):
 * real GNU tar and mt-gnu through rmt to the tape stand-in (src/destinations/tape/standin), which
 * drops the answer to a close, stalls writes, write-protects and corrupts as drives do, and logs
 * each fault it applied. What the tape holds is read from the stand-in's tape files with real tar,
 * counting only intact copies (sha512 as in the OCFL staging root). Skipped against a real drive.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe } from 'vitest';
import { tapeCommand, TapeDestination } from '../../../src/destinations/tape/index.js';
import { firedFaults, setTapeFaults } from '../../../src/destinations/tape/standin/rmt-standin.js';
import type { PreparedFolder } from '../../../src/destinations/destination.js';
import { commitVersion } from '../../../src/ocfl/index.js';
import { hashFile } from '../../../src/hash.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { destinationConformance, sparseFile, type ConformanceHarness } from '../conformance.js';
import { cliIo, makeFolder, RecordingArchivesSpace, REAL_DEVICE, runScope, tapeEnv } from './fixture.js';

/** Payload members of one tape file with the sha512 read back (tar reads the stand-in's file as the drive would hand it over). */
function membersOf(tapeFile: string): { path: string; sha512: string }[] {
  const script = `h=$(sha512sum | cut -d' ' -f1); printf '%s %s\\n' "$h" "$TAR_FILENAME"`;
  const r = spawnSync('tar', ['-b', '20', '-x', '-f', tapeFile, `--to-command=sh -c '${script.replace(/'/g, `'\\''`)}'`], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return r.stdout.split('\n').map((l) => /^([0-9a-f]{128}) (.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null && m[2].includes('/content/')).map((m) => ({ path: m[2], sha512: m[1] }));
}

async function tapeHarness(): Promise<ConformanceHarness> {
  const env = await tapeEnv({ A: {} }, 'A');
  const { io, err } = cliIo();
  if ((await tapeCommand(['label', 'LTO-000001'], { settings: env.options, ...io })) !== 0) throw new Error(err.join('\n'));
  const aspace = new RecordingArchivesSpace();
  let folder: PreparedFolder | undefined;
  const fired = (fault: string) => () => firedFaults(env.library, 'A').filter((f) => f.fault === fault).length;
  const sha512Of = new Map<string, string>();

  return {
    destination: () => new TapeDestination(env.options),
    scope: (signal) => ({ ...runScope(aspace, `run-${Date.now()}`, new MemoryReporter()), signal }),
    async folder() {
      // Two 30 KB images: the table of contents, image 1 and image 2 take the first ~63 KB of the tape file.
      folder ??= await makeFolder(env, 'F1', [{ seq: '0001' }, { seq: '0002' }]);
      return folder;
    },
    async bigFolder(bytes) {
      const src = join(env.dir, 'big');
      await mkdir(src, { recursive: true });
      const jp2Path = join(src, 'BIG_0001.jp2');
      await sparseFile(jp2Path, bytes);
      const { digests } = await hashFile(jp2Path, ['sha512', 'sha256', 'md5']);
      const objectId = 'https://archives.example.edu/repositories/2/archival_objects/BIG';
      const commit = await commitVersion(env.storageRoot, objectId, [{ logicalPath: 'BIG_0001.jp2', sourcePath: jp2Path, digests: { sha512: digests.sha512 } }], { message: 'test', user: { name: 'Test', address: 'test@example.org' } }, { mode: 'merge' });
      const record = { componentId: 'BIG', archivalObjectUri: '/repositories/2/archival_objects/BIG', archivalObject: {}, arrangement: {} as never, dates: [], digitalObjectUri: '/repositories/2/digital_objects/BIG' };
      return {
        name: 'BIG', path: src, record, arrangement: record.arrangement,
        images: [{
          sequence: '0001', sourcePath: `${jp2Path}.tif`, componentId: 'cBIG0001', jp2Path, logicalPath: 'BIG_0001.jp2', bytes,
          digests: { sha512: digests.sha512, sha256: digests.sha256, md5: digests.md5 },
          technical: { width: 1, height: 1, standard: '', transformation: '', quantization: '', fileFormatVersion: 'ISO/IEC 15444-1', caption: '' },
          componentUri: '/repositories/2/digital_object_components/BIG-0001',
        }],
        package: { storageRoot: env.storageRoot, objectId, objectPath: commit.objectPath, version: commit.version, payloadLocal: true },
      };
    },
    async held() {
      // Intact copies of each payload file across the tape's files; a damaged copy is not a copy.
      const dir = join(env.library, 'tapes', 'A');
      const out = new Map<string, number>();
      for (const name of (await readdir(dir)).filter((n) => n.endsWith('.tapefile')).sort()) {
        for (const m of membersOf(join(dir, name))) {
          if (!sha512Of.has(m.path)) sha512Of.set(m.path, (await hashFile(join(env.storageRoot, m.path), ['sha512'])).digests.sha512);
          if (sha512Of.get(m.path) === m.sha512) out.set(m.path, (out.get(m.path) ?? 0) + 1);
        }
      }
      return out;
    },
    async recorded() {
      return new Map([...aspace.fileVersions].map(([uri, fvs]) => [uri, fvs.length]));
    },
    async loseAnswer() {
      setTapeFaults(env.library, 'A', { lostAnswers: [{ file: 1 }] });
      return { fired: fired('lostAnswer') };
    },
    async breakVerification() {
      setTapeFaults(env.library, 'A', { corruptWrites: [{ file: 1, offset: 40_000 }] });
      return { fired: fired('corruptWrite') };
    },
    async refuse() {
      setTapeFaults(env.library, 'A', { writeProtected: true });
      return { fired: fired('writeProtected') };
    },
    async stall() {
      setTapeFaults(env.library, 'A', { writeDelayMs: 3_000 });
      return { fired: fired('writeDelay') };
    },
    async clearFaults() {
      setTapeFaults(env.library, 'A', { lostAnswers: [], corruptWrites: [], writeProtected: false, writeDelayMs: 0 });
    },
    appendOnly: 'a tape file that failed to verify or was cut short stays on the tape; the rerun writes a new one after it',
    refusalMessage: /^Tape LTO-000001 in .* is write-protected \(.*Read-only file system\): slide its write-protect tab to "write" or load another labelled tape, then run again\.$/,
    cleanup: () => env.cleanup(),
  };
}

if (REAL_DEVICE) describe.skip('tape destination conformance (faults are injected in the tape stand-in: not against a real drive)', () => undefined);
// 64 MiB: the rmt stand-in moves about 2 MB/s (a JSON state file per 10 KB record), and tar, not this process, holds the bytes.
else destinationConformance('tape', tapeHarness, { bigFileBytes: 64 * 1024 * 1024, timeoutMs: 180_000 });
