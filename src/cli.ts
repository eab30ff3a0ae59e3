/**
 * `distillery <command>`: one entry for every process of the system. Each command loads only
 * what it uses.
 */
import { existsSync } from 'node:fs';
import { settingsPath } from './settings/settings.js';

const HELP = `Usage: distillery <command> [options]

Commands:
  start                 web form and alchemist in one process (what \`npm start\` runs);
                        with no settings.ini, a self-contained demo under ./data/demo
  web                   the web form only
  alchemist [--once]    the worker: every minute (node-cron), or one pass and exit (for system cron)
  check                 validate settings.ini (every problem at once) and report tools and services
  report <collection> [--json]
                        what a run would find and do, without writing anything
  status <collection> [--json]
                        what of a collection is preserved where: OCFL versions, S3, tape, access
  ocfl <subcommand>     validate | ls | show | diff | purge | tokens | audit  (distillery ocfl help)
  tape <subcommand>     label | status | catalogue  (distillery tape help)
  demo                  prepare the demo data folder and print its settings path

Settings: ./settings.ini, or the file named by DISTILLERY_SETTINGS; any key can be overridden
by an environment variable DISTILLERY_<KEY> (e.g. DISTILLERY_WEB_PORT=8080).`;

export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'start':
      return (await import('./commands/start.js')).startCommand(rest);
    case 'web':
      return (await import('./web/cli.js')).webCommand(rest);
    case 'alchemist':
      return (await import('./commands/start.js')).alchemistCommand(rest);
    case 'check':
      return (await import('./commands/check.js')).checkCommand(rest);
    case 'report':
      return (await import('./commands/report.js')).reportCommand(rest);
    case 'status':
      return (await import('./commands/status.js')).statusCommand(rest);
    case 'ocfl':
      return (await import('./ocfl/cli.js')).ocflCommand(rest);
    case 'tape':
      return (await import('./commands/tape.js')).tapeCommand(rest);
    case 'demo': {
      const { prepareDemo } = await import('./demo/demo.js');
      const demo = await prepareDemo();
      console.log(`Demo prepared in ${demo.dataDir}; settings: ${demo.settingsFile}`);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP);
      return 0;
    default:
      console.error(`Unknown command "${command}".\n\n${HELP}`);
      return 2;
  }
}

/** True when no settings file is there: `start` then runs the demo. */
export function noSettingsFile(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.DISTILLERY_SETTINGS && !existsSync(settingsPath(env));
}
