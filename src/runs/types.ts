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

export type ProgressUnit = 'files' | 'bytes' | 'pages' | 'folders';

export type StepState = 'pending' | 'running' | 'done' | 'failed' | 'skipped';
export type RunState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface StepRecord {
  name: string;
  /** What the step is, for people: "Move the collection folder to processing". */
  title: string;
  state: StepState;
  /** Why it failed or was skipped. */
  why?: string;
  startedAt?: string;
  finishedAt?: string;
  /** `unit` says what is counted: files (the default), bytes or pages. */
  progress?: { done: number; total: number; detail?: string; unit?: ProgressUnit };
  counts?: Record<string, number>;
  /** How many per-file results this step recorded, by outcome (the results are in the files log). */
  fileResults?: Partial<Record<FileRecord['outcome'], number>>;
  /** Where the step's time went: milliseconds and count per phase (summed over images and folders, so phases done at once may add up to more than the wall time). */
  timings?: Record<string, PhaseTiming>;
}

/** Time spent in one phase of a step, summed: `ms` over `count` times it ran. */
export interface PhaseTiming {
  ms: number;
  count: number;
}

export interface FileRecord {
  step: string;
  path: string;
  outcome: 'done' | 'failed' | 'skipped';
  why?: string;
}

/** Where a verified copy of a folder is, as the step that made it knows it. */
export interface CopyLocation {
  /** Staff links of the folder's archival object and digital object. */
  aspace?: { archivalObject: string; digitalObject: string };
  ocfl?: { objectId: string; version: string };
  s3?: { bucket: string; keys: string[] };
  tape?: { indicator: string; file: number };
  access?: { url: string };
}

/**
 * One step's result for one folder, written by the step that did the work once it is verified.
 * `waiting`: handed over, verified later (a tape file is written and read back at the end of the run).
 */
export interface FolderStepResult {
  state: 'waiting' | 'done' | 'failed' | 'skipped';
  why?: string;
  counts?: Record<string, number>;
  where?: CopyLocation;
  /** ISO 8601, when the result was recorded. */
  at: string;
}

/** A folder of the run and each step's result for it. */
export interface FolderResult {
  name: string;
  images: number;
  steps: Record<string, FolderStepResult>;
}

/** One line of the archived runs index (`runs-index.jsonl`): enough to list a run without its record. */
export interface RunSummary {
  collectionId: string;
  stamp: string;
  log: string;
  runId: string;
  state: RunState;
  reason?: string;
  user: string;
  processes: ProcessName[];
  requestedAt: string;
  finishedAt?: string;
  /** Folders that failed at some step. */
  failedFolders?: number;
}

/**
 * The machine-readable run record, `<collection>-run.json` beside the human-readable stream.
 * One writer at a time (the worker that holds the claim), replaced atomically by rename, so a
 * reader on another host over a network mount sees either the old or the new whole record.
 */
export interface RunRecord {
  request: RunRequest;
  state: RunState;
  /** Why the run failed (or what a cancel left done and undone), in words an archivist can act on. */
  reason?: string;
  /** Who cancelled the run from its status page, and when. */
  cancelled?: { runId: string; by: RunUser; at: string };
  startedAt?: string;
  finishedAt?: string;
  /** Which worker ran it last: host and process id. */
  worker?: { host: string; pid: number };
  /** How many times a worker has started this run (more than 1 after a crash and resume). */
  attempts: number;
  steps: StepRecord[];
  /** Each folder's result per step (small: one entry per folder and step). */
  folders?: FolderResult[];
  /**
   * Per-file results of records written before they moved to `<C>-files.jsonl` (one JSON object
   * per line, appended); new records leave this out so the record stays small.
   */
  files?: FileRecord[];
  /** Name of the archived log once the run has ended, e.g. `DEMO-20261124143000.log`. */
  log?: string;
  /** Anything a step wants to keep with the run, e.g. the report. */
  attachments?: Record<string, unknown>;
}
