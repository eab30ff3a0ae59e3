/**
 * Folders overlap: while a destination delivers folder N, the conversions go on with the next
 * folders (at most FOLDERS_AHEAD waiting beyond the slowest destination); each destination still
 * takes folders one at a time and in order, and the run never returns while anything still runs.
 *
 * Real parts: the ArchivesSpace stand-in server, vips/OpenJPEG and exiftool (the convert step),
 * the OCFL package, the real S3 destination on a real S3-compatible server (fauxqs), the
 * preservation network's Ingest stand-in, the real worker pass (claims, fence, journal). The thing
 * under test is the processor's scheduling, so onsite and access are test destinations behind the
 * Destination interface: each notes when it starts and ends each folder, and the slow one holds a
 * folder until it sees a given event (or a time-out passes, so a serial processor runs to the end
 * and the assertions say why). (test/distill/pipeline.test.ts runs the real tape and Islandora
 * destinations through the same pipeline.) The encoder and the ArchivesSpace client are the real
 * ones, wrapped to note when each folder's look-up and first encode begin.
 */
import { readFile, stat, truncate } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runOnce } from '../../src/alchemist/worker.js';
import { FolderNotDelivered, type Destination, type DestinationProcess, type PreparedFolder, type RunScope } from '../../src/destinations/destination.js';
import { DistillProcessor, FOLDERS_AHEAD } from '../../src/distill/processor.js';
import type { RunRecord } from '../../src/runs/types.js';
import { destinationFor, distillDepsFor } from '../../src/wiring.js';
import { startStack, stepStates, USER, writeFolder, type Stack } from '../e2e/support/stack.js';

const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));
/**
 * How long a held folder waits for what it waits for, at most: a serial processor never gets there
 * (then the assertions say why); under overlap it comes as soon as the conversions get there, however
 * loaded the machine is.
 */
const HOLD_MS = 60_000;

const A = 'OVLA'; // overlap and its bound
const B = 'OVLB'; // a failed destination and a refused folder under overlap
const C = 'OVLC'; // cancelled during overlap
const D = 'OVLD'; // its claim lost during overlap
const foldersOf = (c: string, n: number) => Array.from({ length: n }, (_, i) => `${c}_001_0${i + 1}`);

let stack: Stack;
/**
 * What happened, in order: "prepare F" (its ArchivesSpace look-up began), "convert F" (its first
 * encode began), "<process> start F", "<process> end F", "<process> stopped F", "<process> finish".
 */
let events: string[] = [];
const at = (e: string) => events.indexOf(e);
const waitFor = async (e: string, ms = HOLD_MS) => {
  for (const end = Date.now() + ms; Date.now() < end && at(e) === -1;) await sleep(20);
  return at(e) !== -1;
};

interface Behaviour {
  /** Before ending a folder, wait until this event happened (or HOLD_MS passed)… */
  holdUntil?: Record<string, string>;
  /** …then until this one, for at most thenMs. */
  thenUntil?: string;
  thenMs?: number;
  refuse?: string[];
  fail?: string[];
  /** On abort, take this long to stop (a delivery that finishes its current write first). */
  stopMs?: number;
}

/** A destination of the given process that records a verified result per folder and notes its calls. */
function testDestination(process: DestinationProcess, b: Behaviour): Destination {
  let busy = false;
  return {
    process,
    platform: 'test',
    check: async () => ({ ok: true, detail: 'test' }),
    async deliver(run: RunScope, folder: PreparedFolder) {
      expect(busy, `${process} was given two folders at once`).toBe(false);
      busy = true;
      events.push(`${process} start ${folder.name}`);
      try {
        const until = b.holdUntil?.[folder.name];
        if (until) {
          const aborted = new Promise<void>((ok) => run.signal?.addEventListener('abort', () => ok(), { once: true }));
          await Promise.race([waitFor(until), aborted]);
          if (run.signal?.aborted) {
            await sleep(b.stopMs ?? 0);
            events.push(`${process} stopped ${folder.name}`);
            throw run.signal.reason;
          }
          if (b.thenUntil) await waitFor(b.thenUntil, b.thenMs);
        }
        await run.fence?.(`sending ${folder.name} to ${process}`);
        if (b.refuse?.includes(folder.name)) throw new FolderNotDelivered(`${folder.name} is not published: publish it in ArchivesSpace, then run again.`);
        if (b.fail?.includes(folder.name)) throw new Error(`the ${process} test server is down; start it and run again.`);
        run.reporter.folder?.({ folder: folder.name, state: 'done', counts: { files: folder.images.length } });
        events.push(`${process} end ${folder.name}`);
      } finally {
        busy = false;
      }
    },
    async finish() {
      events.push(`${process} finish`);
    },
  };
}

