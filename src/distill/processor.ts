/**
 * The distill core as the alchemist runs it: the report, then a pipeline over the collection's
 * folders. One loop resolves each folder in ArchivesSpace, converts its scans once to verified
 * lossless JPEG 2000 and packages them as an OCFL object version; each chosen destination
 * (onsite, cloud, access) delivers the prepared folders in its own queue, one at a time and in
 * folder order, while the loop prepares the next ones (at most FOLDERS_AHEAD waiting).
 */
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchivesSpace, Collection } from '../archivesspace/types.js';
import type { ProcessOutcome, RunContext, RunProcessor } from '../runs/processor.js';
import { preservedRecordJson } from './recordJson.js';
import { discoverFolders } from '../collection/discover.js';
import { DESTINATION_ORDER, FolderNotDelivered, type Destination, type DestinationProcess, type PreparedFolder, type PreservationPackage, type RunScope } from '../destinations/destination.js';
import type { StepHandle } from '../runs/journal.js';
import { timePhase } from '../runs/reporter.js';
import type { RunRequest } from '../runs/types.js';
import { distillFolder, FolderStepFailure, type FolderTools } from './folder.js';
import { fencedArchivesSpace } from '../alchemist/fence.js';

export interface DistillDeps {
  aspace: () => ArchivesSpace;
  /** The destination module for each process, or why it is not available (not configured). */
  destination: (process: DestinationProcess) => Destination | string;
  /** Image tools (encoder, warm exiftool pool, id registry) for a run; closed when the run ends. */
  tools: (collectionId: string) => Promise<FolderTools & { close(): Promise<void> }>;
  /** Local preservation staging (LOSSLESS_PRESERVATION_FILES). */
  preservationDir: string;
  /** File names that are system junk (JUNK_FILES): skipped with a note. */
  junkFiles?: readonly string[];
  /** The report process; returns plain text (for the page) and data (kept with the run). */
  /**
   * KEEP_LOCAL_PAYLOAD=false: removes an object's local payload once every preservation process
   * named here verified it in the run (never when one of them was not chosen or failed).
   */
  /**
   * The preservation network: each folder's version is registered once every preservation process
   * chosen (cloud, onsite) verified its copy in the run.
   */
  network?: { deliver(run: RunScope, folder: PreparedFolder): Promise<unknown> };
  releasePayload?: { processes: DestinationProcess[]; release: (pkg: PreservationPackage) => Promise<void> };
  report?: (input: { collectionId: string; collectionPath: string; aspace: ArchivesSpace; processes: readonly string[]; regenerate?: { folders?: string[] } }) => Promise<{ text: string; data: unknown; problems: number }>;
}

/**
 * How far the conversions may work ahead of the destinations: at most this many prepared folders
 * wait beyond the one the slowest destination is delivering. Two keep the codecs busy while a
 * destination takes up to twice as long as a conversion on one folder, and bound what waits.
 */
export const FOLDERS_AHEAD = 2;

const TITLES: Record<string, string> = {
  report: 'Report on available files',
  metadata: 'Find the collection and its folders in ArchivesSpace',
  convert: 'Convert scans to lossless JPEG 2000 and verify every pixel',
  package: 'Package preservation files as OCFL objects',
  onsite: 'Preservation files onsite (LTO tape)',
  cloud: 'Preservation files to the cloud (S3 Glacier Deep Archive)',
  access: 'Access files to Islandora',
};

export class DistillProcessor implements RunProcessor {
  constructor(private readonly deps: DistillDeps) {}

  steps(request: RunRequest): { name: string; title: string }[] {
    const names: string[] = [];
    if (request.processes.includes('report')) names.push('report');
    const dests = DESTINATION_ORDER.filter((p) => request.processes.includes(p));
    if (dests.length) names.push('metadata', 'convert', 'package', ...dests);
    return names.map((name) => ({ name, title: TITLES[name] ?? name }));
  }

