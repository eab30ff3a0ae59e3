// The status-file protocol as the web server and the workers use it, on a real folder.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RequestProblem } from '../../src/runs/requests.js';
import { RunConflict, StatusFolder } from '../../src/runs/statusFolder.js';

let dir: string;
let status: StatusFolder;
const user = { email: 'a@example.edu', name: 'A' };
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'status-')); status = new StatusFolder(dir); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

describe('StatusFolder', () => {
  it('writes the init file with the original name, the empty stream and the record', async () => {
    const req = await status.requestRun({ collectionId: 'HaLe.1~x_2', processes: ['onsite', 'cloud'], user });
    expect((await readdir(dir)).sort()).toEqual(['HaLe.1~x_2-init-cloud_onsite', 'HaLe.1~x_2-processing', 'HaLe.1~x_2-run.json']);
    expect(JSON.parse(await readFile(join(dir, 'HaLe.1~x_2-init-cloud_onsite'), 'utf8'))).toEqual(req);
    expect(await readFile(join(dir, 'HaLe.1~x_2-processing'), 'utf8')).toBe('');
    expect((await status.readRecord('HaLe.1~x_2'))?.state).toBe('queued');
  });

  it.each([['../x'], ['a/b'], [''], ['a b'], ['x'.repeat(300)], ['Ünïcode'], ['..'], ['.']])('refuses the collection ID %j and writes nothing', async (id) => {
    await expect(status.requestRun({ collectionId: id, processes: ['cloud'], user })).rejects.toThrow(RequestProblem);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses no process and unknown processes', async () => {
    await expect(status.requestRun({ collectionId: 'C', processes: [], user })).rejects.toThrow('Choose at least one process.');
    await expect(status.requestRun({ collectionId: 'C', processes: ['cloud', 'rm -rf'], user })).rejects.toThrow(/Unknown process "rm -rf"/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses a second run of a collection that is queued, even when both ask at once', async () => {
    const results = await Promise.allSettled([
      status.requestRun({ collectionId: 'C', processes: ['cloud'], user }),
      status.requestRun({ collectionId: 'C', processes: ['access'], user }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(RunConflict);
    expect((await readdir(dir)).filter((n) => n.includes('-init-'))).toHaveLength(1);
  });

  it('archives a finished run so the collection can be asked for again', async () => {
    await status.requestRun({ collectionId: 'C', processes: ['cloud'], user });
    const [p] = await status.pending();
    const claim = (await status.claim(p))!;
    await status.appendLines('C', ['🟢 started', 'a line\nwith a newline']);
    const record = (await status.readRecord('C'))!;
    const log = await status.archive({ ...record, state: 'succeeded' }, new Date('2026-11-24T10:11:12Z'));
    await status.release(claim);
    expect(log).toBe('C-20261124101112.log');
    expect(await readFile(join(dir, log), 'utf8')).toBe('🟢 started\na line with a newline\n');
    const [archived] = await status.archived('C');
    expect(archived.record?.state).toBe('succeeded');
    expect(status.archivedLogPath('../C-20261124101112.log')).toBeUndefined();
    await expect(status.requestRun({ collectionId: 'C', processes: ['cloud'], user })).resolves.toBeDefined();
  });
});
