/**
 * `npm run e2e -- --quick --crash 2` as CI runs it (on the Node that runs the test; the build is
 * brought up to date before any test, test/globalSetup.ts): the whole installation in a
 * temp folder — the web form in a real browser (Debian's Chromium via playwright-core), the
 * alchemist as its own process (killed with SIGKILL and restarted), a real S3-compatible server
 * (fauxqs), real GNU tar and mt against the rmt tape stand-in, a real OpenSSH server with the
 * drush stand-in (Islandora), the ArchivesSpace stand-in server, real vips/OpenJPEG/exiftool.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { e2eCommand } from '../../src/e2e/index.js';
import type { E2EReport } from '../../src/e2e/report.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'distillery-e2e-test-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((ok) => {
    const child = spawn(cmd, args, { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('exit', (code) => ok({ code, out }));
  });
}

test('quick end to end with two crash trials: every figure at its goal, the failure with a bad file told truthfully', async () => {
  const out = join(dir, 'report.json');
  // `npm run e2e` is the build (made before the tests: test/globalSetup.ts; building here would
  // rewrite dist/ under the other test files that run it), then `node dist/e2e/index.js`, here on
  // this test's own Node (npm would put node_modules/.bin, and the Node 22 binary there, first on the PATH).
  const r = await run(process.execPath, ['dist/e2e/index.js', '--quick', '--crash', '2', '--seed', '7', '--out', out]);
  expect(r.out).toContain('Every figure is at its goal.');
  expect(r.code).toBe(0);
  const report = JSON.parse(await readFile(out, 'utf8')) as E2EReport;

  expect(report.goalsMet).toBe(true);
  expect(Object.values(report.figures).every((v) => v === 0)).toBe(true);
  // The zero-byte scan makes the first run fail, naming it; the good images are preserved anyway.
  expect(report.main.firstRun.state).toBe('failed');
  expect(report.main.firstRun.reason).toMatch(/E2E_001_02_\d{4}\.tif: zero bytes/);
  expect(report.main.secondRun.state).toBe('succeeded');
  // Two trials, each killed at its phase (conversion, then around the OCFL install), each completed.
  expect(report.crash.trials).toBe(2);
  expect(report.crash.killsDelivered).toBeGreaterThanOrEqual(1);
  for (const t of report.crash.trialsDetail) {
    expect(t.finalState).toBe('succeeded');
    expect(t.problems).toEqual([]);
    if (t.killed) expect(t.passes).toBeGreaterThanOrEqual(2);
  }
}, 290_000);

test('a wrong option is refused with how to call it', async () => {
  const errors: string[] = [];
  const orig = console.error;
  console.error = (m: string) => errors.push(m);
  try {
    expect(await e2eCommand(['--crash', 'many'])).toBe(2);
    expect(await e2eCommand(['--fast'])).toBe(2);
  } finally {
    console.error = orig;
  }
  expect(errors).toEqual([
    '--crash takes a whole number of trials, e.g. --crash 20.',
    'Unknown option "--fast". Usage: npm run e2e -- [--crash N] [--takeover N] [--phase P] [--trials-only] [--quick] [--seed S] [--out FILE] [--keep]',
  ]);
});
