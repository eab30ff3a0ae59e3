/**
 * A run is data: the request the form (or the CLI, or a test) makes, and the record the worker
 * keeps while it executes it. The status page and reports are rendered from these.
 */
export const PROCESSES = ['report', 'cloud', 'onsite', 'access'] as const;
export type ProcessName = (typeof PROCESSES)[number];

export interface RunUser {
  email: string;
  name: string;
}

/** What the archivist asked for. Written as JSON into the `<collection>-init-<processes>` file. */
export interface RunRequest {
  runId: string;
  collectionId: string;
  /** In the original's order: report, cloud, onsite, access. */
  processes: ProcessName[];
  user: RunUser;
  /** ISO 8601. */
  requestedAt: string;
  /**
   * Access copies made again and replaced even when current: every folder of the collection, or
   * only the folders named. Only with the access process.
   */
  regenerate?: { folders?: string[] };
}

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';
export type RunState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface StepRecord {
  name: string;
  /** What the step is, for people: "Move the collection folder to processing". */
  title: string;
  state: StepState;
  /** Why it failed or was skipped. */
  why?: string;
  startedAt?: string;
  finishedAt?: string;
  progress?: { done: number; total: number; detail?: string };
  counts?: Record<string, number>;
}

export interface FileRecord {
  step: string;
  path: string;
  outcome: 'done' | 'failed' | 'skipped';
  why?: string;
}

/**
 * The machine-readable run record, `<collection>-run.json` beside the human-readable stream.
 * One writer at a time (the worker that holds the claim), replaced atomically by rename, so a
 * reader on another host over a network mount sees either the old or the new whole record.
 */
export interface RunRecord {
  request: RunRequest;
  state: RunState;
  /** Why the run failed, in words an archivist can act on. */
  reason?: string;
  startedAt?: string;
  finishedAt?: string;
  /** Which worker ran it last: host and process id. */
  worker?: { host: string; pid: number };
  /** How many times a worker has started this run (more than 1 after a crash and resume). */
  attempts: number;
  steps: StepRecord[];
  files: FileRecord[];
  /** Name of the archived log once the run has ended, e.g. `DEMO-20261124143000.log`. */
  log?: string;
  /** Anything a step wants to keep with the run, e.g. the report. */
  attachments?: Record<string, unknown>;
}
