/**
 * How a long step tells the archivist what is happening. The alchemist gives each step a Reporter
 * that writes to the run's human-readable status stream (`<collection>-processing`) and to its
 * machine-readable run record; tests can pass `silentReporter` or collect lines.
 */
import type { FolderStepResult, ProgressUnit } from './types.js';

export interface Reporter {
  /** One human-readable line in the status stream, in the original's style (emoji first). */
  line(text: string): void;
  /** Progress of a long phase: `done` of `total` units (files unless `unit` says bytes or pages), with an optional detail. */
  progress(done: number, total: number, detail?: string, unit?: ProgressUnit): void;
  /** A per-file outcome for the run record (and the report): done, failed or skipped, with why. */
  file(outcome: FileOutcome): void;
  /** This step's result for a whole folder, recorded when it is verified (see FolderStepResult). */
  folder?(outcome: FolderOutcome): void;
  /** Time spent in one phase of the step (encode, verify, an upload…), summed in the run record (`timings`). */
  time?(phase: string, ms: number): void;
}

export interface FolderOutcome extends Omit<FolderStepResult, 'at'> {
  /** The folder's name, e.g. HBF_001_02. */
  folder: string;
}

export interface FileOutcome {
  path: string;
  outcome: 'done' | 'failed' | 'skipped';
  why?: string;
}

/** Runs `work` and tells the reporter how long it took as `phase` (whether it succeeded or not). */
export async function timePhase<T>(reporter: Reporter | undefined, phase: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await work();
  } finally {
    reporter?.time?.(phase, performance.now() - start);
  }
}

export const silentReporter: Reporter = {
  line() {},
  progress() {},
  file() {},
};

/** A Reporter that keeps everything in memory; handy for tests and for building reports. */
export class MemoryReporter implements Reporter {
  readonly lines: string[] = [];
  readonly progresses: { done: number; total: number; detail?: string }[] = [];
  readonly files: FileOutcome[] = [];
  readonly folders: FolderOutcome[] = [];
  readonly timings: Record<string, { ms: number; count: number }> = {};
  folder(outcome: FolderOutcome): void { this.folders.push(outcome); }
  time(phase: string, ms: number): void {
    const t = (this.timings[phase] ??= { ms: 0, count: 0 });
    t.ms += ms;
    t.count++;
  }
  line(text: string): void { this.lines.push(text); }
  progress(done: number, total: number, detail?: string): void { this.progresses.push({ done, total, detail }); }
  file(outcome: FileOutcome): void { this.files.push(outcome); }
}
