/**
 * Test set-up for the tape destination. The drive is the project's rmt tape stand-in
 * (src/destinations/tape/standin) driven by real GNU tar and GNU mt (mt-gnu) through
 * `--rsh-command`; set TAPE_TEST_DEVICE (and TAPE_TEST_MT_CMD, TAPE_TEST_RSH_CMD) to run the same
 * tests against a real drive (fault-injection tests are then skipped). OCFL objects are made by the
 * project's OCFL layer (commitVersion) in a temp storage root.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArchivesSpace, FileVersion, FolderRecord } from '../../../src/archivesspace/types.js';
import type { PreparedFolder, RunScope } from '../../../src/destinations/destination.js';
import type { TapeDestinationOptions } from '../../../src/destinations/tape/index.js';
import { createTapeLibrary, type TapeFaults } from '../../../src/destinations/tape/standin/rmt-standin.js';
import { writeStandinRsh } from '../../../src/destinations/tape/standin/rsh.js';
import { commitVersion } from '../../../src/ocfl/index.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';

export const REAL_DEVICE = process.env.TAPE_TEST_DEVICE;

export interface TapeEnv {
  dir: string;
  library: string;
  storageRoot: string;
  options: TapeDestinationOptions;
  cleanup(): Promise<void>;
}

export async function tapeEnv(tapes: Record<string, TapeFaults> = { A: {} }, loaded: string | null = 'A'): Promise<TapeEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'distillery-tape-test-'));
  const library = join(dir, 'library');
  createTapeLibrary(library, tapes, loaded);
  const rsh = writeStandinRsh(join(dir, 'fake-rsh'), library);
  const storageRoot = join(dir, 'ocfl');
  const options: TapeDestinationOptions = {
    device: REAL_DEVICE ?? 'localhost:/dev/nst0',
    mtCommand: REAL_DEVICE ? (process.env.TAPE_TEST_MT_CMD ?? 'mt') : 'mt-gnu',
    tarCommand: 'tar',
    rshCommand: REAL_DEVICE ? process.env.TAPE_TEST_RSH_CMD : rsh,
    blockingFactor: 20,
    indicatorPrefix: 'LTO-',
    containerProfileUri: '/container_profiles/1',
    cataloguePath: join(dir, 'shared', 'tape-catalogue.json'),
    storageRoot,
  };
  return { dir, library, storageRoot, options, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A folder of `count` images of `size` random bytes, committed as a new version of its OCFL object. */
export async function makeFolder(env: TapeEnv, name: string, images: { seq: string; content?: Buffer }[], componentUri = (seq: string) => `/repositories/2/digital_object_components/${name}-${seq}`): Promise<PreparedFolder> {
  const src = join(env.dir, 'jp2', name);
  await mkdir(src, { recursive: true });
  const preserved = [];
  for (const img of images) {
    const content = img.content ?? randomBytes(30_000);
    const logicalPath = `${name}_${img.seq}.jp2`;
    const jp2Path = join(src, `${logicalPath}.${Date.now()}`);
    await writeFile(jp2Path, content);
    const digests = {
      sha512: createHash('sha512').update(content).digest('hex'),
      sha256: createHash('sha256').update(content).digest('hex'),
      md5: createHash('md5').update(content).digest('hex'),
    };
    preserved.push({
      sequence: img.seq, sourcePath: `${jp2Path}.tif`, componentId: `c${name}${img.seq}`, jp2Path, logicalPath, bytes: content.length, digests,
      technical: { width: 10, height: 10, standard: 'ISO/IEC 15444-1', transformation: '5-3 reversible', quantization: 'no quantization', fileFormatVersion: 'ISO/IEC 15444-1', caption: 'width: 10; height: 10; compression: lossless' },
      componentUri: componentUri(img.seq),
    });
  }
  const objectId = `https://archives.example.edu/repositories/2/archival_objects/${name}`;
  const commit = await commitVersion(env.storageRoot, objectId, preserved.map((p) => ({ logicalPath: p.logicalPath, sourcePath: p.jp2Path, digests: { sha512: p.digests.sha512 } })), { message: 'test', user: { name: 'Test', address: 'test@example.org' } }, { mode: 'merge' });
  const record = { componentId: name, archivalObjectUri: `/repositories/2/archival_objects/${name}`, archivalObject: {}, arrangement: {} as FolderRecord['arrangement'], dates: [], digitalObjectUri: `/repositories/2/digital_objects/${name}` };
  return {
    name, path: src, record, arrangement: record.arrangement, images: preserved,
    package: { storageRoot: env.storageRoot, objectId, objectPath: commit.objectPath, version: commit.version, payloadLocal: true },
  };
}

/** Records the two calls the tape destination makes (used where the ArchivesSpace stand-in is not the subject). */
export class RecordingArchivesSpace implements Partial<ArchivesSpace> {
  readonly containers: { archivalObjectUri: string; indicator: string; profile?: string }[] = [];
  readonly fileVersions = new Map<string, FileVersion[]>();
  async ensureTapeContainer(archivalObjectUri: string, indicator: string, profile?: string): Promise<string> {
    if (!this.containers.some((c) => c.archivalObjectUri === archivalObjectUri && c.indicator === indicator)) this.containers.push({ archivalObjectUri, indicator, profile });
    return `/repositories/2/top_containers/${indicator}`;
  }
  async upsertFileVersions(uri: string, fvs: FileVersion[]): Promise<void> {
    const list = this.fileVersions.get(uri) ?? [];
    for (const fv of fvs) {
      const i = list.findIndex((x) => x.file_uri === fv.file_uri);
      if (i >= 0) list[i] = fv;
      else list.push(fv);
    }
    this.fileVersions.set(uri, list);
  }
  staffUrl(uri: string): string {
    return `https://staff.example.edu${uri}`;
  }
}

export function runScope(aspace: Partial<ArchivesSpace>, runId = 'run-1', reporter = new MemoryReporter()): RunScope & { reporter: MemoryReporter } {
  return { runId, collectionId: 'DEMO', user: { email: 'a@example.org', name: 'A' }, processes: ['onsite'], reporter, aspace: aspace as ArchivesSpace };
}

export function cliIo(): { out: string[]; err: string[]; io: { out: (l: string) => void; err: (l: string) => void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}
