/**
 * `distillery regenerate (<collection> [--folder <name>]… | --all) [--yes]`: makes access copies
 * again and replaces the published ones, even when they are current — for one folder, a
 * collection, or every collection in the processed folder. It first prints, per collection, the
 * report of what the run would do (read only); with --yes it then asks the worker for a run
 * (report + access, regenerate) per collection, as the form's Regenerate option does.
 * Exit code: 0 done (or reports shown), 1 bad input or settings, 2 a run could not be asked for.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildReport, type ReportArchivesSpace } from '../report/report.js';
import { renderReportText } from '../report/render.js';
import { COLLECTION_ID_PATTERN, parseRegenerate, RequestProblem } from '../runs/requests.js';
import type { StatusFolder } from '../runs/statusFolder.js';

const USAGE = 'Usage: distillery regenerate (<collection> [--folder <folder name>]… | --all) [--yes]';

export interface RegenerateDeps {
  aspace: ReportArchivesSpace;
  /** Stage 1, 2 and 3 folders, searched in order for a collection folder. */
  collectionsRoots: string[];
  /** The processed folder (stage 3): --all regenerates every collection in it. */
  processedRoot: string;
  status: StatusFolder;
  inspect?: Parameters<typeof buildReport>[0]['inspect'];
  user?: { email: string; name: string };
  out?: (text: string) => void;
  err?: (text: string) => void;
}

export async function regenerateCommand(args: string[], deps?: RegenerateDeps): Promise<number> {
  const out = deps?.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const err = deps?.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  let all = false;
  let yes = false;
  const folders: string[] = [];
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--all') all = true;
    else if (a === '--yes' || a === '-y') yes = true;
    else if (a === '--folder') folders.push(args[++i] ?? '');
    else if (a === '-h' || a === '--help') {
      out(USAGE);
      return 0;
    } else if (a.startsWith('-')) {
      err(`Unknown option ${a}.\n${USAGE}`);
      return 1;
    } else positional.push(a);
  }
  if (all === (positional.length === 1) || positional.length > 1 || (all && folders.length)) {
    err(USAGE);
    return 1;
  }
  let resolved: RegenerateDeps;
  try {
    const found = deps ?? (await depsFromSettings(err));
    if (!found) return 2; // the settings' problems were listed
    resolved = found;
  } catch (e) {
    err((e as Error).message);
    return 1;
  }
  const collections = all
    ? (existsSync(resolved.processedRoot) ? readdirSync(resolved.processedRoot) : []).filter((n) => COLLECTION_ID_PATTERN.test(n) && statSync(join(resolved.processedRoot, n)).isDirectory()).sort()
    : positional;
  if (collections.length === 0) {
    err(`No processed collections in ${resolved.processedRoot}: nothing to regenerate.`);
    return 1;
  }
  const processes = ['report', 'access'] as const;
  const asked: { collectionId: string; collectionPath: string; regenerate: { folders?: string[] } }[] = [];
  for (const collectionId of collections) {
    let regenerate;
    try {
      regenerate = parseRegenerate(folders.length ? folders : true, collectionId, [...processes])!;
    } catch (e) {
      if (e instanceof RequestProblem) {
        err(e.message);
        return 1;
      }
      throw e;
    }
    const collectionPath = resolved.collectionsRoots.map((r) => join(r, collectionId)).find((p) => existsSync(p) && statSync(p).isDirectory());
    if (!collectionPath) {
      err(`No folder named ${collectionId} in ${resolved.collectionsRoots.join(', ')} (case matters).`);
      return 1;
    }
    const report = await buildReport({ collectionId, collectionPath, aspace: resolved.aspace, processes: [...processes], inspect: resolved.inspect, regenerate });
    out(renderReportText(report));
    asked.push({ collectionId, collectionPath, regenerate });
  }
  if (!yes) {
    out(`Nothing was changed. To regenerate ${asked.length === 1 ? 'this collection' : `these ${asked.length} collections`}, run the same command with --yes.`);
    return 0;
  }
  let failures = 0;
  for (const a of asked) {
    try {
      const request = await resolved.status.requestRun({ collectionId: a.collectionId, processes: [...processes], user: resolved.user ?? cliUser(), regenerate: a.regenerate.folders ?? true });
      out(`🟡 Regenerate of ${a.collectionId}${a.regenerate.folders ? ` (${a.regenerate.folders.join(', ')})` : ''} asked for: run ${request.runId}; the worker starts it within a minute.`);
    } catch (e) {
      failures++;
      err(`${a.collectionId}: ${(e as Error).message}`);
    }
  }
  return failures ? 2 : 0;
}

function cliUser(): { email: string; name: string } {
  const name = process.env.USER ?? 'command line';
  return { email: `${name}@localhost`, name: `${name} (distillery regenerate)` };
}

async function depsFromSettings(err: (text: string) => void): Promise<RegenerateDeps | undefined> {
  const { commandSettings } = await import('../settings/index.js');
  const { ArchivesSpaceClient } = await import('../archivesspace/client.js');
  const { StatusFolder } = await import('../runs/statusFolder.js');
  const settings = await commandSettings(err);
  if (!settings) return undefined;
  return {
    aspace: new ArchivesSpaceClient(settings.aspace),
    collectionsRoots: [settings.folders.stage1, settings.folders.stage2, settings.folders.stage3],
    processedRoot: settings.folders.stage3,
    status: new StatusFolder(settings.folders.statusFiles),
  };
}