/** The worker's processor as wiring builds it, with test destinations for some processes and a noting encoder. */
function useProcessor(tests: Partial<Record<DestinationProcess, Destination>>): void {
  const deps = distillDepsFor(stack.settings);
  stack.env.processor = new DistillProcessor({
    ...deps,
    aspace: () => {
      const aspace = deps.aspace();
      const findFolder = aspace.findFolder.bind(aspace);
      aspace.findFolder = (componentId) => {
        events.push(`prepare ${componentId}`);
        return findFolder(componentId);
      };
      return aspace;
    },
    destination: (p) => tests[p] ?? destinationFor(stack.settings, p),
    tools: async (id) => {
      const tools = await deps.tools(id);
      const encoder = tools.encoder;
      return {
        ...tools,
        encoder: {
          ...encoder,
          name: encoder.name,
          version: () => encoder.version(),
          encodeLossless: (tiff, jp2, signal) => {
            const e = `convert ${basename(dirname(tiff))}`;
            if (!events.includes(e)) events.push(e);
            return encoder.encodeLossless(tiff, jp2, signal);
          },
        },
      };
    },
  });
}

async function run(collectionId: string, processes: string[], during?: () => Promise<void>): Promise<{ record: RunRecord; text: string; returned: number }> {
  events = [];
  await stack.env.status.requestRun({ collectionId, processes, user: USER });
  const pass = runOnce(stack.env);
  const side = during?.();
  await pass;
  const returned = events.length;
  events.push('returned');
  await side;
  const [last] = await stack.env.status.archived(collectionId);
  return { record: last.record!, text: await readFile(`${stack.statusDir}/${last.log}`, 'utf8'), returned };
}

const stateOf = (record: RunRecord, folder: string, step: string) => {
  const s = record.folders?.find((f) => f.name === folder)?.steps[step];
  return s ? `${s.state}${s.why ? `: ${s.why}` : ''}` : undefined;
};