  async run(ctx: RunContext): Promise<ProcessOutcome> {
    const { request, journal } = ctx;
    const aspace = fencedArchivesSpace(this.deps.aspace(), ctx.fence);
    const problems: string[] = [];

    if (request.processes.includes('report')) {
      const step = journal.step('report');
      await step.start();
      if (!this.deps.report) {
        await step.skipped('the report is not available in this installation');
      } else {
        const report = await this.deps.report({ collectionId: request.collectionId, collectionPath: ctx.collectionPath, aspace, processes: request.processes, regenerate: request.regenerate });
        journal.record.attachments = { ...journal.record.attachments, report: report.data, reportText: report.text };
        for (const line of report.text.split('\n')) step.line(line);
        await step.done({ problems: report.problems });
      }
    }

    const chosen = DESTINATION_ORDER.filter((p) => request.processes.includes(p));
    if (chosen.length === 0) return { ok: true };

    // Every chosen process must have a module before anything is converted or sent.
    const destinations: Destination[] = [];
    for (const process of chosen) {
      const d = this.deps.destination(process);
      if (typeof d === 'string') {
        const step = journal.step(process);
        await step.failed(d);
        return { ok: false, reason: d };
      }
      destinations.push(d);
    }

    const steps = {
      metadata: journal.step('metadata'),
      convert: journal.step('convert'),
      package: journal.step('package'),
      dest: new Map(destinations.map((d) => [d, journal.step(d.process)])),
    };
    await steps.metadata.start();

    let collection: Collection;
    try {
      collection = await aspace.findCollection(request.collectionId);
    } catch (err) {
      const why = message(err);
      await steps.metadata.failed(why);
      return { ok: false, reason: why };
    }
    steps.metadata.line(`🗃️ Found ${collection.title} (${collection.id0}) in ArchivesSpace: ${aspace.staffUrl(collection.uri)}`);
    const collectionDir = join(this.deps.preservationDir, request.collectionId);
    await mkdir(collectionDir, { recursive: true });
    const collectionJsonPath = join(collectionDir, `${request.collectionId}.json`);
    await writeFile(collectionJsonPath, preservedRecordJson(collection.record as Record<string, unknown>));

    const { folders, problems: found } = await discoverFolders(ctx.collectionPath, request.collectionId, { junk: this.deps.junkFiles });
    for (const f of folders) for (const j of f.skipped) steps.metadata.line(`🗑️ ${f.name}: ${j.slice(f.path.length + 1)} is system junk (JUNK_FILES) and is not preserved.`);
    for (const p of found) {
      problems.push(`${p.path}: ${p.message}`);
      steps.metadata.line(`⚠️ ${p.path}: ${p.message}`);
      steps.metadata.file({ path: p.path, outcome: 'skipped', why: p.message });
    }
    if (folders.length === 0) {
      const why = `No folders with TIFF scans were found in ${ctx.collectionPath}.`;
      await steps.metadata.failed(why);
      return { ok: false, reason: why };
    }
    const totalImages = folders.reduce((n, f) => n + f.images.length, 0);
    await Promise.all([steps.convert.start(), steps.package.start(), ...[...steps.dest.values()].map((s) => s.start())]);

    const scope: RunScope = {
      runId: request.runId,
      collectionId: request.collectionId,
      user: request.user,
      processes: request.processes,
      reporter: steps.convert,
      aspace,
      signal: ctx.signal,
      fence: ctx.fence,
    };
    const refused = new Map<Destination, string[]>();
    const regenerates = (name: string) => request.regenerate !== undefined && (request.regenerate.folders === undefined || request.regenerate.folders.includes(name));
    const tools = await this.deps.tools(request.collectionId);
    const failedDest = new Map<Destination, string>();
    const networkProblems: string[] = [];
    const delivered: PreparedFolder[] = [];
    /** Why each step failed for some folders, for the step's own line in the record. */
    const stepProblems = new Map<string, string[]>();
    const noteProblem = (step: string, text: string) => stepProblems.set(step, [...(stepProblems.get(step) ?? []), text]);
    const order = ['metadata', 'convert', 'package', ...destinations.map((d) => d.process)];
    const handles = new Map<string, StepHandle>([['metadata', steps.metadata], ['convert', steps.convert], ['package', steps.package], ...[...steps.dest].map(([d, h]) => [d.process, h] as [string, StepHandle])]);
    /** Steps that did not run for a folder say why (an earlier step failed for it). */
    const notRun = (folder: string, after: string, why = `not run for this folder: its ${after} step failed`) => {
      for (const name of order.slice(order.indexOf(after) + 1)) {
        const h = handles.get(name)!;
        if (!h.folderState(folder)) h.folder({ folder, state: 'skipped', why });
      }
    };
    let imagesDone = 0;
    let foldersDone = 0;
    // The pipeline (README, "Folders overlap"): this loop prepares folders in order while
    // each destination delivers the prepared ones in order in its own queue, one at a time. The
    // journal takes their results in any interleaving: each change to the record is synchronous and
    // every write is queued in order (src/runs/journal.ts).
    const queues = new Map<Destination, Promise<void>>(destinations.map((d) => [d, Promise.resolve()]));
    /** Queues work for a destination after its earlier work; the queue never rejects. */
    const queue = (d: Destination, work: () => Promise<void>): Promise<void> => {
      const next = queues.get(d)!.then(work).catch((err: unknown) => {
        if (!failedDest.has(d)) failedDest.set(d, message(err));
      });
      queues.set(d, next);
      return next;
    };
    /** Per folder (in order): settles once every destination is done with it. */
    const handedOver: Promise<unknown>[] = [];
    /** Set when the run stops early: queued work that has not started is not started. */
    let stopping = false;
    const goOn = () => !stopping && !ctx.signal.aborted;
    try {
      try {
        for (const d of destinations) {
          try {
            await d.begin?.({ ...scope, reporter: steps.dest.get(d)! });
          } catch (err) {
            failedDest.set(d, message(err));
            await steps.dest.get(d)!.failed(message(err));
          }
        }
        for (const [i, folder] of folders.entries()) {
          // At most FOLDERS_AHEAD prepared folders wait beyond the one the slowest destination is on.
          if (i > FOLDERS_AHEAD) await handedOver[i - FOLDERS_AHEAD - 1];
          if (ctx.signal.aborted) throw ctx.signal.reason;
          journal.folderResult(folder.name, folder.images.length);
          const prepared = await distillFolder({
            folder,
            collection,
            collectionJsonPath,
            collectionDir,
            request,
            aspace,
            tools,
            steps,
            imagesBefore: imagesDone,
            totalImages,
            signal: ctx.signal,
            fence: ctx.fence,
          }).catch((err: unknown) => {
            if (ctx.signal.aborted) throw err;
            const why = message(err);
            const at = err instanceof FolderStepFailure ? err.step : 'package';
            if (!(err instanceof FolderStepFailure)) steps.package.folder({ folder: folder.name, state: 'failed', why });
            problems.push(`${folder.name}: ${why}`);
            noteProblem(at, `${folder.name}: ${why}`);
            handles.get(at)!.line(`⚠️ Unable to process ${folder.path}: ${why}`);
            handles.get(at)!.line(`↩️ Skipping ${folder.path} folder.`);
            handles.get(at)!.file({ path: folder.path, outcome: 'failed', why });
            notRun(folder.name, at);
            return undefined;
          });
          imagesDone += folder.images.length;
          foldersDone++;
          steps.metadata.progress(foldersDone, folders.length, folder.name, 'folders');
          if (!prepared) {
            handedOver.push(Promise.resolve());
            continue;
          }
          for (const f of prepared.failed) {
            problems.push(`${f.path}: ${f.reason}`);
            noteProblem('convert', `${f.path}: ${f.reason}`);
          }
          delivered.push(prepared.folder);
          const runScope = { ...scope, regenerate: regenerates(folder.name) };
          handedOver.push(Promise.all(destinations.map((d) => queue(d, async () => {
            if (goOn()) await this.deliverTo(d, prepared.folder, { failed: failedDest, refused }, steps.dest.get(d)!, runScope);
          }))));
        }
        // Each destination finishes (e.g. writes the tape file and reads it back) after its last folder.
        for (const d of destinations) {
          queue(d, async () => {
            if (!goOn() || failedDest.has(d) || !d.finish) return;
            const step = steps.dest.get(d)!;
            try {
              await timePhase(step, 'finish', () => d.finish!({ ...scope, reporter: step }));
            } catch (err) {
              failedDest.set(d, message(err));
            }
          });
        }
      } catch (err) {
        stopping = true;
        throw err;
      } finally {
        // Nothing goes on after the run ends: every destination's work settles first (an aborted
        // run's in-flight deliveries stop at their next boundary; queued ones never start).
        await Promise.all(queues.values());
      }
      if (ctx.signal.aborted) throw ctx.signal.reason;
      // A copy counts only once its destination confirmed it verified (a deferred one does so in finish).
      for (const d of destinations) {
        const step = steps.dest.get(d)!;
        for (const f of delivered) {
          const got = step.folderState(f.name);
          if (got && got.state !== 'waiting') continue;
          const why = failedDest.get(d) ?? `${d.process} (${d.platform}) did not confirm a verified copy of this folder`;
          step.folder({ folder: f.name, state: 'failed', why });
          step.file({ path: f.path, outcome: 'failed', why });
        }
      }
      networkProblems.push(...(await this.registerInNetwork(delivered, destinations, steps.dest, steps.package, scope)));
      await this.releasePayload(delivered, destinations, steps.dest, steps.package);
    } finally {
      await tools.close();
    }

    // Each step's own state, from its per-folder results.
    const summary = (step: string) => {
      const list = stepProblems.get(step) ?? [];
      return `${list.length} problem${list.length === 1 ? '' : 's'}: ${list.slice(0, 3).join('; ')}${list.length > 3 ? '; …' : ''}`;
    };
    for (const p of found) noteProblem('metadata', `${p.path}: ${p.message}`);
    if (stepProblems.has('metadata')) await steps.metadata.failed(summary('metadata'));
    else await steps.metadata.done({ folders: folders.length });
    const convertedImages = folders.reduce((n, f) => n + (steps.convert.folderState(f.name)?.counts?.images ?? 0), 0);
    const convertRan = folders.some((f) => (steps.convert.folderState(f.name)?.state ?? 'skipped') !== 'skipped');
    if (stepProblems.has('convert')) await steps.convert.failed(summary('convert'));
    else if (!convertRan) await steps.convert.skipped('no folder reached conversion in this run');
    else await steps.convert.done({ images: convertedImages });
    if (stepProblems.has('package')) await steps.package.failed(summary('package'));
    else if (delivered.length === 0) await steps.package.skipped('no folder was converted in this run');
    else await steps.package.done({ folders: delivered.length });
    for (const [d, step] of steps.dest) {
      const notDelivered = refused.get(d) ?? [];
      const why = [failedDest.get(d), notDelivered.length ? `${notDelivered.length} folder${notDelivered.length === 1 ? '' : 's'} not delivered: ${notDelivered.join(' / ')}` : undefined].filter(Boolean).join('; ') || undefined;
      const done = delivered.filter((f) => step.folderState(f.name)?.state === 'done').length;
      if (why) await step.failed(why);
      else if (delivered.length === 0) await step.skipped(`nothing to send: no folder was packaged in this run`);
      else if (step.record.state === 'running') await step.done({ folders: done });
    }

    const reasons = [
      ...problems.map((p) => p),
      ...[...failedDest].map(([d, why]) => `${d.process}: ${why}`),
      ...[...refused].flatMap(([d, list]) => list.map((why) => `${d.process}: ${why}`)),
      ...networkProblems,
    ];
    if (reasons.length) {
      const listed = `${reasons.slice(0, 5).join('; ')}${reasons.length > 5 ? '; …' : ''}`;
      // Most reasons are sentences already: end with one full stop, never "..".
      return { ok: false, reason: `${reasons.length} problem${reasons.length === 1 ? '' : 's'} kept this run from finishing: ${listed}${/[.!?…]$/.test(listed) ? '' : '.'}` };
    }
    return { ok: true };
  }

