/**
 * A real alchemist worker in its own process for tests of what crosses the status folder (cancel
 * from the web page, worker heartbeats): the real pass (runOnce, claims, fence, journal) over a
 * status folder, with a processor that stands in for the distill core: N "folders", each behind
 * the run's fence like an OCFL install, each leaving a marker file when done.
 * Each folder is done once (skipped when its marker exists, as the real steps find their earlier
 * work) and each effect is appended to <workDir>/effects.log with the worker's name, so a test
 * can see an effect made twice or by whom.
 * Run with Node 22 (startWorkerProcess below): worker.ts <statusDir> <workDir> <folders> <msPerFolder> [passes]
 * Environment: WORKER_NAME (default test-worker), STALE_MS (default 600000).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { runOnce, type RunProcessor } from '../../src/alchemist/worker.js';
import { StatusFolder } from '../../src/runs/statusFolder.js';

/** Starts this worker in its own process (Node 22 running the TypeScript directly). */
export function startWorkerProcess(repo: string, node: string, args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; exited: Promise<string>; output: () => string } {
  const child = spawn(node, ['--experimental-transform-types', '--no-warnings', '--import', `${repo}/test/ocfl/support/registerTs.mjs`, `${repo}/test/support/worker.ts`, ...args], { cwd: repo, env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  return { child, exited: new Promise((ok) => child.on('close', () => ok(out))), output: () => out };
}

const main = process.argv[1]?.endsWith('worker.ts');
const [statusDir, workDir, folders, msPerFolder, passes = '1'] = main ? process.argv.slice(2) : [];
const workerName = process.env.WORKER_NAME ?? 'test-worker';
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const stage = (n: string) => join(workDir, n);

const processor: RunProcessor = {
  steps: () => [{ name: 'package', title: 'Package preservation files as OCFL objects' }, { name: 'cloud', title: 'Preservation files to the cloud' }],
  async run(ctx) {
    const step = ctx.journal.step('package');
    await step.start();
    for (let i = 1; i <= Number(folders); i++) {
      await sleep(Number(msPerFolder));
      await ctx.fence?.(`installing the OCFL version of folder ${i}`);
      const marker = join(workDir, 'done', `${ctx.request.collectionId}-folder-${i}`);
      if (existsSync(marker)) continue;
      await writeFile(marker, 'installed');
      await appendFile(join(workDir, 'effects.log'), `${workerName} folder ${i}\n`);
      step.line(`📦 folder ${i} installed`);
      step.progress(i, Number(folders));
    }
    await step.done();
    const cloud = ctx.journal.step('cloud');
    await cloud.start();
    await ctx.fence?.('sending to the cloud');
    await writeFile(join(workDir, 'done', `${ctx.request.collectionId}-cloud`), 'sent');
    await appendFile(join(workDir, 'effects.log'), `${workerName} cloud\n`);
    await cloud.done();
    return { ok: true };
  },
};

if (main) {
  for (const n of ['stage1', 'stage2', 'stage3', 'done']) await mkdir(stage(n), { recursive: true });
  const log = pino({ level: 'info' });
  for (let p = 0; p < Number(passes); p++) {
    const r = await runOnce({
      status: new StatusFolder(statusDir), folders: { stage1: stage('stage1'), stage2: stage('stage2'), stage3: stage('stage3') }, processor, log,
      staleClaimMs: Number(process.env.STALE_MS ?? 600_000), identity: { host: workerName, pid: process.pid }, passEveryMs: 60_000,
    });
    process.stdout.write(`pass ${JSON.stringify(r)}\n`);
    if (r.started.length) break;
    await sleep(200);
  }
}