beforeAll(async () => {
  stack = await startStack({ collections: [{ id: A, folders: foldersOf(A, 4) }, { id: B, folders: foldersOf(B, 4) }, { id: C, folders: foldersOf(C, 3) }, { id: D, folders: foldersOf(D, 3) }] });
  for (const [c, n] of [[A, 4], [B, 4], [C, 3], [D, 3]] as const) {
    for (const [i, f] of foldersOf(c, n).entries()) {
      const scans = await writeFolder(stack, c, f, 2, { seed: i + 1, width: 160, height: 120 });
      // The fourth folder of B cannot be converted at all: both its scans are cut short.
      if (c === B && i === 3) for (const p of scans) await truncate(p, 600);
    }
  }
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

test('the next folders convert while a slow destination delivers; at most FOLDERS_AHEAD wait beyond it; each destination takes folders in order', async () => {
  expect(FOLDERS_AHEAD).toBe(2);
  const [f1, f2, f3, f4] = foldersOf(A, 4);
  // Access holds the first folder until the third is prepared (onsite, quick, starts it), then
  // up to 1 s more for the fourth to begin: the bound keeps it waiting until the first is delivered.
  useProcessor({
    onsite: testDestination('onsite', {}),
    access: testDestination('access', { holdUntil: { [f1]: `onsite start ${f3}` }, thenUntil: `prepare ${f4}`, thenMs: 1000 }),
  });
  const { record } = await run(A, ['onsite', 'cloud', 'access']);

  expect(record.reason).toBeUndefined();
  expect(stepStates(record)).toEqual(['stage:done', 'metadata:done', 'convert:done', 'package:done', 'onsite:done', 'cloud:done', 'access:done', 'finish:done']);
  // Overlap: the next folders' conversions began while access was still on the first folder.
  expect(at(`convert ${f2}`)).toBeGreaterThan(-1);
  expect(at(`convert ${f2}`), events.join('\n')).toBeLessThan(at(`access end ${f1}`));
  expect(at(`convert ${f3}`), events.join('\n')).toBeLessThan(at(`access end ${f1}`));
  // The bound: the fourth waits until the first is delivered everywhere.
  expect(at(`prepare ${f4}`), events.join('\n')).toBeGreaterThan(at(`access end ${f1}`));
  expect(at(`convert ${f4}`)).toBeGreaterThan(at(`access end ${f1}`));
  // Access took the folders one at a time (the destination asserts it), in folder order, then finished.
  expect(events.filter((e) => e.startsWith('access '))).toEqual([f1, f2, f3, f4].flatMap((f) => [`access start ${f}`, `access end ${f}`]).concat('access finish'));
  // Every folder was verified everywhere, the real S3 copies among them.
  for (const f of [f1, f2, f3, f4]) for (const step of ['convert', 'package', 'onsite', 'cloud', 'access']) expect(stateOf(record, f, step), `${f} ${step}`).toBe('done');
  // Timings stay per step: one delivery per folder for each destination, one finish each.
  const timing = (step: string) => record.steps.find((s) => s.name === step)!.timings ?? {};
  for (const step of ['onsite', 'cloud', 'access']) expect(timing(step).deliver?.count, step).toBe(4);
  expect(timing('access').deliver!.ms).toBeGreaterThanOrEqual(1000);
  expect(Object.keys(timing('convert')).length).toBeGreaterThan(0);
}, 240_000);

test('under overlap a failed destination skips its later folders with why, a refused folder stops nothing, a folder that cannot be converted is not sent, and the network registers only what every preservation copy verified', async () => {
  const [f1, f2, f3, f4] = foldersOf(B, 4);
  useProcessor({
    onsite: testDestination('onsite', { refuse: [f2] }),
    access: testDestination('access', { holdUntil: { [f1]: `convert ${f3}` }, fail: [f2] }),
  });
  const { record, text } = await run(B, ['onsite', 'cloud', 'access']);

  expect(at(`convert ${f3}`), events.join('\n')).toBeLessThan(at(`access end ${f1}`));
  expect(record.state).toBe('failed');
  expect(stepStates(record)).toEqual(['stage:done', 'metadata:done', 'convert:failed', 'package:done', 'onsite:failed', 'cloud:done', 'access:failed', 'finish:skipped']);
  const step = (n: string) => record.steps.find((s) => s.name === n)!;
  expect(step('onsite').why).toBe(`1 folder not delivered: ${f2}: ${f2} is not published: publish it in ArchivesSpace, then run again.`);
  expect(step('access').why).toBe(`${f2}: the access test server is down; start it and run again.`);
  expect([f1, f2, f3].map((f) => stateOf(record, f, 'onsite'))).toEqual(['done', `failed: ${f2} is not published: publish it in ArchivesSpace, then run again.`, 'done']);
  expect([f1, f2, f3].map((f) => stateOf(record, f, 'cloud'))).toEqual(['done', 'done', 'done']);
  expect([f1, f2, f3].map((f) => stateOf(record, f, 'access'))).toEqual([
    'done',
    'failed: the access test server is down; start it and run again.',
    `skipped: not sent: access stopped earlier in this run (${f2}: the access test server is down; start it and run again.)`,
  ]);
  // The fourth folder stopped at its conversion: no destination got it, each says why.
  expect(stateOf(record, f4, 'convert')).toMatch(/^failed: /);
  for (const step of ['package', 'onsite', 'cloud', 'access']) expect(stateOf(record, f4, step), step).toBe('skipped: not run for this folder: its convert step failed');
  // The stopped destination never got the third folder nor finished; the refusing one went on and finished.
  expect(events.filter((e) => e.startsWith('access '))).toEqual([`access start ${f1}`, `access end ${f1}`, `access start ${f2}`]);
  expect(events.filter((e) => e.startsWith('onsite '))).toEqual([`onsite start ${f1}`, `onsite end ${f1}`, `onsite start ${f2}`, `onsite start ${f3}`, `onsite end ${f3}`, 'onsite finish']);
  // Registered with the network: the folders both preservation copies verified, not the refused one.
  expect(text).toContain(`🌐 ${f2}: not registered with the preservation network: onsite did not verify a copy in this run.`);
  expect(text).not.toContain(`🌐 ${f1}: not registered`);
  expect(text).not.toContain(`🌐 ${f3}: not registered`);
}, 240_000);

test('a cancel during overlap: the run returns only after every stage stopped, and nothing is written after', async () => {
  const [f1, f2, f3] = foldersOf(C, 3);
  // Access holds the first folder until the cancel stops the run, then takes a moment to stop.
  useProcessor({ access: testDestination('access', { holdUntil: { [f1]: 'never' }, stopMs: 1500 }) });
  const started = Date.now();
  const { record, returned } = await run(C, ['cloud', 'access'], async () => {
    // Cancelled from the status page once the second folder's conversion began beside the held delivery.
    expect(await waitFor(`convert ${f2}`), events.join('\n')).toBe(true);
    const current = await stack.env.status.readRecord(C);
    await stack.env.status.requestCancel(C, { runId: current!.request.runId, by: USER, at: new Date().toISOString() });
  });
  const [last] = await stack.env.status.archived(C);

  expect(record.state).toBe('cancelled');
  expect(Date.now() - started).toBeLessThan(60_000);
  // The held delivery stopped before the run returned, and nothing happened after it returned.
  expect(at(`access stopped ${f1}`)).toBeGreaterThan(-1);
  expect(at(`access stopped ${f1}`)).toBeLessThan(returned);
  expect(events.indexOf('returned')).toBe(events.length - 1);
  // Access never took another folder, nor finished; the third folder was never converted.
  expect(events.filter((e) => e.startsWith('access '))).toEqual([`access start ${f1}`, `access stopped ${f1}`]);
  expect(at(`convert ${f3}`)).toBe(-1);
  // Nothing is written to the archived run (record, stream, file results) after it ended.
  const files = ['json', 'log', 'files.jsonl'].map((ext) => `${stack.statusDir}/${last.log.replace(/\.log$/, `.${ext}`)}`);
  const before = await Promise.all(files.map(async (p) => [(await stat(p).catch(() => undefined))?.mtimeMs, await readFile(p, 'utf8').catch(() => '')]));
  await sleep(2000);
  const after = await Promise.all(files.map(async (p) => [(await stat(p).catch(() => undefined))?.mtimeMs, await readFile(p, 'utf8').catch(() => '')]));
  expect(after).toEqual(before);
  expect(await stack.env.status.readRecord(C)).toBeUndefined();
  expect(events.indexOf('returned')).toBe(events.length - 1);
}, 240_000);

test('a claim lost during overlap: the worker stops every stage before it returns and writes nothing more', async () => {
  const [f1, f2, f3] = foldersOf(D, 3);
  useProcessor({ access: testDestination('access', { holdUntil: { [f1]: 'never' }, stopMs: 1500 }) });
  const status = stack.env.status;
  const shared = [status.recordPath(D), status.streamPath(D), status.filesPath(D)];
  const look = () => Promise.all(shared.map(async (p) => [(await stat(p).catch(() => undefined))?.mtimeMs, await readFile(p, 'utf8').catch(() => '')]));
  events = [];
  await status.requestRun({ collectionId: D, processes: ['cloud', 'access'], user: USER });
  const pass = runOnce(stack.env);
  // Another worker takes the run over (as after this one was paused past the stale threshold)
  // once the second folder's conversion began beside the held delivery.
  expect(await waitFor(`convert ${f2}`), events.join('\n')).toBe(true);
  const [mine] = await status.claimed();
  expect(await status.requeue(mine)).toBe(true);
  const theirs = await status.claim((await status.pending()).find((r) => r.collectionId === D)!, { host: 'another-host', pid: 2 });
  expect(theirs).toBeDefined();
  await pass;
  const returned = events.length;
  events.push('returned');

  expect(at(`access stopped ${f1}`)).toBeGreaterThan(-1);
  expect(at(`access stopped ${f1}`)).toBeLessThan(returned);
  expect(events.filter((e) => e.startsWith('access '))).toEqual([`access start ${f1}`, `access stopped ${f1}`]);
  expect(at(`convert ${f3}`)).toBe(-1);
  // The run is the other worker's now: this one archived nothing and writes nothing more to it.
  expect(await status.archived(D)).toEqual([]);
  expect(await status.holds(theirs!)).toBe(true);
  const before = await look();
  await sleep(2000);
  expect(await look()).toEqual(before);
  expect(events.indexOf('returned')).toBe(events.length - 1);
}, 240_000);
