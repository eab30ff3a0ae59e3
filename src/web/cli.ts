/** `distillery web`: serves the form and status pages until stopped (SIGINT/SIGTERM). */
import { createLogger } from '../log.js';
import { settingsPath, SettingsError } from '../settings/settings.js';
import { overviewSourcesOf } from '../collection/overview.js';
import { startWeb } from './server.js';
import { loadSettings } from '../settings/index.js';

export async function webCommand(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    console.log('Usage: distillery web\n  Serves the form on WEB_HOST:WEB_PORT (settings.ini; default 127.0.0.1:1234). See docs/web.md.');
    return 0;
  }
  let settings;
  try {
    // The core, and the IIIF section: the IIIF viewer and a locally published folder are served by the web app too.
    settings = await loadSettings(settingsPath(), 'web');
  } catch (err) {
    if (err instanceof SettingsError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  // The project's logger: secrets redacted by key, written to LOG_FILE when it is set.
  const log = createLogger({ file: settings.folders.logFile, level: settings.logLevel, name: 'distillery-web' });
  let web;
  try {
    web = await startWeb({ web: settings.web, statusFiles: settings.folders.statusFiles, modules: settings.modules, iiif: settings.iiif, logger: log, overview: overviewSourcesOf(settings) });
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 1;
  }
  log.info({ url: web.url, identity: settings.web.identity }, `Distillery web is listening on ${web.url}`);
  // Whoever started it sees where it listens, also when the log goes to LOG_FILE.
  if (settings.folders.logFile) console.log(`Distillery web is listening on ${web.url} (log: ${settings.folders.logFile})`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await web.close();
  return 0;
}
