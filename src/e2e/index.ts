/**
 * `npm run e2e [-- --crash N] [--quick] [--seed S] [--out FILE] [--keep]`
 *
 * The whole installation judged as an archive judges it. A generated collection is submitted
 * through the web form in a real browser with all four processes; `distillery alchemist --once`
 * runs it as its own process; the end state is checked from the outside (checkEndState). Then N
 * crash trials: each submits a fresh collection, kills the alchemist at a moment aimed at one
 * phase of the run, restarts it until the run ends, and checks the same end state. The figures
 * are printed and saved as JSON (.artifacts/e2e-report.json); exit code 1 when one misses its goal.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { checkEndState, fingerprint, type EndState } from './endState.js';
import { alchemistPass, killRunningPasses, landedIn, PHASE_NAMES, PHASES, type KillPlan, type Phase } from './alchemist.js';
import { openBrowser, type FormBrowser } from './browser.js';
import { imageCount, mergedSeed, planCollection, random, writeCollection, type CollectionPlan } from './collection.js';
import { goalsMet, renderReport, type CrashTrial, type E2EReport } from './report.js';
import { startStack, startWebChild, type E2EStack } from './stack.js';
import { takeoverTrial, type TakeoverTrial } from './takeover.js';
import { StatusFolder } from '../runs/statusFolder.js';
import type { RunRecord } from '../runs/types.js';

export const PROCESSES = ['report', 'cloud', 'onsite', 'access'] as const;

export interface E2EOptions {
  crash: number;
  /** Takeover trials: worker A paused past the stale threshold, B takes over, A resumed. */
  takeover: number;
  /** Only the trials, without the main run (a quicker check of crash or takeover behaviour). */
  trialsOnly: boolean;
  quick: boolean;
  seed: number;
  out: string;
  keep: boolean;
  /** Aim every crash and takeover trial at this phase (default: each phase in turn). */
  phase?: Phase;
  log: (line: string) => void;
}

export function parseArgs(args: string[]): E2EOptions | string {
  const o: E2EOptions = { crash: 0, takeover: 0, trialsOnly: false, quick: false, seed: Date.now() % 100_000, out: '.artifacts/e2e-report.json', keep: false, log: (l) => console.log(l) };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => args[++i] ?? '';
    if (a === '--crash') o.crash = Number(value());
    else if (a === '--takeover') o.takeover = Number(value());
    else if (a === '--trials-only') o.trialsOnly = true;
    else if (a === '--quick') o.quick = true;
    else if (a === '--seed') o.seed = Number(value());
    else if (a === '--out') o.out = value();
    else if (a === '--keep') o.keep = true;
    else if (a === '--phase') {
      const p = value();
      if (!(PHASE_NAMES as string[]).includes(p)) return `--phase takes one of ${PHASE_NAMES.map((n) => `"${n}"`).join(', ')}.`;
      o.phase = p as Phase;
    } else return `Unknown option "${a}". Usage: npm run e2e -- [--crash N] [--takeover N] [--phase P] [--trials-only] [--quick] [--seed S] [--out FILE] [--keep]`;
  }
  if (!Number.isInteger(o.crash) || o.crash < 0) return '--crash takes a whole number of trials, e.g. --crash 20.';
  if (!Number.isInteger(o.takeover) || o.takeover < 0) return '--takeover takes a whole number of trials, e.g. --takeover 5.';
  if (!Number.isInteger(o.seed)) return '--seed takes a whole number.';
  return o;
}

