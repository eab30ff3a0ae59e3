/**
 * `distillery start` (web form + alchemist in one process; the demo when there is no
 * settings.ini) and `distillery alchemist [--once]`.
 */
import { scheduleAlchemist } from '../alchemist/schedule.js';
import { runOnce } from '../alchemist/worker.js';
import { noSettingsFile } from '../settings/settings.js';
import { createLogger } from '../log.js';
import { loadSettings, SettingsError, settingsPath, type Settings } from '../settings/index.js';
import { startWeb } from '../web/server.js';
import { scheduleAudit } from '../audit/schedule.js';
import { overviewSourcesOf } from '../collection/overview.js';
import { auditDepsFrom, buildWorkerEnv } from '../wiring.js';

export { webCommand } from '../web/cli.js';

async function settingsOrExit(): Promise<Settings | number> {
  try {
    return await loadSettings(settingsPath(), 'worker');
  } catch (err) {
    if (err instanceof SettingsError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
}

function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
}

export async function alchemistCommand(args: string[]): Promise<number> {
  const settings = await settingsOrExit();
  if (typeof settings === 'number') return settings;
  const log = createLogger({ file: settings.folders.logFile, name: 'alchemist' });
  const env = buildWorkerEnv(settings, log);
  if (args.includes('--once')) {
    const pass = await runOnce(env);
    log.info(pass, 'alchemist pass finished');
    return 0;
  }
  const task = scheduleAlchemist(env, settings.alchemist.schedule);
  const audits = settings.audit.schedule ? scheduleAudit(auditDepsFrom(settings, log.child({ part: 'audit' })), settings.audit.schedule, log) : undefined;
  log.info({ schedule: settings.alchemist.schedule, status: settings.folders.statusFiles }, 'alchemist is watching the status folder');
  await untilStopped();
  await task.stop();
  await audits?.stop();
  return 0;
}

export async function startCommand(_args: string[]): Promise<number> {
  let demo: Awaited<ReturnType<typeof import('../demo/demo.js').startDemo>> | undefined;
  if (noSettingsFile()) {
    const { startDemo } = await import('../demo/demo.js');
    // The demo signs everyone in as the debug user, which needs an explicit development mode.
    process.env.NODE_ENV ??= 'development';
    demo = await startDemo();
    process.env.DISTILLERY_SETTINGS = demo.settingsFile;
  }
  const settings = await settingsOrExit();
  if (typeof settings === 'number') {
    await demo?.stop();
    return settings;
  }
  const log = createLogger({ file: settings.folders.logFile, name: 'distillery' });
  let web;
  try {
    web = await startWeb({ web: settings.web, statusFiles: settings.folders.statusFiles, modules: settings.modules, iiif: settings.iiif, demo: demo !== undefined, logger: log.child({ part: 'web' }), overview: overviewSourcesOf(settings) });
  } catch (err) {
    // The demo's stand-ins are child processes: stop them, or they would outlive the failed start.
    await demo?.stop();
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  }
  const task = scheduleAlchemist(buildWorkerEnv(settings, log.child({ part: 'alchemist' })), settings.alchemist.schedule);
  const audits = settings.audit.schedule ? scheduleAudit(auditDepsFrom(settings, log.child({ part: 'audit' })), settings.audit.schedule, log) : undefined;
  console.log(`${demo ? `${demo.banner}\n` : ''}Distillery is running: open ${web.url}/ (Ctrl-C stops it).`);
  await untilStopped();
  // A run in progress is not waited for: every step is resumable, and the next start picks it up.
  console.log('Stopping. A run in progress resumes where it stopped when Distillery starts again.');
  void task.stop();
  void audits?.stop();
  await web.close();
  await demo?.stop();
  process.exit(0);
}
