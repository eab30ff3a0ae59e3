/**
 * `distillery status <collection> [--json]`: what of a collection is preserved where — each
 * folder's archival and digital object, OCFL object and versions (when, by whom), every file's
 * copies (local, S3, tape) and its access link — from the run records, OCFL inventories and tape
 * catalogue. Exit code 0, or 1 when it cannot be made.
 */
import { collectionOverview, overviewSourcesOf, renderOverviewText } from '../collection/overview.js';
import { collectionIdProblem } from '../runs/requests.js';
import { StatusFolder } from '../runs/statusFolder.js';
import { loadCoreSettings, settingsPath, SettingsError } from '../settings/settings.js';

const USAGE = 'Usage: distillery status <collection> [--json]';

export async function statusCommand(args: string[], io: { out?: (t: string) => void; err?: (t: string) => void } = {}): Promise<number> {
  const out = io.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const err = io.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  if (args.includes('-h') || args.includes('--help')) {
    out(USAGE);
    return 0;
  }
  const json = args.includes('--json');
  const unknown = args.filter((a) => a.startsWith('-') && a !== '--json');
  const positional = args.filter((a) => !a.startsWith('-'));
  if (unknown.length || positional.length !== 1) {
    err(unknown.length ? `Unknown option ${unknown[0]}.\n${USAGE}` : USAGE);
    return 1;
  }
  const collectionId = positional[0];
  const problem = collectionIdProblem(collectionId);
  if (problem) {
    err(problem);
    return 1;
  }
  let core;
  try {
    core = await loadCoreSettings(settingsPath());
  } catch (e) {
    err(e instanceof SettingsError ? e.message : (e as Error).message);
    return 1;
  }
  const overview = await collectionOverview(collectionId, { status: new StatusFolder(core.folders.statusFiles), ...overviewSourcesOf(core) });
  out(json ? JSON.stringify(overview, null, 2) : renderOverviewText(overview));
  return 0;
}