export async function runE2E(o: E2EOptions): Promise<E2EReport> {
  const mainPlan = planCollection('E2E', o.quick ? 'quick' : 'full', o.seed);
  const trials: CollectionPlan[] = Array.from({ length: o.crash }, (_, i) => planCollection(`E2ET${String(i + 1).padStart(2, '0')}`, 'trial', o.seed + i + 1));
  const takeovers: CollectionPlan[] = Array.from({ length: o.takeover }, (_, i) => planCollection(`E2EK${String(i + 1).padStart(2, '0')}`, 'trial', o.seed + 101 + i));
  const dataDir = await mkdtemp(join(tmpdir(), 'distillery-e2e-'));
  o.log(`Working in ${dataDir}`);
  const stack = await startStack(dataDir, mergedSeed([mainPlan, ...trials, ...takeovers]));
  const web = await startWebChild(stack).catch(async (err) => {
    await stack.stop();
    throw err;
  });
  let browser: FormBrowser | undefined;
  // Ctrl-C: stop the passes, the browser, the web process and the stand-ins, and remove the temp folder.
  const interrupt = (signal: NodeJS.Signals) => {
    o.log(`\nInterrupted (${signal}): stopping the alchemist, the web form and the stand-ins…`);
    killRunningPasses();
    void Promise.allSettled([browser?.close(), web.stop(), stack.stop()])
      .then(() => (o.keep ? undefined : rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 })))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    browser = await openBrowser();
    o.log(`Web form at ${web.url}; stand-ins: ${stack.services.describe.length}`);
    const main = o.trialsOnly ? skippedMain(mainPlan) : await mainRun(stack, web.url, browser, mainPlan, o);
    const crash = await crashTrials(stack, web.url, browser, trials, o);
    const takeover = await takeoverTrials(stack, web.url, browser, takeovers, o);
    const figures = {
      filesLost: main.figures.filesLost + crash.figures.filesLost + takeover.reduce((n, t) => n + t.filesLost, 0),
      duplicateEffects: takeover.reduce((n, t) => n + t.duplicateEffects, 0),
      duplicateDigitalObjects: main.figures.duplicateDigitalObjects + crash.figures.duplicateDigitalObjects,
      duplicateComponents: main.figures.duplicateComponents + crash.figures.duplicateComponents,
      duplicateOcflObjects: Math.max(main.figures.duplicateOcflObjects, crash.figures.duplicateOcflObjects),
      invalidOcflObjects: Math.max(main.figures.invalidOcflObjects, crash.figures.invalidOcflObjects),
      orphanedMultipartUploads: crash.trials.length ? crash.figures.orphanedMultipartUploads : main.figures.orphanedMultipartUploads,
      runsWithoutTruthfulFinalState: main.untruthful + crash.untruthful + takeover.filter((t) => !t.truthful).length,
      takeoversNotClean: takeover.filter((t) => !t.takenOver || !t.aStoppedSayingSo || !t.bClaimIntact).length,
      runsNotCompleted: main.notCompleted + crash.notCompleted + takeover.filter((t) => t.finalState !== 'succeeded').length,
      mainRunProblems: main.report.problems.length,
    };
    const report: E2EReport = {
      date: new Date().toISOString(),
      mode: o.quick ? 'quick' : 'full',
      seed: o.seed,
      cpus: availableParallelism(),
      main: main.report,
      crash: {
        trials: crash.trials.length,
        killsDelivered: crash.trials.filter((t) => t.killed).length,
        killsByPhase: Object.fromEntries(PHASE_NAMES.map((p) => [p, crash.trials.filter((t) => t.killed && t.phase === p).length])),
        killsLandedIn: crash.trials.filter((t) => t.killed).reduce<Record<string, number>>((m, t) => ({ ...m, [t.landedIn!]: (m[t.landedIn!] ?? 0) + 1 }), {}),
        restarts: crash.trials.reduce((s, t) => s + t.passes - 1, 0),
        uploadsCleaned: crash.trials.reduce((s, t) => s + t.uploadsCleaned, 0),
        secondsPerTrial: crash.trials.length ? round(crash.trials.reduce((s, t) => s + t.seconds, 0) / crash.trials.length) : 0,
        trialsDetail: crash.trials,
      },
      takeover: { trials: takeover.length, secondsPerTrial: takeover.length ? round(takeover.reduce((s, t) => s + t.seconds, 0) / takeover.length) : 0, trialsDetail: takeover },
      figures,
      goalsMet: goalsMet(figures),
    };
    return report;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await browser?.close().catch(() => undefined);
    await web.stop();
    await stack.stop();
    if (o.keep) o.log(`Kept ${dataDir}`);
    else await rm(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  }
}

