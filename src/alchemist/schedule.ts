/** Runs an alchemist pass on a cron schedule (every minute by default), never two passes at once. */
import cron from 'node-cron';
import { runOnce, type WorkerEnv } from './worker.js';

/** The longest gap between two passes of a cron schedule (over its next few runs), for the pass heartbeat. */
export function scheduleIntervalMs(expression: string): number | undefined {
  if (!cron.validate(expression)) return undefined;
  const task = cron.createTask(expression, () => undefined);
  try {
    const runs = task.getNextRuns(6).map((d) => d.getTime());
    let gap = 0;
    for (let i = 1; i < runs.length; i++) gap = Math.max(gap, runs[i] - runs[i - 1]);
    return gap || undefined;
  } finally {
    void task.destroy();
  }
}

export function scheduleAlchemist(env: WorkerEnv, expression: string): { stop(): Promise<void> } {
  if (!cron.validate(expression)) {
    throw new Error(`ALCHEMIST_SCHEDULE "${expression}" is not a cron expression (e.g. "* * * * *" for every minute).`);
  }
  let running: Promise<unknown> | undefined;
  const pass = () => {
    if (running) return; // the previous pass is still busy with a run
    running = runOnce(env)
      .catch((err) => env.log.error({ err }, 'alchemist pass failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const task = cron.schedule(expression, pass);
  pass(); // do not make the first run wait up to a minute
  return {
    async stop() {
      await task.stop();
      await running;
    },
  };
}
