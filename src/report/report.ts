/**
 * The report process (the original's greyed-out "Report on available files"): what a run would
 * find and do for a collection, problems first. It only reads — the collection folder, the TIFF
 * headers and pixels, and ArchivesSpace through read-only lookups — and writes nothing anywhere.
 */
import { publicationProblem } from '../destinations/access/rules.js';
import pLimit from 'p-limit';
import { s3ObjectOf } from '../destinations/s3/keys.js';
import { discoverFolders } from '../collection/discover.js';
import { inspectImage } from '../images/inspect.js';
import type { ArchivesSpace, ArchivesSpaceLookups, Arrangement } from '../archivesspace/types.js';

export type ReportArchivesSpace = Pick<ArchivesSpace, 'findCollection' | 'findFolder' | 'staffUrl'> & ArchivesSpaceLookups;

export type Inspect = (tiffPath: string) => Promise<{ ok: boolean; reason?: string; width?: number; height?: number; bitsPerSample?: number }>;

export interface ReportOptions {
  collectionId: string;
  collectionPath: string;
  aspace: ReportArchivesSpace;
  /** The processes of the run; what cloud, onsite and access would create is shown for those chosen (all when none is). */
  processes: readonly string[];
  /** The TIFF check; by default the image module's full decode (src/images/inspect.ts). */
  inspect?: Inspect;
  /** Access copies to be made again (all folders, or those named), as the run asks. */
  regenerate?: { folders?: string[] };
}

export interface ReportProblem {
  /** The file or folder concerned (the collection folder for collection-wide problems). */
  path: string;
  /** The folder name, when the problem belongs to one. */
  folder?: string;
  message: string;
}

export interface ReportFolder {
  name: string;
  path: string;
  componentId: string;
  images: number;
  bytes: number;
  /** Images that are not readable TIFFs, with why. */
  unreadable: { path: string; reason: string }[];
  /** Files that are not TIFFs. */
  otherFiles: string[];
  /** Of those, the ones a run preserves as they are (names within the folder). */
  preservedAsIs?: string[];
  /** System junk (JUNK_FILES) a run skips (names within the folder). */
  junk?: string[];
  /** Copies the original Distillery put in S3 (loose files, recorded on the components). */
  originalS3?: { copies: number; bytes: number };
  archivalObject?: {
    uri: string;
    title: string;
    displayString: string;
    level: string;
    dates: string[];
    staffUrl: string;
  };
  arrangement?: Arrangement;
  digitalObject?: {
    uri: string;
    digitalObjectId: string;
    /** False when it exists (an interrupted run made it) but is not linked to the archival object yet. */
    linked: boolean;
    staffUrl: string;
    fileVersions: number;
    components: { uri: string; componentId: string; label: string; fileVersions: number }[];
  };
  /** What a run with the chosen processes would add. */
  wouldCreate: {
    digitalObject: boolean;
    components: number;
    byProcess: { process: string; what: string }[];
  };
  problems: string[];
}

export interface Report {
  collectionId: string;
  collectionPath: string;
  generatedAt: string;
  processes: string[];
  collection?: { uri: string; title: string; staffUrl: string };
  /** Every problem, collection-wide ones first, then by path. */
  problems: ReportProblem[];
  folders: ReportFolder[];
  totals: { folders: number; images: number; readableImages: number; bytes: number; problems: number };
}

const DESTINATIONS = ['cloud', 'onsite', 'access'] as const;