interface Tally {
  figures: EndState['figures'];
  untruthful: number;
  notCompleted: number;
}

function emptyTally(): Tally {
  return {
    figures: { filesLost: 0, duplicateDigitalObjects: 0, duplicateComponents: 0, invalidOcflObjects: 0, duplicateOcflObjects: 0, orphanedMultipartUploads: 0, imagesInS3: 0, imagesOnTape: 0, books: 0, bookPages: 0 },
    untruthful: 0,
    notCompleted: 0,
  };
}

function add(t: Tally, f: EndState['figures']): void {
  t.figures.filesLost += f.filesLost;
  t.figures.duplicateDigitalObjects += f.duplicateDigitalObjects;
  t.figures.duplicateComponents += f.duplicateComponents;
  // Whole-root and whole-bucket figures: the latest check sees everything.
  t.figures.invalidOcflObjects = Math.max(t.figures.invalidOcflObjects, f.invalidOcflObjects);
  t.figures.duplicateOcflObjects = Math.max(t.figures.duplicateOcflObjects, f.duplicateOcflObjects);
  t.figures.orphanedMultipartUploads = f.orphanedMultipartUploads;
}

/** The newest finished run of a collection. */
async function lastRun(status: StatusFolder, collectionId: string): Promise<{ count: number; record?: RunRecord; log?: string }> {
  const runs = (await status.archived(collectionId)).filter((r) => r.record);
  const last = runs.sort((a, b) => String(a.record!.finishedAt).localeCompare(String(b.record!.finishedAt))).at(-1);
  return { count: runs.length, record: last?.record, log: last ? join(status.dir, last.log) : undefined };
}

/** Files of a collection still waiting or claimed in the status folder (none once a run has truly ended). */
async function leftInQueue(stack: E2EStack, collectionId: string): Promise<string[]> {
  return (await readdir(stack.statusDir)).filter((n) => n.startsWith(`${collectionId}-init-`) || n.startsWith(`${collectionId}-claimed-`) || n === `${collectionId}-processing`);
}

/**
 * Passes of `alchemist --once` until the run of a collection is archived with a final state: the
 * first pass possibly killed, each later one resuming what the dead one left.
 */
async function runToEnd(stack: E2EStack, collectionId: string, kill?: KillPlan): Promise<{ record?: RunRecord; log?: string; passes: number; killed: boolean; killedAfter?: string; lastLine?: string; seconds: number }> {
  const status = new StatusFolder(stack.statusDir);
  const before = (await lastRun(status, collectionId)).count;
  const started = Date.now();
  let killed = false;
  let killedAfter: string | undefined;
  let lastLine: string | undefined;
  for (let pass = 1; pass <= 5; pass++) {
    const outcome = await alchemistPass(stack, pass === 1 ? kill : undefined);
    if (outcome.killed) {
      killed = true;
      killedAfter = outcome.killedAfter;
      lastLine = outcome.lastLine;
    } else if (outcome.exitCode !== 0) {
      throw new Error(`alchemist --once exited with ${outcome.exitCode}:\n${outcome.output}`);
    }
    const now = await lastRun(status, collectionId);
    if (now.count > before) return { record: now.record, log: now.log, passes: pass, killed, killedAfter, lastLine, seconds: round((Date.now() - started) / 1000) };
  }
  return { passes: 5, killed, killedAfter, lastLine, seconds: round((Date.now() - started) / 1000) };
}