  /**
   * Registers each folder's version with the preservation network once every chosen preservation
   * destination (cloud, onsite) verified its copy of the folder in this run.
   */
  private async registerInNetwork(folders: PreparedFolder[], destinations: Destination[], steps: Map<Destination, StepHandle>, step: StepHandle, scope: RunScope): Promise<string[]> {
    const network = this.deps.network;
    const preservation = destinations.filter((d) => d.process === 'cloud' || d.process === 'onsite');
    if (!network || preservation.length === 0) return [];
    const problems: string[] = [];
    for (const f of folders) {
      if (!f.package) continue;
      const unverified = preservation.filter((d) => steps.get(d)!.folderState(f.name)?.state !== 'done');
      if (unverified.length) {
        step.line(`🌐 ${f.name}: not registered with the preservation network: ${unverified.map((d) => d.process).join(' and ')} did not verify a copy in this run.`);
        continue;
      }
      try {
        await network.deliver({ ...scope, reporter: step }, f);
      } catch (err) {
        step.line(`❌ network: ${f.name}: ${message(err)}`);
        problems.push(`network: ${f.name}: ${message(err)}`);
      }
    }
    return problems;
  }

  /** Frees a folder's local disk only when every preservation destination verified its copy in this run. */
  private async releasePayload(folders: PreparedFolder[], destinations: Destination[], steps: Map<Destination, StepHandle>, step: StepHandle): Promise<void> {
    const rule = this.deps.releasePayload;
    if (!rule || rule.processes.length === 0) return;
    const missing = rule.processes.filter((p) => !destinations.some((d) => d.process === p));
    if (missing.length) {
      step.line(`💾 Local preservation files kept: ${missing.join(' and ')} did not verify a copy in this run.`);
      return;
    }
    for (const f of folders) {
      if (!f.package) continue;
      const unverified = rule.processes.filter((p) => destinations.some((d) => d.process === p && steps.get(d)!.folderState(f.name)?.state !== 'done'));
      if (unverified.length) {
        step.line(`💾 ${f.name}: local preservation files kept: ${unverified.join(' and ')} did not verify a copy in this run.`);
        continue;
      }
      await rule.release(f.package);
      // The working JP2s are the same bytes again; a later rerun converts them anew from the scans.
      for (const img of f.images) await unlink(img.jp2Path).catch(() => undefined);
      step.line(`🧹 ${f.name}: local payload of ${f.package.objectId} removed; every preservation copy is verified (inventories kept).`);
    }
  }

