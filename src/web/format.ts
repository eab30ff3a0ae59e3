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

export const helpers = { when, stampWhen, processList, reportText, STATE_LABELS };
