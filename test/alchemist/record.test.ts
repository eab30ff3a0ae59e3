// The run record stays small: per-file results are appended beside it; lists read the runs index.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { RunJournal } from '../../src/runs/journal.js';
import { RUNS_INDEX, StatusFolder } from '../../src/runs/statusFolder.js';
import type { FileRecord, RunRecord } from '../../src/runs/types.js';
import { recentRuns } from '../../src/web/recent.js';

let dir: string;
const user = { email: 'a@example.edu', name: 'A' };
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'record-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

/** A real StatusFolder that counts the bytes each kind of write puts on disk. */
class CountingStatus extends StatusFolder {
  bytes = 0;
  override async writeRecord(record: RunRecord): Promise<void> {
    await super.writeRecord(record);
    this.bytes += (await stat(this.recordPath(record.request.collectionId))).size;
  }
  override async appendFileResults(collectionId: string, results: FileRecord[]): Promise<void> {
    await super.appendFileResults(collectionId, results);
    this.bytes += results.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)) + 1, 0);
  }
}

describe('the run record with 10,000 per-file results', () => {
  it('stays small, costs the same per file at the end as at the start, and keeps every result', async () => {
    const status = new CountingStatus(dir);
    const request = await status.requestRun({ collectionId: 'BIG', processes: ['cloud'], user });
    await rm(join(dir, 'BIG-init-cloud'));
    const record: RunRecord = { request, state: 'running', attempts: 1, steps: [] };
    const journal = new RunJournal(record, status, createLogger({ level: 'silent' }));
    const step = journal.step('convert');
    await step.start();

    const written: number[] = [];
    let recordAfter1000 = 0;
    for (let i = 0; i < 10_000; i++) {
      step.file({ path: `BIG_001_${String(Math.floor(i / 100)).padStart(2, '0')}/BIG_${String(i).padStart(5, '0')}.tif`, outcome: i % 1000 === 7 ? 'failed' : 'done', why: i % 1000 === 7 ? 'truncated' : undefined });
      // The worker saves the record every half second while files go by: here every 100 files.
      if (i % 100 === 99) {
        const before = status.bytes;
        await journal.save();
        written.push(status.bytes - before);
        if (i === 999) recordAfter1000 = (await stat(status.recordPath('BIG'))).size;
      }
    }
    await journal.flush();
    const recordAt10000 = (await stat(status.recordPath('BIG'))).size;
    expect(recordAt10000).toBeLessThan(4096);
    expect(recordAt10000 - recordAfter1000).toBeLessThan(16);
    const first = written.slice(0, 10).reduce((a, b) => a + b, 0);
    const last = written.slice(-10).reduce((a, b) => a + b, 0);
    expect(last / first).toBeLessThan(1.2);
    expect(record.steps[0].fileResults).toEqual({ done: 9990, failed: 10 });

    const results = await status.readFileResults('BIG');
    expect(results).toHaveLength(10_000);
    expect(results.filter((r) => r.outcome === 'failed').map((r) => r.why)).toEqual(Array(10).fill('truncated'));

    // Archived, the results go with the run and stay readable by the log's name.
    record.state = 'succeeded';
    const log = await status.archive(record);
    expect(await status.readFileResults(log)).toHaveLength(10_000);
    expect((await readdir(dir)).sort()).toEqual([log, log.replace('.log', '.files.jsonl'), log.replace('.log', '.json'), RUNS_INDEX].sort());
  }, 60_000);

  it('keeps where each step\'s time went (ms and count per phase), read back from the record', async () => {
    const status = new StatusFolder(dir);
    const request = await status.requestRun({ collectionId: 'T', processes: ['cloud'], user });
    const record: RunRecord = { request, state: 'running', attempts: 1, steps: [] };
    const journal = new RunJournal(record, status, createLogger({ level: 'silent' }));
    const step = journal.step('cloud');
    step.time('deliver', 1200.4);
    step.time('deliver', 800.2);
    step.time('finish', 5);
    await journal.flush();
    await journal.save();
    const read = await status.readRecord('T');
    expect(read?.steps.find((s) => s.name === 'cloud')?.timings).toEqual({ deliver: { ms: 2000, count: 2 }, finish: { ms: 5, count: 1 } });
  });

  it('a later result for the same step and file supersedes the earlier one', async () => {
    const status = new StatusFolder(dir);
    await status.appendFileResults('C', [{ step: 'onsite', path: 'a.jp2', outcome: 'failed', why: 'read back failed' }, { step: 'cloud', path: 'a.jp2', outcome: 'done' }]);
    await status.appendFileResults('C', [{ step: 'onsite', path: 'a.jp2', outcome: 'done' }]);
    expect(await status.readFileResults('C')).toEqual([{ step: 'cloud', path: 'a.jp2', outcome: 'done' }, { step: 'onsite', path: 'a.jp2', outcome: 'done' }]);
  });
});