  /**
   * Hands a prepared folder to one destination (called from that destination's queue, in folder
   * order). A destination that failed skips later folders; a folder it refused does not stop it.
   * The destination records its own result for the folder once verified (or `waiting` when it
   * verifies in finish); the processor records only failures it catches and what did not run.
   */
  private async deliverTo(
    d: Destination,
    folder: PreparedFolder,
    { failed, refused }: { failed: Map<Destination, string>; refused: Map<Destination, string[]> },
    step: StepHandle,
    scope: RunScope,
  ): Promise<void> {
    const stopped = failed.get(d);
    if (stopped) {
      step.folder({ folder: folder.name, state: 'skipped', why: `not sent: ${d.process} stopped earlier in this run (${stopped})` });
      return;
    }
    try {
      await timePhase(step, 'deliver', () => d.deliver({ ...scope, reporter: step }, folder));
    } catch (err) {
      const why = message(err);
      step.line(`❌ ${d.process} (${d.platform}) failed for ${folder.name}: ${why}`);
      step.file({ path: folder.path, outcome: 'failed', why });
      step.folder({ folder: folder.name, state: 'failed', why });
      // A folder the destination refused (unpublished record, incomplete scans…) does not stop the others.
      if (err instanceof FolderNotDelivered) refused.set(d, [...(refused.get(d) ?? []), `${folder.name}: ${why}`]);
      else failed.set(d, `${folder.name}: ${why}`);
    }
  }
}

export function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

