/**
 * `distillery report <collection> [--json] [--processes cloud,onsite,access] [--path DIR]`:
 * the report on the command line. It reads settings.ini for ArchivesSpace and the folders, finds
 * the collection folder in stage 1, 2 or 3 (or --path), prints the report and changes nothing.
 * Exit code: 0 no problems, 2 problems listed, 1 the report could not be made.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ReportArchivesSpace } from './report.js';
import { buildReport } from './report.js';
import { renderReportJson, renderReportText } from './render.js';

const COLLECTION_ID = /^[a-zA-Z0-9-.~_]+$/;

export interface ReportDeps {
  aspace: ReportArchivesSpace;
  /** Folders that may hold the collection folder, searched in order (stage 1, 2, 3). */
  collectionsRoots: string[];
  inspect?: Parameters<typeof buildReport>[0]['inspect'];
  out?: (text: string) => void;
  err?: (text: string) => void;
}

const USAGE = 'Usage: distillery report <collection> [--json] [--processes cloud,onsite,access] [--path <collection folder>]';

export async function reportCommand(args: string[], deps?: ReportDeps): Promise<number> {
  const out = deps?.out ?? ((t: string) => process.stdout.write(`${t}\n`));
  const err = deps?.err ?? ((t: string) => process.stderr.write(`${t}\n`));
  let json = false;
  let processes: string[] = [];
  let path: string | undefined;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') json = true;
    else if (a === '--processes') processes = (args[++i] ?? '').split(',').filter(Boolean);
    else if (a === '--path') path = args[++i];
    else if (a === '-h' || a === '--help') {
      out(USAGE);
      return 0;
    } else if (a.startsWith('-')) {
      err(`Unknown option ${a}.\n${USAGE}`);
      return 1;
    } else positional.push(a);
  }
  if (positional.length !== 1) {
    err(USAGE);
    return 1;
  }
  const collectionId = positional[0];
  if (!COLLECTION_ID.test(collectionId)) {
    err(`"${collectionId}" is not a collection ID: use letters, digits and - . ~ _ only, as in ArchivesSpace.`);
    return 1;
  }
  const bad = processes.filter((p) => !['cloud', 'onsite', 'access', 'report'].includes(p));
  if (bad.length) {
    err(`Unknown process ${bad.join(', ')}: choose among cloud, onsite, access.`);
    return 1;
  }

  let resolved: ReportDeps;
  try {
    const found = deps ?? (await depsFromSettings(err));
    if (!found) return 2; // the settings' problems were listed
    resolved = found;
  } catch (e) {
    err((e as Error).message);
    return 1;
  }
  const collectionPath = path ?? resolved.collectionsRoots.map((r) => join(r, collectionId)).find((p) => existsSync(p) && statSync(p).isDirectory());
  if (!collectionPath) {
    err(`No folder named ${collectionId} in ${resolved.collectionsRoots.join(', ')} (case matters). Check the collection ID, or give the folder with --path.`);
    return 1;
  }
  const report = await buildReport({ collectionId, collectionPath, aspace: resolved.aspace, processes, inspect: resolved.inspect });
  out(json ? renderReportJson(report).trimEnd() : renderReportText(report));
  return report.problems.length > 0 ? 2 : 0;
}

/** Settings-based dependencies: ArchivesSpace client and the stage folders from settings.ini. */
async function depsFromSettings(err: (text: string) => void): Promise<ReportDeps | undefined> {
  const { commandSettings } = await import('../settings/index.js');
  const { ArchivesSpaceClient } = await import('../archivesspace/client.js');
  const settings = await commandSettings(err);
  if (!settings) return undefined;
  return {
    aspace: new ArchivesSpaceClient(settings.aspace),
    collectionsRoots: [settings.folders.stage1, settings.folders.stage2, settings.folders.stage3],
  };
}
