/** Small formatting helpers shared by the templates. */
import type { RunRecord, RunState } from '../runs/types.js';

export const STATE_LABELS: Record<RunState, string> = {
  queued: 'Waiting for the worker',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** `2026-11-24 14:30 UTC` from an ISO time; empty for none. */
export function when(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** An archive stamp `YYYYmmddHHMMSS` as a time. */
export function stampWhen(stamp: string): string {
  return `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)} ${stamp.slice(8, 10)}:${stamp.slice(10, 12)} UTC`;
}

export function processList(record: RunRecord | undefined, fallback: string[] = []): string {
  const names = record?.request.processes ?? fallback;
  return names.join(', ');
}

/** Report text attached by the report step, when there is one. */
export function reportText(record: RunRecord | undefined): string | undefined {
  const t = record?.attachments?.reportText;
  return typeof t === 'string' && t.length ? t : undefined;
}

/** How many problems the report step found (a report-only run that found some ends in amber). */
export function reportProblems(record: RunRecord | undefined): number {
  return record?.steps.find((s) => s.name === 'report')?.counts?.problems ?? 0;
}

/** The run's title: its state, or "Finished with N problems" for a run that succeeded with report problems. */
export function outcomeLabel(record: RunRecord): { label: string; tone: string } {
  const found = reportProblems(record);
  if (record.state === 'succeeded' && found > 0) return { label: `Finished with ${found} problem${found === 1 ? '' : 's'}`, tone: 'warning' };
  return { label: STATE_LABELS[record.state] ?? record.state, tone: record.state };
}

export const FOLDER_STEPS = ['metadata', 'convert', 'package', 'onsite', 'cloud', 'access'] as const;
export const FOLDER_STEP_LABELS: Record<string, string> = { metadata: 'ArchivesSpace', convert: 'Convert', package: 'Package', onsite: 'Tape', cloud: 'Cloud', access: 'Access' };

/** Folder problems once each: one entry per step and cause, naming every folder it hit. */
export function folderProblems(record: RunRecord | undefined): { step: string; why: string; folders: string[] }[] {
  const out = new Map<string, { step: string; why: string; folders: string[] }>();
  for (const f of record?.folders ?? []) {
    for (const [name, r] of Object.entries(f.steps)) {
      if (r.state !== 'failed') continue;
      const key = `${name}\u0000${r.why ?? ''}`;
      const title = record!.steps.find((s) => s.name === name)?.title ?? name;
      if (!out.has(key)) out.set(key, { step: title, why: r.why ?? 'failed', folders: [] });
      out.get(key)!.folders.push(f.name);
    }
  }
  return [...out.values()];
}

export const helpers = { when, stampWhen, processList, reportText, reportProblems, outcomeLabel, folderProblems, FOLDER_STEPS, FOLDER_STEP_LABELS, STATE_LABELS };
