/**
 * The worker side of the status page benchmark (src/bench/web.ts), run as its own process as a
 * real worker is: it claims the requested run from the status folder and records a synthetic run
 * of `images` images through the worker's own journal (src/runs/journal.ts): per image one result
 * for each of convert, cloud, onsite and access, progress, a line every ten files and per folder,
 * folder results, and the archive at the end, paced to last about `durationMs`.
 *
 * Each line and each record write carries the time it was written (`⏱<ms since the epoch>`), so
 * the watchers can tell how long it took to reach them. It prints one JSON line on stdout: the CPU
 * time this process spent while recording the first and the last 1,000 file results, and sizes.
 *
 *   node dist/bench/webWorker.js <statusDir> <collectionId> <images> <imagesPerFolder> <durationMs>
 */
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { RunJournal } from '../runs/journal.js';
import { StatusFolder } from '../runs/statusFolder.js';
import type { RunRecord } from '../runs/types.js';
import { WRITTEN_AT } from './types.js';

const BLOCK = 1000;
const STEPS = ['convert', 'cloud', 'onsite', 'access'];

/** A status folder that stamps every line and every record with the moment it writes it. */
class StampingStatusFolder extends StatusFolder {
  override async appendLines(collectionId: string, lines: string[]): Promise<void> {
    const t = Date.now();
    await super.appendLines(collectionId, lines.map((l) => `${l} ${WRITTEN_AT}${t}`));
  }

  override async writeRecord(record: RunRecord): Promise<void> {
    const step = record.steps.find((s) => s.state === 'running' && s.progress);
    if (step?.progress) step.progress.detail = `${(step.progress.detail ?? '').replace(/ ⏱\d+$/, '')} ${WRITTEN_AT}${Date.now()}`;
    await super.writeRecord(record);
  }
}

async function main(): Promise<void> {
  const [dir, collectionId, imagesArg, perFolderArg, durationArg] = process.argv.slice(2);
  const images = Number(imagesArg);
  const perFolder = Number(perFolderArg);
  const durationMs = Number(durationArg);
  const status = new StampingStatusFolder(dir);
  const pending = (await status.pending()).find((p) => p.collectionId === collectionId);
  if (!pending) throw new Error(`no pending run of ${collectionId} in ${dir}`);
  const claim = await status.claim(pending);
  if (!claim) throw new Error('could not claim the run');
  const record = (await status.readRecord(collectionId)) as RunRecord;
  record.state = 'running';
  record.startedAt = new Date().toISOString();
  record.attempts = 1;
  record.worker = claim.worker;
  const journal = new RunJournal(record, status, pino({ level: 'silent' }));
  await journal.line(`🟢 Started on bench for ${record.request.user.name}: report, cloud, onsite, access for ${collectionId}.`);
  await journal.plan([
    { name: 'stage', title: 'Move the collection folder to processing' },
    { name: 'report', title: 'Report' },
    { name: 'metadata', title: 'Metadata' },
    ...STEPS.map((name) => ({ name, title: name })),
    { name: 'finish', title: 'Move the collection folder to processed' },
  ]);
  for (const name of ['stage', 'report', 'metadata']) {
    const s = journal.step(name);
    await s.start();
    await s.done();
  }

  const folders = Math.ceil(images / perFolder);
  const total = images * STEPS.length;
  const start = Date.now();
  let n = 0;
  const cpu: { first?: number; last?: number } = {};
  let blockStart = process.cpuUsage();
  const cpuMs = (from: NodeJS.CpuUsage) => {
    const d = process.cpuUsage(from);
    return (d.user + d.system) / 1000;
  };
  for (const name of STEPS) {
    const step = journal.step(name);
    await step.start();
    for (let f = 0; f < folders; f++) {
      const folder = `BENCH_${String(f + 1).padStart(3, '0')}`;
      const count = Math.min(perFolder, images - f * perFolder);
      journal.folderResult(folder, count);
      for (let i = 0; i < count; i++) {
        if (n === 0 || n === total - BLOCK) blockStart = process.cpuUsage();
        const file = `${folder}/${folder}_${String(i + 1).padStart(4, '0')}.tif`;
        step.file({ path: file, outcome: 'done' });
        step.progress(f * perFolder + i + 1, images, file);
        if (i % 10 === 9) step.line(`✅ ${name}: ${file}`);
        n++;
        if (n === BLOCK || n === total) {
          // The block's cost includes the writes it caused.
          await journal.flush();
          if (n === BLOCK) cpu.first = cpuMs(blockStart);
          else cpu.last = cpuMs(blockStart);
        }
        // Paced as a long run is, compressed: the writes go on in the background between files.
        const ahead = start + (n / total) * durationMs - Date.now();
        if (ahead > 2) await sleep(ahead);
        else if (n % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      step.folder({ folder, state: 'done', counts: { images: count } });
      step.line(`📁 ${name}: ${folder} done (${count} images).`);
    }
    await step.done({ images });
  }
  const finish = journal.step('finish');
  await finish.start();
  await finish.done();
  await journal.line(`✅ Finished report, cloud, onsite, access for ${collectionId}.`);
  await journal.flush();
  const recordBytes = (await stat(status.recordPath(collectionId))).size;
  const filesBytes = (await stat(status.filesPath(collectionId))).size;
  record.state = 'succeeded';
  record.finishedAt = new Date().toISOString();
  await status.archive(record);
  await status.release(claim);
  process.stdout.write(JSON.stringify({ files: n, firstCpuMs: cpu.first, lastCpuMs: cpu.last, recordBytes, filesBytes, seconds: (Date.now() - start) / 1000 }) + '\n');
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
