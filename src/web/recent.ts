/** Runs to list: those waiting or running now, then the archived ones, newest first. */
import type { PastRun, StatusFolder } from '../runs/statusFolder.js';
import type { RunRecord } from '../runs/types.js';

export interface ActiveRun {
  collectionId: string;
  state: 'queued' | 'running';
  processes: string[];
  user: string;
  requestedAt: string;
}

export async function activeRuns(status: StatusFolder): Promise<ActiveRun[]> {
  const [pending, claimed] = await Promise.all([status.pending(), status.claimed()]);
  const out: ActiveRun[] = [];
  for (const c of claimed) {
    out.push({ collectionId: c.request.collectionId, state: 'running', processes: c.request.processes, user: c.request.user.name, requestedAt: c.request.requestedAt });
  }
  for (const p of pending) {
    const record: RunRecord | undefined = await status.readRecord(p.collectionId);
    out.push({ collectionId: p.collectionId, state: 'queued', processes: p.processes, user: record?.request.user.name ?? '', requestedAt: record?.request.requestedAt ?? '' });
  }
  return out;
}

/** Active runs and the newest archived ones, from the runs index and file names (no record is parsed per view). */
export async function recentRuns(status: StatusFolder, limit: number): Promise<{ active: ActiveRun[]; past: PastRun[]; more: number }> {
  const [active, past] = await Promise.all([activeRuns(status), status.pastRuns()]);
  return { active, past: past.slice(0, limit), more: Math.max(0, past.length - limit) };
}
