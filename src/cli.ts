/**
 * `distillery <command>`: one entry for every process of the system. Each command loads only
 * what it uses.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const HELP = `Usage: distillery <command> [options]

Commands:
  start                 web form and alchemist in one process (what \`npm start\` runs);
                        with no settings.ini, a self-contained demo under ./data/demo
  web                   the web form only
  alchemist [--once]    the worker: every minute (node-cron), or one pass and exit (for system cron)
  check                 validate settings.ini (every problem at once) and report tools and services
  report <collection> [--json]
                        what a run would find and do, without writing anything
  audit <collection> | --all [--json]
                        re-check every copy (local payload and ACE tokens, S3, a bounded
                        number of tape files) and keep the results as records
  network status <collection> | purge <collection> <object-id> --reason "…"
                        the preservation network: each bag's state, or redistribute after a purge
  status <collection> [--json]
                        what of a collection is preserved where: OCFL versions, S3, tape, access
  regenerate (<collection> [--folder <name>]… | --all) [--yes]
                        make access copies again and replace the published ones (one folder,
                        a collection, or every processed collection); shows the report first,
                        asks the worker for the runs with --yes
  ocfl <subcommand>     validate | ls | show | diff | purge | tokens | audit  (distillery ocfl help)
  tape <subcommand>     label | status | catalogue  (distillery tape help)
  status <collection> [--json]  (see above)
  demo [reset]          prepare the demo data folder and print its settings path; reset: start
                        the demo afresh (its runs, preservation files and stand-ins' data removed)

Run from the folder the demo runs in (no settings.ini there), check, report, status and tape use
the demo's settings (data/demo/settings.ini).

Settings: ./settings.ini, or the file named by DISTILLERY_SETTINGS; any key can be overridden
by an environment variable DISTILLERY_<KEY> (e.g. DISTILLERY_WEB_PORT=8080).`;

/** Commands that read settings.ini and may use the running demo's when there is none here. */
const USES_SETTINGS = new Set(['check', 'report', 'status', 'tape', 'alchemist', 'web']);

/**
 * The demo's settings when the command runs from the folder the demo runs in (`./data/demo`) and
 * there is no ./settings.ini and no DISTILLERY_SETTINGS: the command line then works against the
 * running demo instead of advising to copy example-settings.ini (which would end the demo).
 */
export function demoSettingsFallback(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  if (env.DISTILLERY_SETTINGS || existsSync(resolve(cwd, 'settings.ini'))) return undefined;
  const demo = resolve(cwd, 'data', 'demo', 'settings.ini');
  return existsSync(demo) ? demo : undefined;
}

export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  const demoSettings = command && USES_SETTINGS.has(command) ? demoSettingsFallback() : undefined;
  if (demoSettings) {
    process.env.DISTILLERY_SETTINGS = demoSettings;
    console.error(`(No settings.ini here: using the demo's, ${demoSettings}.)`);
  }
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
    case 'audit':
      return (await import('./audit/cli.js')).auditCommand(rest);
    case 'network':
      return (await import('./destinations/network/cli.js')).networkCommand(rest);
    case 'status':
      return (await import('./commands/status.js')).statusCommand(rest);
    case 'regenerate':
      return (await import('./commands/regenerate.js')).regenerateCommand(rest);
    case 'ocfl':
      return (await import('./ocfl/cli.js')).ocflCommand(rest);
    case 'tape':
      // The stand-in's own command (demos, training) is loaded only when asked for.
      if (rest[0] === 'standin') return (await import('./destinations/tape/standin/cli.js')).standinCommand(rest.slice(1));
      return (await import('./commands/tape.js')).tapeCommand(rest);
    case 'demo': {
      const { prepareDemo, resetDemo } = await import('./demo/demo.js');
      if (rest[0] === 'reset') {
        const outcome = await resetDemo();
        if (outcome.refused) {
          console.error(outcome.refused);
          return 1;
        }
        console.log(`Demo reset: ${outcome.removed.length} folder(s) removed from ${outcome.dataDir}; the sample collection is back in ${outcome.stage1}. Start it with \`distillery start\`.`);
        return 0;
      }
      if (rest.length) {
        console.error(`Unknown demo command "${rest[0]}". Usage: distillery demo [reset]`);
        return 2;
      }
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