describe('lists of past runs', () => {
  async function archiveRun(status: StatusFolder, id: string, when: Date, state: RunRecord['state'] = 'succeeded'): Promise<string> {
    const request = await status.requestRun({ collectionId: id, processes: ['report', 'cloud'], user, now: when });
    await rm(join(dir, `${id}-init-report_cloud`)); // as a worker's claim and release would
    return status.archive({ request, state, attempts: 1, steps: [], finishedAt: when.toISOString() }, when);
  }

  it('come from the runs index and the file names, not from each record', async () => {
    const writer = new StatusFolder(dir);
    const a = await archiveRun(writer, 'A', new Date('2026-11-01T10:00:00Z'));
    const b = await archiveRun(writer, 'B', new Date('2026-11-02T10:00:00Z'), 'failed');
    // The records are not read: even unreadable ones list with their state from the index.
    await writeFile(join(dir, a.replace('.log', '.json')), 'not json');
    await writeFile(join(dir, b.replace('.log', '.json')), 'not json');
    const reader = new StatusFolder(dir);
    const { past } = await recentRuns(reader, 10);
    expect(past.map((p) => [p.log, p.summary?.state, p.summary?.user, p.summary?.processes])).toEqual([
      [b, 'failed', 'A', ['report', 'cloud']],
      [a, 'succeeded', 'A', ['report', 'cloud']],
    ]);
    // A run archived later by another process is found from what was appended since.
    const c = await archiveRun(writer, 'C', new Date('2026-11-03T10:00:00Z'));
    expect((await reader.pastRuns()).map((p) => p.log)).toEqual([c, b, a]);
  });

  it('a run the index does not know (archived before it existed) is listed from its record', async () => {
    const status = new StatusFolder(dir);
    const a = await archiveRun(status, 'OLD', new Date('2026-10-01T10:00:00Z'), 'failed');
    await rm(join(dir, RUNS_INDEX));
    const [run] = await new StatusFolder(dir).pastRuns();
    expect(run).toMatchObject({ log: a, summary: { state: 'failed', collectionId: 'OLD' } });
  });

  it('RUN_LOG_RETENTION_DAYS: archived run logs older than the limit go, with their index lines; nothing else does', async () => {
    const status = new StatusFolder(dir);
    const old = await archiveRun(status, 'A', new Date('2026-01-01T10:00:00Z'));
    const recent = await archiveRun(status, 'A', new Date('2026-11-20T10:00:00Z'));
    await status.appendFileResults('B', [{ step: 'cloud', path: 'x', outcome: 'done' }]);
    await writeFile(join(dir, 'B-processing'), '🟢 running\n');
    const removed = await status.pruneArchived(30, new Date('2026-11-30T00:00:00Z'));
    expect(removed).toEqual([old]);
    expect((await readdir(dir)).sort()).toEqual(['B-files.jsonl', 'B-processing', recent, recent.replace('.log', '.json'), RUNS_INDEX].sort());
    expect((await readFile(join(dir, RUNS_INDEX), 'utf8')).trim().split('\n').map((l) => JSON.parse(l).log)).toEqual([recent]);
    expect(await status.pruneArchived(0)).toEqual([]);
  });
});
