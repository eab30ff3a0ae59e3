/**
 * The whole installation for the end-to-end trials, in a temp folder: the stand-ins of
 * src/demo/services.ts, a settings.ini pointing at them, and `distillery web` and
 * `distillery alchemist --once` as separate child processes started from dist/ exactly as an
 * installation starts them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoServices, type DemoServices } from '../demo/services.js';
import type { Seed } from '../archivesspace/standin/index.js';
import { loadSettings, type Settings } from '../settings/index.js';

export const E2E_USER = { email: 'hello@example.com', name: 'World' };
/** bin/distillery.js of this checkout (dist/e2e/stack.js → ../../bin). */
export const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'distillery.js');

export interface E2EStack {
  dataDir: string;
  settingsFile: string;
  settings: Settings;
  services: DemoServices;
  stage1: string;
  stage2: string;
  stage3: string;
  statusDir: string;
  /** Environment for the CLI children. */
  childEnv: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export interface Installation {
  stage1: string;
  stage2: string;
  stage3: string;
  statusDir: string;
  usersFile: string;
  services: DemoServices;
  /** settings.ini lines pointing at the folders and the stand-ins. */
  settingsLines: string[];
}

/**
 * The folders, users.csv (with the e2e user), the stand-ins and the settings.ini lines of one
 * installation in `dataDir`; used by `npm run e2e` and by the end-to-end test suites.
 */
export async function prepareInstallation(
  dataDir: string,
  opts: { seed: Seed; tapeCapacity?: number; preservationDir?: string },
): Promise<Installation> {
  const stage1 = join(dataDir, 'stage1-initial');
  const stage2 = join(dataDir, 'stage2-processing');
  const stage3 = join(dataDir, 'stage3-processed');
  const statusDir = join(dataDir, 'status');
  for (const d of [stage1, stage2, stage3, statusDir]) await mkdir(d, { recursive: true });
  const usersFile = join(dataDir, 'users.csv');
  await writeFile(usersFile, `email_address,display_name\n${E2E_USER.email},${E2E_USER.name}\n`);
  const services = await startDemoServices(dataDir, { seed: opts.seed, tapeCapacity: opts.tapeCapacity });
  const settingsLines = [
    '[settings]',
    `STATUS_FILES=${statusDir}`,
    `STAGE_1_ORIGINAL_FILES=${stage1}`,
    `STAGE_2_ORIGINAL_FILES=${stage2}`,
    `STAGE_3_ORIGINAL_FILES=${stage3}`,
    `LOSSLESS_PRESERVATION_FILES=${opts.preservationDir ?? join(dataDir, 'preservation')}`,
    `LOG_FILE=${join(dataDir, 'distillery.log')}`,
    `USERS_FILE=${usersFile}`,
    'WEB_IDENTITY=debug',
    'WEB_SECURE_COOKIES=false',
    'WEB_HOST=127.0.0.1',
    'WEB_PORT=0',
    // Crash trials submit one collection after another for hours, all as one person.
    'WEB_RUN_REQUESTS_PER_HOUR=0',
    ...services.settings,
  ];
  return { stage1, stage2, stage3, statusDir, usersFile, services, settingsLines };
}

export async function startStack(dataDir: string, seed: Seed): Promise<E2EStack> {
  const { stage1, stage2, stage3, statusDir, services, settingsLines } = await prepareInstallation(dataDir, { seed });
  const lines = [
    '; Written by npm run e2e for one trial session.',
    ...settingsLines,
    // Large preservation files go to S3 in several parts, as at a real installation.
    'S3_PART_SIZE_MB=5',
  ];
  const settingsFile = join(dataDir, 'settings.ini');
  await writeFile(settingsFile, lines.join('\n') + '\n');
  let settings: Settings;
  try {
    settings = await loadSettings(settingsFile, 'worker', { NODE_ENV: 'development' });
  } catch (err) {
    await services.stop();
    throw err;
  }
  // The installation uses the debug user (WEB_IDENTITY=debug), which needs development mode.
  const childEnv = { ...process.env, NODE_ENV: 'development', DISTILLERY_SETTINGS: settingsFile, DISTILLERY_LOG_LEVEL: 'warn' };
  return { dataDir, settingsFile, settings, services, stage1, stage2, stage3, statusDir, childEnv, stop: () => services.stop() };
}

export interface WebChild {
  url: string;
  stop(): Promise<void>;
}

/** `distillery web` as its own process; resolves with its URL once it listens. */
export async function startWebChild(stack: E2EStack): Promise<WebChild> {
  const child = spawn(process.execPath, [BIN, 'web'], { env: { ...stack.childEnv, DISTILLERY_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`distillery web did not start within 60 s:\n${out}`)), 60_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /"url":"(http:\/\/[^"]+)"|listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1] ?? m[2]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`distillery web exited with ${code}:\n${out}`));
    });
  });
  child.stdout!.resume();
  return {
    url,
    stop: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
