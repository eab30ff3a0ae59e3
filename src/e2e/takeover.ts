/**
 * The takeover trial: two alchemists with different worker names on one status folder, as two
 * worker hosts sharing a mount. Worker A runs a fresh collection and is paused (SIGSTOP to its
 * whole process group, as when its VM is suspended) at a moment aimed at one phase; once its claim
 * is older than the stale threshold worker B takes the run over and runs it; then A is resumed
 * (SIGCONT) while B is still at work. A must stop at its next boundary writing nothing more, B's
 * claim must be intact, and the end state must show one run's effects only.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StandInState } from '../archivesspace/standin/index.js';
import { loadCatalogue, locationsOf } from '../destinations/tape/catalogue.js';
import { readInventory } from '../ocfl/index.js';
import { StatusFolder } from '../runs/statusFolder.js';
import { objectIdFor, storageRootOf } from '../wiring.js';
import { PHASES, spawnPass, type Phase } from './alchemist.js';
import { checkEndState, fingerprint } from './endState.js';
import type { CollectionPlan } from './collection.js';
import type { E2EStack } from './stack.js';

/** The stale threshold of both workers in the trial (minutes; 9 seconds). */
export const TRIAL_STALE_MINUTES = 0.15;
const STALE_MS = TRIAL_STALE_MINUTES * 60_000;

export interface TakeoverTrial {
  collectionId: string;
  /** The phase A was paused in (aimed at from the run's own stream). */
  phase: string;
  pausedAfter?: string;
  /** B took the run over (its pass re-queued A's claim and claimed it). */
  takenOver: boolean;
  /** A, resumed, said in its own log that it lost the claim and stopped. */
  aStoppedSayingSo: boolean;
  /** B still held its claim (same file) after A had resumed and ended its pass. */
  bClaimIntact: boolean;
  finalState: string;
  /** Which worker the record says ran the run last. */
  recordWorker?: string;
  duplicateEffects: number;
  filesLost: number;
  truthful: boolean;
  problems: string[];
  seconds: number;
}

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

async function waitFor<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(100);
  }
}

