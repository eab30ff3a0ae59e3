/**
 * Records as they are read back from the status folder, which other hosts write and people can
 * edit: a file that is valid JSON of another shape (`{}`, `[]`, `"x"`, a step that is a string)
 * must not break the pages. `asRunRecord` keeps what has the expected shape and drops what has
 * not; a record without a usable request or state is no record at all (the pages say so).
 */
import { PROCESSES, type FileRecord, type PhaseTiming, type FolderResult, type FolderStepResult, type ProgressUnit, type ProcessName, type RunRecord, type RunState, type StepRecord, type StepState } from './types.js';

const RUN_STATES: readonly RunState[] = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const STEP_STATES: readonly StepState[] = ['pending', 'running', 'done', 'failed', 'skipped'];
const UNITS: readonly ProgressUnit[] = ['files', 'bytes', 'pages', 'folders'];
const FOLDER_STATES: readonly FolderStepResult['state'][] = ['waiting', 'done', 'failed', 'skipped'];
const FILE_OUTCOMES: readonly FileRecord['outcome'][] = ['done', 'failed', 'skipped'];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The record with only well-shaped parts, or undefined when it has no request or state. */
export function asRunRecord(value: unknown): RunRecord | undefined {
  if (!isObj(value) || !isObj(value.request)) return undefined;
  const q = value.request;
  const state = str(value.state) as RunState | undefined;
  const collectionId = str(q.collectionId);
  if (!collectionId || !state || !RUN_STATES.includes(state)) return undefined;
  const user = isObj(q.user) ? q.user : {};
  const record: RunRecord = {
    ...(value as Partial<RunRecord>),
    request: {
      runId: str(q.runId) ?? '',
      collectionId,
      processes: Array.isArray(q.processes) ? q.processes.filter((p): p is ProcessName => (PROCESSES as readonly unknown[]).includes(p)) : [],
      user: { email: str(user.email) ?? '', name: str(user.name) ?? str(user.email) ?? '' },
      requestedAt: str(q.requestedAt) ?? '',
    },
    state,
    reason: str(value.reason),
    startedAt: str(value.startedAt),
    finishedAt: str(value.finishedAt),
    worker: isObj(value.worker) ? { host: str(value.worker.host) ?? '?', pid: num(value.worker.pid) ?? 0 } : undefined,
    attempts: num(value.attempts) ?? 0,
    steps: Array.isArray(value.steps) ? value.steps.map(asStep).filter((s): s is StepRecord => s !== undefined) : [],
    files: Array.isArray(value.files) ? value.files.map(asFile).filter((f): f is FileRecord => f !== undefined) : [],
    folders: Array.isArray(value.folders) ? value.folders.map(asFolder).filter((f): f is FolderResult => f !== undefined) : undefined,
    log: str(value.log),
    attachments: isObj(value.attachments) ? value.attachments : undefined,
  };
  return record;
}

function asStep(v: unknown): StepRecord | undefined {
  if (!isObj(v)) return undefined;
  const name = str(v.name);
  const state = str(v.state) as StepState | undefined;
  if (!name || !state || !STEP_STATES.includes(state)) return undefined;
  const p = isObj(v.progress) ? v.progress : undefined;
  const done = num(p?.done);
  const total = num(p?.total);
  return {
    ...(v as Partial<StepRecord>),
    name,
    title: str(v.title) ?? name,
    state,
    why: str(v.why),
    startedAt: str(v.startedAt),
    finishedAt: str(v.finishedAt),
    progress: done !== undefined && total !== undefined ? { done, total, detail: str(p?.detail), ...(UNITS.includes(str(p?.unit) as ProgressUnit) ? { unit: str(p?.unit) as ProgressUnit } : {}) } : undefined,
    counts: isObj(v.counts) ? (Object.fromEntries(Object.entries(v.counts).filter(([, n]) => num(n) !== undefined)) as Record<string, number>) : undefined,
    timings: isObj(v.timings) ? (Object.fromEntries(Object.entries(v.timings).filter(([, t]) => isObj(t) && num(t.ms) !== undefined && num(t.count) !== undefined)) as Record<string, PhaseTiming>) : undefined,
  };
}

function asFile(v: unknown): FileRecord | undefined {
  if (!isObj(v)) return undefined;
  const step = str(v.step);
  const path = str(v.path);
  const outcome = str(v.outcome) as FileRecord['outcome'] | undefined;
  if (step === undefined || path === undefined || !outcome || !FILE_OUTCOMES.includes(outcome)) return undefined;
  return { step, path, outcome, why: str(v.why) };
}

/** A folder's results: only steps whose result has a known state (where and counts kept as written). */
function asFolder(v: unknown): FolderResult | undefined {
  if (!isObj(v)) return undefined;
  const name = str(v.name);
  if (!name) return undefined;
  const steps: Record<string, FolderStepResult> = {};
  if (isObj(v.steps)) {
    for (const [step, r] of Object.entries(v.steps)) {
      if (!isObj(r) || !FOLDER_STATES.includes(str(r.state) as FolderStepResult['state'])) continue;
      steps[step] = { ...(r as Partial<FolderStepResult>), state: str(r.state) as FolderStepResult['state'], why: str(r.why), at: str(r.at) ?? '' };
    }
  }
  return { name, images: num(v.images) ?? 0, steps };
}