async function mainRun(stack: E2EStack, url: string, browser: FormBrowser, plan: CollectionPlan, o: E2EOptions): Promise<Tally & { report: E2EReport['main'] }> {
  const tally = emptyTally();
  const problems: string[] = [];
  o.log(`Generating ${plan.id}: ${plan.folders.length} folders, ${imageCount(plan)} images…`);
  await writeCollection(plan, stack.stage1, o.seed);
  const collectionDir = join(stack.stage1, plan.id);
  const submitted = await fingerprint(collectionDir);
  const bad = plan.folders.flatMap((f) => f.bad.map((b) => ({ folder: f.name, ...b })));
  const largestImageMB = round(Math.max(...[...plan.folders.flatMap((f) => f.images.map((i) => (i.width * i.height * i.channels * i.depth) / 8))]) / 1e6);
  const expected = plan.folders.map((f) => ({ name: f.name, images: f.images.length }));

  // 1. Submitted through the form with the bad files in it: a truthful "failed" naming each one, every good image preserved.
  await browser.submit(url, plan.id, PROCESSES);
  o.log(`Submitted ${plan.id} in the browser; the alchemist runs it…`);
  const first = await runToEnd(stack, plan.id);
  const firstState = first.record?.state ?? 'no final state';
  o.log(`First run: ${firstState} in ${first.seconds} s${first.record?.reason ? ` — ${first.record.reason}` : ''}`);
  const end1 = await checkEndState({
    settings: stack.settings, aspace: stack.services.aspace.state, islandoraHome: stack.services.sshd.home,
    collectionId: plan.id, folders: expected.map((f) => ({ ...f, unpublished: bad.some((b) => b.folder === f.name) })), originals: submitted, processes: PROCESSES,
    originalsDir: join(bad.length ? stack.stage2 : stack.stage3, plan.id),
  });
  add(tally, end1.figures);
  problems.push(...end1.problems.map((p) => `first run: ${p}`));
  if (bad.length) {
    const fileResults = first.log ? JSON.stringify(await new StatusFolder(stack.statusDir).readFileResults(basename(first.log))) : '';
    const unnamed = bad.filter((b) => !first.record?.reason?.includes(b.name) && !fileResults.includes(b.name));
    if (firstState !== 'failed' || unnamed.length) {
      tally.untruthful++;
      problems.push(`first run (with ${bad.length} bad file(s)) ended "${firstState}"${unnamed.length ? `, not naming ${unnamed.map((b) => b.name).join(', ')}` : ''}; expected "failed" naming each bad file`);
    }
  } else if (firstState !== 'succeeded' || end1.problems.length) {
    if (firstState === 'succeeded') tally.untruthful++;
    else tally.notCompleted++;
  }

  // 2. The archivist sets the bad files aside and submits again: the run completes, nothing is done twice.
  let second = first;
  let originals = submitted;
  if (bad.length) {
    const aside = join(stack.dataDir, 'set-aside');
    for (const b of bad) {
      await mkdir(join(aside, b.folder), { recursive: true });
      await rename(join(stack.stage2, plan.id, b.folder, b.name), join(aside, b.folder, b.name));
    }
    const kept = await fingerprint(aside);
    for (const b of bad) {
      const rel = join(b.folder, b.name);
      if (kept.get(rel) !== submitted.get(rel)) {
        tally.figures.filesLost++;
        problems.push(`bad file ${rel} was not kept as submitted`);
      }
    }
    originals = new Map([...submitted].filter(([p]) => !bad.some((b) => p === join(b.folder, b.name))));
    await browser.submit(url, plan.id, PROCESSES);
    second = await runToEnd(stack, plan.id);
    const secondState = second.record?.state ?? 'no final state';
    o.log(`Second run (bad files set aside): ${secondState} in ${second.seconds} s${second.record?.reason ? ` — ${second.record.reason}` : ''}`);
    const end2 = await checkEndState({
      settings: stack.settings, aspace: stack.services.aspace.state, islandoraHome: stack.services.sshd.home,
      collectionId: plan.id, folders: expected, originals, processes: PROCESSES,
    });
    tally.figures.filesLost += end2.figures.filesLost;
    tally.figures.duplicateDigitalObjects = Math.max(tally.figures.duplicateDigitalObjects, end2.figures.duplicateDigitalObjects);
    tally.figures.duplicateComponents = Math.max(tally.figures.duplicateComponents, end2.figures.duplicateComponents);
    tally.figures.invalidOcflObjects = Math.max(tally.figures.invalidOcflObjects, end2.figures.invalidOcflObjects);
    tally.figures.duplicateOcflObjects = Math.max(tally.figures.duplicateOcflObjects, end2.figures.duplicateOcflObjects);
    tally.figures.orphanedMultipartUploads = end2.figures.orphanedMultipartUploads;
    problems.push(...end2.problems.map((p) => `second run: ${p}`));
    if (secondState !== 'succeeded') tally.notCompleted++;
    else if (end2.problems.length) tally.untruthful++;
    const page = secondState === 'succeeded' ? await browser.statusText(url, plan.id, new RegExp(`Finished .* for ${plan.id}\\.`)) : '';
    if (secondState === 'succeeded' && !page.includes('Finished')) problems.push(`the status page of ${plan.id} does not show the finished run: ${page.slice(-300)}`);
  }
  const left = await leftInQueue(stack, plan.id);
  if (left.length) {
    tally.untruthful++;
    problems.push(`the status folder still holds ${left.join(', ')} after the run ended`);
  }
  const images = imageCount(plan);
  return {
    ...tally,
    report: {
      collectionId: plan.id,
      folders: plan.folders.length,
      images,
      badFiles: bad.length,
      largestImageMB,
      firstRun: { state: firstState, reason: first.record?.reason, seconds: first.seconds },
      secondRun: { state: second.record?.state ?? 'no final state', seconds: second.seconds },
      imagesPerMinute: round(images / (first.seconds / 60)),
      problems,
    },
  };
}

