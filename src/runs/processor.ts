/**
 * What the worker (src/alchemist) asks of whatever runs a collection's processes, and what it
 * gives it: the contract between the worker and the distill core, so neither imports the other.
 */
import type { Logger } from '../log.js';
import type { RunJournal } from './journal.js';
import type { RunRequest } from './types.js';

export interface RunContext {
  request: RunRequest;
  journal: RunJournal;
  /** Where the collection folder is while the processes run. */
  collectionPath: string;
  signal: AbortSignal;
  log: Logger;
  /**
   * Call before every step that writes outside the worker (OCFL install, S3 upload, tape write,
   * ArchivesSpace write, Islandora ingest), naming it: throws when this worker lost the run's
   * claim or the run was cancelled, so nothing more is written (see fence.ts).
   */
  fence: (before: string) => Promise<void>;
}

export interface ProcessOutcome {
  /** True when every chosen process finished its work and verified it. */
  ok: boolean;
  /** Why not, for the record and the page. */
  reason?: string;
}

/** Runs the chosen processes of a run (report, then the distill core with its destinations). */
export interface RunProcessor {
  steps(request: RunRequest): { name: string; title: string }[];
  run(ctx: RunContext): Promise<ProcessOutcome>;
}
