/** Runs `audit --all` on AUDIT_SCHEDULE (node-cron), never two at once. */
import cron from 'node-cron';
import type { Logger } from '../log.js';
import { runAudit, type AuditDeps } from './run.js';

export function scheduleAudit(deps: AuditDeps, expression: string, log: Logger): { stop(): Promise<void> } {
  let running: Promise<unknown> | undefined;
  const task = cron.schedule(expression, () => {
    if (running) return;
    running = runAudit(deps)
      .catch((err: Error) => log.error({ err: err.message }, `AUDIT FAILED to run: ${err.message}`))
      .finally(() => {
        running = undefined;
      });
  });
  return {
    async stop() {
      await task.stop();
      await running;
    },
  };
}
