/**
 * "Worker down", said plainly: every alchemist leaves a pass heartbeat in the status folder
 * (`workers/<name>.json`, with the time by which it will show a sign of life again). When none is
 * fresh, the form and the status pages say so, with what to check.
 */
import type { StatusFolder } from '../runs/statusFolder.js';
import { when } from './format.js';

export async function workerWarning(status: StatusFolder, now = Date.now()): Promise<string | undefined> {
  const beats = await status.passHeartbeats().catch(() => []);
  const check = `Check on the worker host that \`distillery alchemist\` is running (its service or cron entry), that it reads the same status folder (${status.dir}), and its log.`;
  if (beats.length === 0) {
    return `No worker has looked for runs yet: requests wait until one does. ${check}`;
  }
  if (beats.some((b) => Date.parse(b.nextBy) >= now)) return undefined;
  const last = beats[0];
  return `No worker has looked for runs since ${when(last.at)} (${last.worker.host} was expected again by ${when(last.nextBy)}): requests wait until one does. ${check}`;
}