async function crashTrials(stack: E2EStack, url: string, browser: FormBrowser, plans: CollectionPlan[], o: E2EOptions): Promise<Tally & { trials: CrashTrial[] }> {
  const tally = emptyTally();
  const trials: CrashTrial[] = [];
  const rnd = random(o.seed * 7 + 3);
  for (const [i, plan] of plans.entries()) {
    await writeCollection(plan, stack.stage1, o.seed + i + 1);
    const originals = await fingerprint(join(stack.stage1, plan.id));
    const phase = o.phase ?? PHASE_NAMES[i % PHASE_NAMES.length];
    const images = imageCount(plan);
    // How many lines of that phase the run writes, so the kill lands anywhere among them.
    const lines = { conversion: images, 'ocfl install': images, 'multipart upload': plan.folders.length, 'tape write': 1, 'ArchivesSpace writes': plan.folders.length * 2 }[phase];
    // The upload aimed at is the folder whose image S3 receives in parts (folders are sent in order).
    const multipart = 1 + plan.folders.findIndex((f) => f.images.some((img) => img.grain));
    // A folder's OCFL version is committed right after its last image is converted: aim there.
    const folderEnds = plan.folders.map((_, j) => plan.folders.slice(0, j + 1).reduce((n, f) => n + f.images.length, 0));
    const occurrence =
      phase === 'multipart upload' && multipart > 0 ? multipart
      : phase === 'ocfl install' ? folderEnds[Math.floor(rnd() * folderEnds.length)]
      : 1 + Math.floor(rnd() * lines);
    const kill: KillPlan = { collectionId: plan.id, phase, occurrence, delayMs: Math.floor(rnd() * PHASES[phase].maxDelayMs) };
    await browser.submit(url, plan.id, PROCESSES);
    const run = await runToEnd(stack, plan.id, kill);
    const end = await checkEndState({
      settings: stack.settings, aspace: stack.services.aspace.state, islandoraHome: stack.services.sshd.home,
      collectionId: plan.id, folders: plan.folders.map((f) => ({ name: f.name, images: f.images.length })), originals, processes: PROCESSES,
    });
    add(tally, end.figures);
    const state = run.record?.state ?? 'no final state';
    const problems = [...end.problems];
    const left = await leftInQueue(stack, plan.id);
    if (left.length) problems.push(`the status folder still holds ${left.join(', ')} after the run ended`);
    const log = run.log ? await readFile(run.log, 'utf8').catch(() => '') : '';
    const uploadsCleaned = [...log.matchAll(/🧹 Aborted (\d+) unfinished S3 upload/gu)].reduce((n, m) => n + Number(m[1]), 0);
    if (state === 'succeeded' && problems.length) tally.untruthful++;
    else if (state === 'no final state' || (state === 'failed' && !run.record?.reason)) tally.untruthful++;
    if (state !== 'succeeded') {
      tally.notCompleted++;
      problems.unshift(`run ended "${state}"${run.record?.reason ? `: ${run.record.reason}` : ''}`);
    }
    const trial: CrashTrial = { collectionId: plan.id, phase, killed: run.killed, killedAfter: run.killedAfter, lastLine: run.lastLine, landedIn: run.killed ? landedIn(run.lastLine) : undefined, uploadsCleaned, passes: run.passes, finalState: state, problems, seconds: run.seconds };
    trials.push(trial);
    o.log(`Trial ${i + 1}/${plans.length} ${plan.id}: ${run.killed ? `killed during ${phase} (after "${(run.killedAfter ?? '').slice(0, 70)}")` : `not killed (the run ended before ${phase})`}, ${run.passes} pass(es), ${state}, ${run.seconds} s${problems.length ? ` — ${problems.slice(0, 3).join('; ')}` : ''}`);
  }
  return { ...tally, trials };
}