export async function buildReport(opts: ReportOptions): Promise<Report> {
  const inspect = opts.inspect ?? inspectImage;
  const { aspace, collectionId, collectionPath } = opts;
  const collectionProblems: ReportProblem[] = [];
  const folderProblems: ReportProblem[] = [];

  let collection: Report['collection'];
  try {
    const c = await aspace.findCollection(collectionId);
    collection = { uri: c.uri, title: c.title, staffUrl: aspace.staffUrl(c.uri) };
  } catch (err) {
    collectionProblems.push({ path: collectionPath, message: (err as Error).message });
  }

  let discovered: Awaited<ReturnType<typeof discoverFolders>> = { folders: [], problems: [] };
  try {
    discovered = await discoverFolders(collectionPath, collectionId);
  } catch (err) {
    collectionProblems.push({ path: collectionPath, message: (err as Error).message });
  }
  for (const p of discovered.problems) folderProblems.push({ ...p, folder: folderOf(p.path, collectionPath) });
  if (discovered.folders.length === 0 && collectionProblems.length === 0) {
    collectionProblems.push({ path: collectionPath, message: `No folders with files in ${collectionPath}: nothing to distill.` });
  }

  const chosen = DESTINATIONS.filter((d) => opts.processes.includes(d));
  const shown = chosen.length > 0 ? chosen : [...DESTINATIONS];
  const folders: ReportFolder[] = [];

  for (const f of discovered.folders) {
    const folder: ReportFolder = {
      name: f.name,
      path: f.path,
      componentId: f.componentId,
      images: f.images.length,
      bytes: f.images.reduce((n, i) => n + i.bytes, 0),
      unreadable: [],
      otherFiles: f.otherFiles,
      wouldCreate: { digitalObject: false, components: 0, byProcess: [] },
      problems: [],
    };
    const problem = (path: string, message: string) => {
      folder.problems.push(message);
      folderProblems.push({ path, folder: f.name, message });
    };
    // Two decodes at a time: the machine's two cores, without starving a run beside it.
    const limit = pLimit(2);
    const checks = await Promise.all(f.images.map((image) => limit(() => inspect(image.path).catch((err: Error) => ({ ok: false, reason: err.message })))));
    for (const [i, image] of f.images.entries()) {
      const r = checks[i];
      if (!r.ok) {
        const reason = r.reason ?? 'unreadable';
        folder.unreadable.push({ path: image.path, reason });
        problem(image.path, `${image.name} is not a readable TIFF (${reason}); a run would fail this image.`);
      }
    }
    folder.preservedAsIs = f.otherFiles.map((p) => p.slice(f.path.length + 1));
    folder.junk = f.skipped.map((p) => p.slice(f.path.length + 1));
    if (f.images.length === 0) problem(f.path, `Folder ${f.name} holds no TIFF images; a run has nothing to preserve in it.`);

    try {
      const record = await aspace.findFolder(f.componentId);
      const ao = record.archivalObject as Record<string, any>;
      folder.arrangement = record.arrangement;
      folder.archivalObject = {
        uri: record.archivalObjectUri,
        title: String(ao.title ?? ''),
        displayString: String(ao.display_string ?? ao.title ?? ''),
        level: String(ao.level === 'otherlevel' ? (ao.other_level ?? 'otherlevel') : (ao.level ?? '')),
        dates: record.dates.map((d) => d.expression ?? [d.begin, d.end].filter(Boolean).join(' - ')).filter(Boolean),
        staffUrl: aspace.staffUrl(record.archivalObjectUri),
      };
      const doUri = record.digitalObjectUri ?? (await aspace.findDigitalObject(f.componentId));
      if (doUri) {
        const d = await aspace.readDigitalObject(doUri);
        folder.digitalObject = {
          uri: d.uri,
          digitalObjectId: d.digitalObjectId,
          linked: record.digitalObjectUri === doUri,
          staffUrl: aspace.staffUrl(d.uri),
          fileVersions: d.fileVersions.length,
          components: d.components.map((c) => ({ uri: c.uri, componentId: c.componentId, label: c.label, fileVersions: c.fileVersions.length })),
        };
        // The original's S3 copies are loose files; this project's are inside OCFL objects (…/vN/content/…).
        const original = d.components.flatMap((c) => c.fileVersions).filter((fv) => /^(https?|s3):/.test(fv.file_uri) && s3ObjectOf(fv.file_uri) && !/\/v\d+\/content\//.test(fv.file_uri));
        if (original.length) folder.originalS3 = { copies: original.length, bytes: original.reduce((n, fv) => n + (fv.file_size_bytes ?? 0), 0) };
        const elsewhere = d.linkedInstances.filter((u) => u !== record.archivalObjectUri);
        if (!folder.digitalObject.linked && elsewhere.length > 0) {
          problem(f.path, `Digital object ${f.componentId} (${d.uri}) is linked to ${elsewhere.join(', ')}, not to this folder's archival object; a run would stop on this folder.`);
        }
      }
      if (opts.processes.includes('access')) {
        // The access process refuses these folders; say so before anything runs.
        const refused = publicationProblem(record, (uri) => aspace.staffUrl(uri));
        if (refused) problem(f.path, `would ${refused.replace(/^not published/, 'not be published')}`);
      }
    } catch (err) {
      problem(f.path, `${f.name}: ${(err as Error).message}`);
    }
    if (opts.processes.includes('access') && folder.unreadable.length > 0) {
      problem(f.path, `would not be published: ${folder.unreadable.length} of its ${f.images.length} scans are not readable, and a book is published only from all of its scans.`);
    }

    const readable = f.images.length - folder.unreadable.length;
    const regenerates = opts.regenerate !== undefined && (opts.regenerate.folders === undefined || opts.regenerate.folders.includes(f.name));
    const preserves = opts.processes.includes('cloud') || opts.processes.includes('onsite') || !chosen.length;
    folder.wouldCreate = {
      digitalObject: folder.archivalObject !== undefined && folder.digitalObject === undefined,
      // Without its archival object a run skips the folder, so it would create nothing.
      // One per readable image and one per file preserved as it is; only preservation copies are
      // recorded on components, so an access-only run records none.
      components: folder.archivalObject && preserves ? Math.max(0, readable + f.otherFiles.length - (folder.digitalObject?.components.length ?? 0)) : 0,
      byProcess: folder.archivalObject ? shown.map((p) => ({ process: p, what: describeProcess(p, readable, regenerates) })) : [],
    };
    folders.push(folder);
  }

  const problems = [...collectionProblems, ...folderProblems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))];
  return {
    collectionId,
    collectionPath,
    generatedAt: new Date().toISOString(),
    processes: [...opts.processes],
    collection,
    problems,
    folders,
    totals: {
      folders: folders.length,
      images: folders.reduce((n, f) => n + f.images, 0),
      readableImages: folders.reduce((n, f) => n + f.images - f.unreadable.length, 0),
      bytes: folders.reduce((n, f) => n + f.bytes, 0),
      problems: problems.length,
    },
  };
}

function describeProcess(process: string, images: number, regenerates = false): string {
  const n = `${images} image${images === 1 ? '' : 's'}`;
  switch (process) {
    case 'cloud':
      return `${n} as lossless JPEG 2000 in an OCFL object version sent to S3; a file version per image`;
    case 'onsite':
      return `${n} as lossless JPEG 2000 written to LTO tape; the tape as a top container; a file version per image`;
    default:
      return regenerates
        ? `the published copy made again from ${images} page${images === 1 ? '' : 's'} and replaced (regenerate); the two links on the digital object replaced`
        : `an access copy of ${images} page${images === 1 ? '' : 's'} (made, or replaced when the published one differs from the scans or the metadata); two published links on the digital object`;
  }
}

function folderOf(path: string, collectionPath: string): string | undefined {
  const rest = path.slice(collectionPath.length + 1);
  return rest.includes('/') ? rest.slice(0, rest.indexOf('/')) : undefined;
}