export async function takeoverTrial(stack: E2EStack, plan: CollectionPlan, phase: Phase, submit: () => Promise<unknown>, processes: readonly string[]): Promise<TakeoverTrial> {
  const started = Date.now();
  const status = new StatusFolder(stack.statusDir);
  const id = plan.id;
  const problems: string[] = [];
  const originals = await fingerprint(join(stack.stage1, id));
  const stale = { DISTILLERY_ALCHEMIST_STALE_CLAIM_MINUTES: String(TRIAL_STALE_MINUTES) };
  await submit();

  // A runs until the phase's first line, then is paused with every tool it started.
  // Each worker keeps its own log, as on its own host.
  const aLog = join(stack.dataDir, `${id}-host-a.log`);
  const a = spawnPass(stack, { ...stale, DISTILLERY_ALCHEMIST_WORKER_NAME: 'host-a', DISTILLERY_LOG_FILE: aLog });
  const stream = status.streamPath(id);
  const aimed = await waitFor(`A to reach ${phase}`, async () => {
    if (a.child.exitCode !== null) return null;
    const text = await readFile(stream, 'utf8').catch(() => '');
    return text.split('\n').find((l) => PHASES[phase].pattern.test(l));
  }, 300_000);
  if (aimed === null) {
    problems.push(`A ended before ${phase}; no takeover to try`);
  }
  let takenOver = false;
  let bClaimIntact = false;
  let aStoppedSayingSo = false;
  if (aimed) {
    process.kill(-a.child.pid!, 'SIGSTOP');
    const aClaim = await waitFor('A\'s claim', async () => (await status.claimed()).find((c) => c.request.collectionId === id), 10_000);
    // Paused past the threshold: B's pass finds the claim stale, re-queues it and runs the run.
    await waitFor('A\'s claim to go stale', async () => {
      const c = (await status.claimed()).find((x) => x.file === aClaim.file);
      return !c || c.heartbeatAgeMs > STALE_MS + 1000 ? true : undefined;
    }, STALE_MS * 4);
    const b = spawnPass(stack, { ...stale, DISTILLERY_ALCHEMIST_WORKER_NAME: 'host-b', DISTILLERY_LOG_FILE: join(stack.dataDir, `${id}-host-b.log`) });
    const bClaim = await waitFor('B to claim the run', async () => {
      if (b.child.exitCode !== null) return null;
      return (await status.claimed()).find((c) => c.request.collectionId === id && c.worker.host === 'host-b');
    }, 60_000).catch(() => null);
    takenOver = !!bClaim;
    if (!bClaim) problems.push('B did not take the run over');
    // B at work: A wakes up.
    await sleep(500);
    process.kill(-a.child.pid!, 'SIGCONT');
    const aCode = await Promise.race([a.exited, sleep(120_000).then(() => 'timeout' as const)]);
    if (aCode === 'timeout') {
      problems.push('A did not end its pass within 2 minutes of being resumed');
      process.kill(-a.child.pid!, 'SIGKILL');
    }
    const aSaid = await readFile(aLog, 'utf8').catch(() => '');
    aStoppedSayingSo = /no longer holds the run/.test(aSaid);
    if (!aStoppedSayingSo) problems.push(`A did not say in its log that it lost the claim: ${(aSaid + a.output()).slice(-400)}`);
    if (bClaim) {
      const bFinished = b.child.exitCode !== null;
      bClaimIntact = bFinished ? true : await status.holds(bClaim);
      if (!bClaimIntact) problems.push('B\'s claim was gone after A resumed');
    }
    const bCode = await b.exited;
    if (bCode !== 0) problems.push(`B's pass exited with ${bCode}: ${b.output().slice(-400)}`);
  } else {
    await a.exited;
  }

  // The end state, judged from the outside.
  const runs = (await status.archived(id)).filter((r) => r.record);
  if (runs.length !== 1) problems.push(`${runs.length} archived runs of ${id} (expected 1)`);
  const record = runs[0]?.record;
  const end = await checkEndState({
    settings: stack.settings, aspace: stack.services.aspace.state, islandoraHome: stack.services.sshd.home,
    collectionId: id, folders: plan.folders.map((f) => ({ name: f.name, images: f.images.length })), originals, processes,
  });
  problems.push(...end.problems);
  const duplicates = await duplicateEffects(stack, plan, stack.services.aspace.state);
  problems.push(...duplicates.found);
  const duplicateCount = duplicates.found.length + end.figures.duplicateDigitalObjects + end.figures.duplicateComponents + end.figures.duplicateOcflObjects;
  const log = runs[0] ? await readFile(join(stack.statusDir, runs[0].log), 'utf8').catch(() => '') : '';
  const finishedLines = log.split('\n').filter((l) => l.startsWith('✅ Finished')).length;
  const left = (await status.claimed()).filter((c) => c.request.collectionId === id);
  const truthful =
    record?.state === 'succeeded' && end.problems.length === 0 && finishedLines === 1 && left.length === 0 &&
    (!aimed || record.worker?.host === 'host-b') && record.steps.every((s) => s.state === 'done' || s.state === 'skipped');
  if (record && record.state !== 'succeeded') problems.unshift(`run ended "${record.state}": ${record.reason ?? 'no reason'}`);
  if (!truthful) problems.push(`the record is not truthful: state ${record?.state ?? 'none'}, worker ${record?.worker?.host ?? '?'}, ${finishedLines} "Finished" lines, ${left.length} claims left`);
  return {
    collectionId: id,
    phase,
    pausedAfter: aimed ?? undefined,
    takenOver,
    aStoppedSayingSo,
    bClaimIntact,
    finalState: record?.state ?? 'no final state',
    recordWorker: record?.worker?.host,
    duplicateEffects: duplicateCount,
    filesLost: end.figures.filesLost,
    truthful,
    problems,
    seconds: Math.round((Date.now() - started) / 100) / 10,
  };
}

/**
 * Effects made twice: a second OCFL version of unchanged content, an object version on two tape
 * files, a file version recorded twice on one component, two books for one folder.
 */
async function duplicateEffects(stack: E2EStack, plan: CollectionPlan, aspace: StandInState): Promise<{ found: string[] }> {
  const found: string[] = [];
  const root = storageRootOf(stack.settings);
  const cat = stack.settings.tape ? await loadCatalogue(stack.settings.tape.cataloguePath) : undefined;
  for (const f of plan.folders) {
    const ao = aspace.list('archival_object').find((r) => r.data.component_id === f.name);
    if (!ao) continue;
    const objectId = objectIdFor(stack.settings, ao.uri);
    const inv = await readInventory(root, objectId);
    if (!inv) continue;
    const versions = Object.keys(inv.versions).length;
    if (versions > 1) found.push(`OCFL object ${objectId} has ${versions} versions for one run of unchanged content (expected 1)`);
    if (cat) {
      const onTape = locationsOf(cat, objectId, inv.head).filter((l) => l.file.state === 'verified');
      if (onTape.length > 1) found.push(`${objectId} ${inv.head} was written to ${onTape.length} tape files (expected 1)`);
    }
  }
  for (const f of plan.folders) {
    const dos = aspace.list('digital_object').filter((r) => r.data.digital_object_id === f.name);
    for (const d of dos) {
      const comps = aspace.list('digital_object_component').filter((c) => (c.data.digital_object as { ref?: string } | undefined)?.ref === d.uri);
      for (const c of [d, ...comps]) {
        const uris = ((c.data.file_versions as { file_uri: string }[] | undefined) ?? []).map((v) => v.file_uri);
        if (new Set(uris).size !== uris.length) found.push(`${c.uri} (${f.name}) has a file version recorded twice`);
      }
    }
  }
  return { found };
}