/** The takeover trials (src/e2e/takeover.ts), each on a fresh collection, aimed at one phase in turn. */
async function takeoverTrials(stack: E2EStack, url: string, browser: FormBrowser, plans: CollectionPlan[], o: E2EOptions): Promise<TakeoverTrial[]> {
  const out: TakeoverTrial[] = [];
  for (const [i, plan] of plans.entries()) {
    await writeCollection(plan, stack.stage1, o.seed + 101 + i);
    const phase = o.phase ?? PHASE_NAMES[i % PHASE_NAMES.length];
    const t = await takeoverTrial(stack, plan, phase, () => browser.submit(url, plan.id, PROCESSES), PROCESSES);
    out.push(t);
    o.log(`Takeover ${i + 1}/${plans.length} ${plan.id}: A paused in ${phase}${t.takenOver ? ', B took over' : ''}${t.aStoppedSayingSo ? ', A resumed and stopped saying so' : ''}${t.bClaimIntact ? ', B\'s claim intact' : ''}; ${t.finalState} (worker ${t.recordWorker ?? '?'}), ${t.duplicateEffects} duplicate effects, ${t.seconds} s${t.problems.length ? ` — ${t.problems.slice(0, 3).join('; ')}` : ''}`);
  }
  return out;
}

/** The main run's place in the report when only trials were asked for. */
function skippedMain(plan: CollectionPlan): Tally & { report: E2EReport['main'] } {
  return {
    ...emptyTally(),
    report: { collectionId: plan.id, folders: 0, images: 0, badFiles: 0, largestImageMB: 0, firstRun: { state: 'not run (--trials-only)', seconds: 0 }, secondRun: { state: 'not run', seconds: 0 }, imagesPerMinute: 0, problems: [] },
  };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

export async function e2eCommand(args: string[]): Promise<number> {
  const o = parseArgs(args);
  if (typeof o === 'string') {
    console.error(o);
    return 2;
  }
  const report = await runE2E(o);
  const out = resolve(o.out);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify(report, null, 2) + '\n');
  o.log('');
  o.log(renderReport(report));
  o.log(`Saved ${out}`);
  return report.goalsMet ? 0 : 1;
}

if (process.argv[1] && existsSync(process.argv[1]) && import.meta.url === pathToFileURL(process.argv[1]).href) {
  e2eCommand(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exitCode = 1;
    },
  );
}
