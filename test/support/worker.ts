/**
 * A real alchemist worker in its own process for tests of what crosses the status folder (cancel
 * from the web page, worker heartbeats): the real pass (runOnce, claims, fence, journal) over a
 * status folder, with a processor that stands in for the distill core: N "folders", each behind
 * the run's fence like an OCFL install, each leaving a marker file when done.
 * Run with Node 22: node --experimental-transform-types --import test/ocfl/support/registerTs.mjs
 *   test/support/worker.ts <statusDir> <workDir> <folders> <msPerFolder> [passes]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { runOnce, type RunProcessor } from '../../src/alchemist/worker.js';
import { StatusFolder } from '../../src/runs/statusFolder.js';

const [statusDir, workDir, folders, msPerFolder, passes = '1'] = process.argv.slice(2);
const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
const stage = (n: string) => join(workDir, n);

const processor: RunProcessor = {
  steps: () => [{ name: 'package', title: 'Package preservation files as OCFL objects' }, { name: 'cloud', title: 'Preservation files to the cloud' }],
  async run(ctx) {
    const step = ctx.journal.step('package');
    await step.start();
    for (let i = 1; i <= Number(folders); i++) {
      await sleep(Number(msPerFolder));
      await ctx.fence(`installing the OCFL version of folder ${i}`);
      await writeFile(join(workDir, 'done', `${ctx.request.collectionId}-folder-${i}`), 'installed');
      step.line(`📦 folder ${i} installed`);
      step.progress(i, Number(folders));
    }
    await step.done();
    const cloud = ctx.journal.step('cloud');
    await cloud.start();
    await ctx.fence('sending to the cloud');
    await writeFile(join(workDir, 'done', `${ctx.request.collectionId}-cloud`), 'sent');
    await cloud.done();
    return { ok: true };
  },
};

for (const n of ['stage1', 'stage2', 'stage3', 'done']) await mkdir(stage(n), { recursive: true });
const log = pino({ level: 'info' });
for (let p = 0; p < Number(passes); p++) {
  const r = await runOnce({ status: new StatusFolder(statusDir), folders: { stage1: stage('stage1'), stage2: stage('stage2'), stage3: stage('stage3') }, processor, log, staleClaimMs: 600_000, identity: { host: 'test-worker', pid: process.pid }, passEveryMs: 60_000 });
  process.stdout.write(`pass ${JSON.stringify(r)}\n`);
  if (r.started.length) break;
  await sleep(200);
}
