/**
 * One whole Distillery stack for an end-to-end suite: the stand-ins of src/demo/services.ts (the
 * ArchivesSpace stand-in server, a real S3-compatible server (fauxqs), the rmt tape stand-in driven
 * by real GNU tar and mt, a real OpenSSH server with the drush stand-in), settings.ini pointing at
 * them, and the real worker built by buildWorkerEnv. Each case uses its own collection, so one stack
 * serves a whole file; the ArchivesSpace seed holds every case's collection from the start.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOnce, type WorkerEnv } from '../../../src/alchemist/worker.js';
import { mergeSeeds, type FolderSpec, type Seed, type SeriesSpec } from '../../../src/archivesspace/standin/index.js';
import type { DemoServices } from '../../../src/demo/services.js';
import { writeSampleScan } from '../../../src/demo/sampleScans.js';
import { checkEndState, fingerprint, type EndState, type ExpectedFolder } from '../../../src/e2e/endState.js';
import { E2E_USER, prepareInstallation } from '../../../src/e2e/stack.js';
import { createLogger } from '../../../src/log.js';
import type { RunRecord } from '../../../src/runs/types.js';
import { loadSettings, type Settings } from '../../../src/settings/index.js';
import { buildWorkerEnv } from '../../../src/wiring.js';

export const USER = E2E_USER;
export const ALL = ['report', 'cloud', 'onsite', 'access'];

export interface CollectionSpec {
  id: string;
  folders?: (string | FolderSpec)[];
  series?: SeriesSpec[];
}

export interface StackOptions {
  collections: CollectionSpec[];
  tapeCapacity?: number;
  /** Extra settings.ini lines (override earlier ones: the reader keeps the last). */
  extraSettings?: string[];
  /** The preservation folder, when a test mounts something there (a small tmpfs). */
  preservationDir?: string;
}

export interface Stack {
  dataDir: string;
  services: DemoServices;
  settingsFile: string;
  settings: Settings;
  env: WorkerEnv;
  stage1: string;
  stage2: string;
  stage3: string;
  statusDir: string;
  usersFile: string;
  /** settings.ini lines as written, so a test can write a variant (e.g. a wrong SSH port). */
  settingsLines: string[];
  /** Reloads settings.ini (after rewriteSettings) and rebuilds the worker. */
  reload(lines?: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** All collections in one repository, so one stand-in server holds every case. */
export function mergedSeed(collections: CollectionSpec[]): Seed {
  return mergeSeeds(collections.map((c) => ({ collectionId: c.id, folders: c.folders, series: c.series })), { repoCode: 'TEST', name: 'Test Archives' });
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';
  const dataDir = await mkdtemp(join(tmpdir(), 'distillery-e2e-'));
  const { stage1, stage2, stage3, statusDir, usersFile, services, settingsLines: base } = await prepareInstallation(dataDir, {
    seed: mergedSeed(opts.collections), tapeCapacity: opts.tapeCapacity, preservationDir: opts.preservationDir,
  });
  const settingsLines = [...base, ...(opts.extraSettings ?? [])];
  const settingsFile = join(dataDir, 'settings.ini');
  const stack: Stack = {
    dataDir, services, settingsFile, stage1, stage2, stage3, statusDir, usersFile, settingsLines,
    settings: undefined as unknown as Settings,
    env: undefined as unknown as WorkerEnv,
    async reload(lines = settingsLines) {
      await writeFile(settingsFile, lines.join('\n') + '\n');
      stack.settings = await loadSettings(settingsFile, 'worker', { NODE_ENV: 'development' });
      stack.env = buildWorkerEnv(stack.settings, createLogger({ level: 'silent' }));
    },
    async stop() {
      await services.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  try {
    await stack.reload();
  } catch (err) {
    await services.stop();
    throw err;
  }
  return stack;
}

/** Writes small sample scans `<folder>_0001.tif`…; returns their paths. */
export async function writeFolder(stack: Stack, collectionId: string, folder: string, images: number, opts: { seed?: number; depth?: 8 | 16; width?: number; height?: number } = {}): Promise<string[]> {
  const dir = join(stack.stage1, collectionId, folder);
  await mkdir(dir, { recursive: true });
  const out: string[] = [];
  for (let i = 1; i <= images; i++) {
    const p = join(dir, `${folder}_${String(i).padStart(4, '0')}.tif`);
    await writeSampleScan(p, { seed: (opts.seed ?? 1) * 100 + i, depth: opts.depth, width: opts.width ?? 240, height: opts.height ?? 180, label: `${folder} ${i}` });
    out.push(p);
  }
  return out;
}

export interface RunResult {
  record: RunRecord;
  /** The run's stream, as the status page shows it. */
  lines: string[];
  text: string;
}

/** Asks for a run as the form does and lets the alchemist execute it; returns the archived record and stream. */
export async function runCollection(stack: Stack, collectionId: string, processes: string[] = ALL): Promise<RunResult> {
  const before = (await stack.env.status.archived(collectionId)).length;
  await stack.env.status.requestRun({ collectionId, processes, user: USER });
  await runOnce(stack.env);
  const runs = await stack.env.status.archived(collectionId);
  if (runs.length !== before + 1) throw new Error(`expected a finished run of ${collectionId}, found ${runs.length - before}`);
  const last = runs[0];
  const text = readFileSync(join(stack.statusDir, last.log), 'utf8');
  return { record: last.record!, lines: text.split('\n').filter(Boolean), text };
}

/** The end state of a collection after its runs. */
export async function endState(stack: Stack, collectionId: string, folders: ExpectedFolder[], originals: Map<string, string>, processes: string[] = ALL): Promise<EndState> {
  return checkEndState({
    settings: stack.settings, aspace: stack.services.aspace.state, islandoraHome: stack.services.sshd.home,
    collectionId, folders, originals, processes,
  });
}

/** Fingerprint of a collection wherever it is now (stage 1, 2 or 3). */
export async function originalsOf(stack: Stack, collectionId: string): Promise<Map<string, string>> {
  for (const s of [stack.stage1, stack.stage2, stack.stage3]) {
    try {
      return await fingerprint(join(s, collectionId));
    } catch {
      /* not in this stage */
    }
  }
  return new Map();
}

/** Steps as `name:state`, for compact assertions. */
export function stepStates(record: RunRecord): string[] {
  return record.steps.map((s) => `${s.name}:${s.state}`);
}
