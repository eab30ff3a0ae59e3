/**
 * The worker's side of a run: keeps the run record, writes the human-readable stream, and hands
 * each step a Reporter. Every line also goes to the structured log with run, collection and step.
 */
import type { Logger } from 'pino';
import type { FileOutcome, FolderOutcome, Reporter } from './reporter.js';
import type { StatusFolder } from './statusFolder.js';
import type { FileRecord, FolderResult, FolderStepResult, ProgressUnit, RunRecord, StepRecord } from './types.js';

/** Progress is written to the record at most this often; lines are written at once. */
const PROGRESS_WRITE_INTERVAL_MS = 500;

export class RunJournal {
  private pendingWrite: Promise<void> = Promise.resolve();
  private readonly pendingFiles: FileRecord[] = [];
  private lastProgressWrite = 0;
  private progressTimer?: NodeJS.Timeout;

  constructor(
    readonly record: RunRecord,
    private readonly status: StatusFolder,
    private readonly log: Logger,
    /** Asked before each write; false (this worker lost the run's claim) drops the write. */
    private readonly mayWrite: () => Promise<boolean> = async () => true,
  ) {}

  get collectionId(): string {
    return this.record.request.collectionId;
  }

  /** A line in the stream (not tied to a step). */
  async line(text: string, log: Logger = this.log): Promise<void> {
    log.info({ line: text }, text);
    await this.enqueue(() => this.status.appendLines(this.collectionId, [text]));
  }

  /** Declares the steps up front so the page can show what is coming. */
  async plan(steps: { name: string; title: string }[]): Promise<void> {
    const known = new Map(this.record.steps.map((s) => [s.name, s]));
    this.record.steps = steps.map((s) => {
      const prior = known.get(s.name);
      // A resumed run starts its steps again; their outputs verify and are skipped quickly.
      return { name: s.name, title: s.title, state: 'pending', ...(prior?.counts ? { counts: prior.counts } : {}) };
    });
    // A resumed run goes through every folder again; its results are recorded anew.
    delete this.record.folders;
    await this.save();
  }

  step(name: string): StepHandle {
    let step = this.record.steps.find((s) => s.name === name);
    if (!step) {
      step = { name, title: name, state: 'pending' };
      this.record.steps.push(step);
    }
    return new StepHandle(this, step, this.log.child({ step: name }));
  }

  /** The folder's entry in the record (made on first use, in the order folders are met). */
  folderResult(name: string, images?: number): FolderResult {
    const folders = (this.record.folders ??= []);
    let f = folders.find((x) => x.name === name);
    if (!f) {
      f = { name, images: images ?? 0, steps: {} };
      folders.push(f);
    } else if (images !== undefined) f.images = images;
    return f;
  }

  async save(): Promise<void> {
    clearTimeout(this.progressTimer);
    this.progressTimer = undefined;
    this.lastProgressWrite = Date.now();
    await this.enqueue(() => this.status.writeRecord(this.record));
  }

  /** Saves soon, at most every PROGRESS_WRITE_INTERVAL_MS (progress ticks are frequent). */
  saveSoon(): void {
    if (this.progressTimer) return;
    const wait = Math.max(0, PROGRESS_WRITE_INTERVAL_MS - (Date.now() - this.lastProgressWrite));
    this.progressTimer = setTimeout(() => {
      this.progressTimer = undefined;
      void this.save().catch((err) => this.log.error({ err }, 'could not write the run record'));
    }, wait);
  }

  /** Queues a per-file result; results are appended in batches, in order, before the next record write. */
  appendFile(result: FileRecord): void {
    this.pendingFiles.push(result);
    if (this.pendingFiles.length === 1) {
      void this.enqueue(() => this.writeFiles()).catch((err) => this.log.error({ err }, 'could not append to the file results'));
    }
  }

  private async writeFiles(): Promise<void> {
    const batch = this.pendingFiles.splice(0);
    await this.status.appendFileResults(this.collectionId, batch);
  }

  /** Waits for every queued write (lines, file results and record). */
  async flush(): Promise<void> {
    if (this.progressTimer) await this.save();
    await this.pendingWrite;
  }

  /** Writes happen in order, one at a time; a failed write is logged and rethrown to its caller. */
  enqueue(write: () => Promise<void>): Promise<void> {
    const guarded = async () => {
      if (await this.mayWrite()) await write();
    };
    const next = this.pendingWrite.then(guarded, guarded);
    this.pendingWrite = next.catch(() => undefined);
    return next;
  }
}

export class StepHandle implements Reporter {
  constructor(
    private readonly journal: RunJournal,
    readonly record: StepRecord,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.record.state = 'running';
    this.record.startedAt = new Date().toISOString();
    delete this.record.why;
    delete this.record.finishedAt;
    await this.journal.save();
  }

  async done(counts?: Record<string, number>): Promise<void> {
    await this.finish('done', undefined, counts);
  }

  async failed(why: string): Promise<void> {
    await this.finish('failed', why);
  }

  async skipped(why: string): Promise<void> {
    await this.finish('skipped', why);
  }

  line(text: string): void {
    void this.journal.line(text, this.log).catch((err) => this.log.error({ err }, 'could not write to the status stream'));
  }

  progress(done: number, total: number, detail?: string, unit?: ProgressUnit): void {
    this.record.progress = { done, total, ...(detail ? { detail } : {}), ...(unit && unit !== 'files' ? { unit } : {}) };
    this.journal.saveSoon();
  }

  /** A per-file result: appended to the files log (constant cost), counted in the step. */
  file(outcome: FileOutcome): void {
    this.journal.appendFile({ step: this.record.name, ...outcome });
    const counts = (this.record.fileResults ??= {});
    counts[outcome.outcome] = (counts[outcome.outcome] ?? 0) + 1;
    if (outcome.outcome !== 'done') this.log.warn({ file: outcome.path, outcome: outcome.outcome, why: outcome.why }, 'file not done');
    this.journal.saveSoon();
  }

  /** This step's result for a folder; replaces an earlier one (e.g. `waiting` becomes `done`). */
  folder(outcome: FolderOutcome): void {
    const { folder, ...result } = outcome;
    const entry: FolderStepResult = { ...result, at: new Date().toISOString() };
    this.journal.folderResult(folder).steps[this.record.name] = entry;
    if (outcome.state === 'failed') this.log.warn({ folder, why: outcome.why }, 'folder failed');
    this.journal.saveSoon();
  }

  /** Adds the time of one phase to the step's timings. */
  time(phase: string, ms: number): void {
    const timings = (this.record.timings ??= {});
    const t = (timings[phase] ??= { ms: 0, count: 0 });
    t.ms += Math.round(ms);
    t.count++;
    this.journal.saveSoon();
  }

  /** This step's result for a folder so far. */
  folderState(folder: string): FolderStepResult | undefined {
    return this.journal.record.folders?.find((x) => x.name === folder)?.steps[this.record.name];
  }

  private async finish(state: StepRecord['state'], why?: string, counts?: Record<string, number>): Promise<void> {
    this.record.state = state;
    this.record.finishedAt = new Date().toISOString();
    if (why) this.record.why = why;
    if (counts) this.record.counts = counts;
    await this.journal.save();
  }
}
