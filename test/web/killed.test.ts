/**
 * The web process killed between its writes: the form writes the run's stream, then its record,
 * then its request. A real web process SIGKILLs itself at exactly one of those points
 * (test/support/web.ts); the collection is then refused ("already queued or in progress") until
 * the next worker pass archives the stream left behind as abandoned, truthfully, after which the
 * same collection is submitted again through a new web process and runs.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runOnce, type RunProcessor } from '../../src/alchemist/worker.js';
import { silentLogger } from '../../src/log.js';
import { StatusFolder } from '../../src/runs/statusFolder.js';
import { NODE22, REPO } from '../ocfl/helpers.js';
import { startWebProcess } from '../support/web.js';
import { ALICE, Client } from './helpers.js';

let dir: string;
let status: StatusFolder;
let usersFile: string;
const processes: ChildProcess[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'web-killed-'));
  status = new StatusFolder(join(dir, 'status'));
  usersFile = join(dir, 'users.csv');
  await writeFile(usersFile, `email_address,display_name\n${ALICE.email},${ALICE.name}\n`);
  for (const s of ['stage1/KILLED/KILLED_001_01', 'stage2', 'stage3']) await mkdir(join(dir, s), { recursive: true });
});

afterEach(async () => {
  for (const p of processes) if (p.exitCode === null) p.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

const ran: string[] = [];
const processor: RunProcessor = {
  steps: () => [{ name: 'cloud', title: 'Preservation files to the cloud' }],
  async run(ctx) {
    ran.push(ctx.request.collectionId);
    await ctx.journal.step('cloud').done();
    return { ok: true };
  },
};
const pass = (orphanGraceMs: number) =>
  runOnce({ status, folders: { stage1: join(dir, 'stage1'), stage2: join(dir, 'stage2'), stage3: join(dir, 'stage3') }, processor, log: silentLogger, staleClaimMs: 600_000, orphanGraceMs });

describe('the web process killed between its writes', () => {
  it.each([
    ['after the stream, before the record', '-run.json', ['KILLED-processing']],
    ['after the stream and the record, before the request', '-init-cloud', ['KILLED-processing', 'KILLED-run.json']],
  ])('%s: the next pass archives the stream as abandoned and the collection can be submitted again', async (_when, killBefore, left) => {
    ran.length = 0;
    const web = startWebProcess(REPO, NODE22, status.dir, usersFile, killBefore);
    processes.push(web.child);
    const client = new Client(await web.url, ALICE.email);
    await client.submit('KILLED', ['cloud']).catch(() => undefined);
    // The kill fired where it was aimed: the process died of SIGKILL, leaving exactly these files.
    expect(await web.exited).toEqual({ code: null, signal: 'SIGKILL' });
    expect((await readdir(status.dir)).filter((n) => n.startsWith('KILLED') && !n.endsWith('.tmp')).sort()).toEqual(left);

    // A new web process refuses the collection while the stream is there.
    const again = startWebProcess(REPO, NODE22, status.dir, usersFile);
    processes.push(again.child);
    const c2 = new Client(await again.url, ALICE.email);
    const refused = await c2.submit('KILLED', ['cloud']);
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('A run of KILLED is already queued or in progress');

    // A pass within a minute of the write leaves it alone (the form may be writing); the next archives it.
    expect((await pass(60_000)).abandoned).toEqual([]);
    const r = await pass(0);
    expect(r.abandoned).toEqual(['KILLED']);
    expect(r.problems).toEqual([]);
    const [archived] = await status.archived('KILLED');
    expect(archived.record?.state).toBe('failed');
    expect(archived.record?.reason).toMatch(/^Abandoned: the request was never completed \(the web form stopped between writing the stream and the request, or the request file was removed\), so no worker could run it\. Nothing was done; submit the collection again\.$/);
    expect(await readFile(join(status.dir, archived.log), 'utf8')).toMatch(/^⚠️ Abandoned: /m);
    expect(ran).toEqual([]);
    // The half-written temporary file of the killed write is set aside too; nothing of the run is left.
    expect((await readdir(status.dir)).filter((n) => n.startsWith('KILLED') && !/-\d{14}\.(log|json)$/.test(n))).toEqual([]);

    // Submitted again through the new web process, it runs.
    const ok = await c2.submit('KILLED', ['cloud']);
    expect(ok.status).toBe(303);
    expect((await pass(0)).started).toEqual(['KILLED']);
    expect(ran).toEqual(['KILLED']);
    expect((await status.archived('KILLED')).map((a) => a.record?.state).sort()).toEqual(['failed', 'succeeded']);
    again.child.kill('SIGTERM');
  }, 60_000);
});
