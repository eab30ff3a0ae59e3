/**
 * The conformance suite every destination passes (as a tus server holds every store to one suite).
 * A destination's test file calls `destinationConformance(name, makeHarness)`; the harness starts
 * the destination's real far side (local S3-compatible server, the rmt tape stand-in with real tar,
 * the Ingest stand-in, sshd with the drush stand-in, a IIIF publication folder), prepares a folder,
 * counts what the far side holds, reads what was recorded, and injects faults there. The cases:
 *   (a) deliver, then rerun: the rerun sends nothing and says the folder was already there;
 *   (b) nothing is recorded before it is verified: with what was sent damaged, nothing is recorded;
 *   (c) a lost answer (the far side did the work, the answer never came): no second copy or record;
 *   (d) the run's stop signal ends a delivery within seconds, with nothing half-recorded;
 *   (e) a refused delivery fails with why and what to do, and nothing is recorded;
 *   (f) memory stays bounded for a large preservation file (streamed from a sparse file).
 * See docs/destinations.md.
 */
import { open } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { PreparedFolder, RunScope } from '../../src/destinations/destination.js';
import { MemoryReporter } from '../../src/runs/reporter.js';

/** What the suite drives: `Destination` (or the network's, which returns where the version got to). */
export interface Deliverer {
  begin?(run: RunScope): Promise<void>;
  deliver(run: RunScope, folder: PreparedFolder): Promise<unknown>;
  finish?(run: RunScope): Promise<void>;
}

/** A fault the harness armed; `fired()` says how often the far side applied it (the suite checks it did). */
export interface ArmedFault {
  fired(): number | Promise<number>;
}

export interface ConformanceHarness {
  /** A new destination object, as a new run makes one. */
  destination(): Deliverer;
  /** A run scope with a fresh MemoryReporter and the harness's ArchivesSpace (stand-in or recorder). */
  scope(signal?: AbortSignal): RunScope & { reporter: MemoryReporter };
  /** A small folder ready for delivery (a few files). */
  folder(): Promise<PreparedFolder>;
  /**
   * What the far side holds, one entry per thing it keeps (object key, tape file's object version,
   * bag, book, published page…) with how many copies of it there are, orphans included.
   */
  held(): Promise<Map<string, number>>;
  /** What was recorded of the folder (ArchivesSpace file versions or links, the destination's own record): entry → how many. */
  recorded(): Promise<Map<string, number>>;
  /** The far side does the next write but its answer is lost (connection dropped, time-out). */
  loseAnswer(): Promise<ArmedFault>;
  /** What is sent arrives damaged (or reads back wrong), so verification fails. */
  breakVerification(): Promise<ArmedFault>;
  /** The far side refuses every write (permission, write protection, a 4xx). */
  refuse(): Promise<ArmedFault>;
  /** The far side slows so much that a delivery is still under way when the run is stopped. */
  stall(): Promise<ArmedFault>;
  /** Removes every armed fault. */
  clearFaults(): Promise<void>;
  /**
   * Set (to why) when the far side can only append (tape): what a damaged or stopped write left
   * there stays, beside the good copy the rerun writes. Every thing is then held at least once
   * (not exactly once) after cases (b) and (d); a lost answer (c) must still make no second copy.
   */
  appendOnly?: string;
  /** What a refused delivery's message must say (the cause and what to do). */
  refusalMessage: RegExp;
  /** A folder holding one preservation file of `bytes` bytes (a sparse file); absent when the destination never takes one. */
  bigFolder?(bytes: number): Promise<PreparedFolder>;
  /** Why the destination never takes a large preservation file (shown in the test name when bigFolder is absent). */
  noBigFileBecause?: string;
  cleanup(): Promise<void>;
}

export interface ConformanceOptions {
  /** Per-case time limit (ms). */
  timeoutMs?: number;
  /** Size of the large file for case (f); default CONFORMANCE_BIG_FILE_BYTES or 1 GiB. */
  bigFileBytes?: number;
}

const MiB = 1024 ** 2;
/**
 * The size case (f) streams: 256 MiB by default, twice the memory it may grow by, so a destination
 * that holds the file in memory fails it (2 GiB takes minutes per destination on a shared CI
 * machine); CONFORMANCE_BIG_FILE_BYTES=2147483648 runs it at 2 GiB.
 */
export const BIG_FILE_BYTES = Number(process.env.CONFORMANCE_BIG_FILE_BYTES || 256 * MiB);
/** How much the test process may grow while delivering the large file: at most this, and at most half the file. */
export const MEMORY_LIMIT_BYTES = 128 * MiB;

/** Runs one delivery as the worker does: begin, deliver, finish. */
export async function deliverAll(dest: Deliverer, run: RunScope, folder: PreparedFolder): Promise<void> {
  await dest.begin?.(run);
  await dest.deliver(run, folder);
  await dest.finish?.(run);
}

/** Makes a sparse file of `bytes` bytes (zeros that take no disk until read). */
export async function sparseFile(path: string, bytes: number): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.truncate(bytes);
  } finally {
    await fh.close();
  }
}

const total = (m: Map<string, number>) => [...m.values()].reduce((s, n) => s + n, 0);
const copiesOverOne = (m: Map<string, number>) => [...m.entries()].filter(([, n]) => n !== 1);

/**
 * Every thing held once and every record once: no second copy, no second record. With
 * `leftoversAllowed` (an append-only far side after a damaged or stopped write) things may be held
 * more than once, records still exactly once.
 */
async function expectOnce(h: ConformanceHarness, what: string, leftoversAllowed = false): Promise<{ held: Map<string, number>; recorded: Map<string, number> }> {
  const held = await h.held();
  const recorded = await h.recorded();
  expect(held.size, `${what}: the far side holds something`).toBeGreaterThan(0);
  if (leftoversAllowed) expect([...held.entries()].filter(([, n]) => n < 1)).toEqual([]);
  else expect(copiesOverOne(held), `${what}: things held more (or less) than once`).toEqual([]);
  expect(recorded.size, `${what}: something is recorded`).toBeGreaterThan(0);
  expect(copiesOverOne(recorded), `${what}: records made more than once`).toEqual([]);
  return { held, recorded };
}

async function fired(f: ArmedFault): Promise<number> {
  return f.fired();
}

export function destinationConformance(name: string, makeHarness: () => Promise<ConformanceHarness>, opts: ConformanceOptions = {}): void {
  const timeout = opts.timeoutMs ?? 60_000;
  const bigBytes = opts.bigFileBytes ?? BIG_FILE_BYTES;

  describe(`${name} destination conformance`, () => {
    let h: ConformanceHarness;
    beforeEach(async () => {
      process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';
      h = await makeHarness();
    }, timeout);
    afterEach(async () => {
      await h?.cleanup();
    }, timeout);

    test('(a) a rerun sends nothing, records nothing twice, and says the folder was already there', async () => {
      const folder = await h.folder();
      const first = h.scope();
      await deliverAll(h.destination(), first, folder);
      const once = await expectOnce(h, 'after the first delivery');

      const again = h.scope();
      await deliverAll(h.destination(), again, folder);
      expect(await h.held(), 'the rerun changed what the far side holds').toEqual(once.held);
      expect(await h.recorded(), 'the rerun changed what is recorded').toEqual(once.recorded);
      // Truthful: nothing claimed as sent, and the run says it was already there.
      expect(again.reporter.files.filter((f) => f.outcome === 'done'), 'the rerun reports files as sent').toEqual([]);
      expect(again.reporter.files.filter((f) => f.outcome === 'failed')).toEqual([]);
      const said = again.reporter.lines.some((l) => l.startsWith('↩️')) || (again.reporter.files.length > 0 && again.reporter.files.every((f) => f.outcome === 'skipped' && f.why));
      expect(said, `the rerun does not say the folder was already there:\n${again.reporter.lines.join('\n')}`).toBe(true);
    }, timeout);

    test('(b) nothing is recorded before it is verified: what arrives damaged is never recorded', async () => {
      const folder = await h.folder();
      const fault = await h.breakVerification();
      const run = h.scope();
      const err = await deliverAll(h.destination(), run, folder).then(() => undefined, (e: Error) => e);
      expect(await fired(fault), 'the fault fired').toBeGreaterThan(0);
      expect(err, 'a delivery that did not verify must fail').toBeInstanceOf(Error);
      expect(total(await h.recorded()), 'recorded although not verified').toBe(0);
      expect(run.reporter.lines.filter((l) => l.startsWith('✅') && l.includes(folder.name)), 'the folder claimed as delivered although not verified').toEqual([]);

      // Once the fault is gone a rerun delivers and records each thing once.
      await h.clearFaults();
      await deliverAll(h.destination(), h.scope(), folder);
      await expectOnce(h, 'after the rerun', Boolean(h.appendOnly));
    }, timeout);

    test('(c) a lost answer never makes a second copy or a second record', async () => {
      const folder = await h.folder();
      const fault = await h.loseAnswer();
      // The delivery may recover by itself (retrying) or fail; either way a rerun must not duplicate anything.
      await deliverAll(h.destination(), h.scope(), folder).catch(() => undefined);
      expect(await fired(fault), 'the fault fired').toBeGreaterThan(0);
      await h.clearFaults();
      await deliverAll(h.destination(), h.scope(), folder);
      const after = await expectOnce(h, 'after a lost answer and a rerun');
      await deliverAll(h.destination(), h.scope(), folder);
      expect(await h.held()).toEqual(after.held);
      expect(await h.recorded()).toEqual(after.recorded);
    }, timeout);

    test('(d) the stop signal ends a delivery within seconds, with nothing half-recorded', async () => {
      const folder = await h.folder();
      const fault = await h.stall();
      const stop = new AbortController();
      const run = h.scope(stop.signal);
      const delivery = deliverAll(h.destination(), run, folder).then(() => undefined, (e: Error) => e);
      // Wait until the far side is holding the delivery up, then stop the run.
      const deadline = Date.now() + 20_000;
      while ((await fired(fault)) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await fired(fault), 'the delivery never reached the stalled far side').toBeGreaterThan(0);
      const stoppedAt = Date.now();
      stop.abort(new Error('the run was cancelled'));
      const winner = await Promise.race([delivery.then((e) => ({ e })), new Promise<'late'>((r) => setTimeout(() => r('late'), 5_000))]);
      expect(winner, 'the delivery did not stop within 5 s of the stop signal').not.toBe('late');
      const elapsed = Date.now() - stoppedAt;
      expect(elapsed).toBeLessThan(5_000);
      expect((winner as { e?: Error }).e, 'a stopped delivery must not report success').toBeInstanceOf(Error);
      expect(total(await h.recorded()), 'recorded although stopped').toBe(0);

      // A rerun completes it: each thing once, each record once.
      await h.clearFaults();
      await deliverAll(h.destination(), h.scope(), folder);
      await expectOnce(h, 'after a stopped delivery and a rerun', Boolean(h.appendOnly));
    }, timeout);

    test('(e) a refused delivery fails truthfully, says why and what to do, and records nothing', async () => {
      const folder = await h.folder();
      const fault = await h.refuse();
      const run = h.scope();
      const err = await deliverAll(h.destination(), run, folder).then(() => undefined, (e: Error) => e);
      expect(await fired(fault), 'the fault fired').toBeGreaterThan(0);
      expect(err, 'a refused delivery must fail').toBeInstanceOf(Error);
      expect(err!.message).toMatch(h.refusalMessage);
      expect(total(await h.recorded()), 'recorded although refused').toBe(0);
      expect(run.reporter.files.filter((f) => f.outcome === 'done'), 'files claimed as done although refused').toEqual([]);
      expect(run.reporter.lines.filter((l) => l.startsWith('✅')), 'success claimed although refused').toEqual([]);
    }, timeout);

    const limit = Math.min(MEMORY_LIMIT_BYTES, bigBytes / 2);
    const bigName = `(f) memory stays bounded (under ${(limit / MiB).toFixed(0)} MiB) for a ${(bigBytes / MiB).toFixed(0)} MiB preservation file`;
    test.skipIf(!makeHarnessHasBig(makeHarness))(bigName, async () => {
      if (!h.bigFolder) throw new Error(`${name} has no bigFolder: ${h.noBigFileBecause ?? 'say why'}`);
      const folder = await h.bigFolder(bigBytes);
      global.gc?.();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 25);
      try {
        await deliverAll(h.destination(), h.scope(), folder);
      } finally {
        clearInterval(sampler);
      }
      peak = Math.max(peak, process.memoryUsage().rss);
      const growth = peak - baseline;
      // Bounded: buffers of a few parts and the runtime, whatever the file's size.
      expect(growth / MiB, `RSS grew by ${(growth / MiB).toFixed(0)} MiB for a ${(bigBytes / MiB).toFixed(0)} MiB file`).toBeLessThan(limit / MiB);
      await expectOnce(h, 'after the large delivery');
    }, Math.max(timeout, 180_000));
  });
}

/** Destinations declare up front whether they take large preservation files (see noBigFile). */
const noBig = new WeakSet<() => Promise<ConformanceHarness>>();
function makeHarnessHasBig(make: () => Promise<ConformanceHarness>): boolean {
  return !noBig.has(make);
}

/**
 * For destinations that by design never take a preservation file (access platforms publish
 * derivatives of scans): case (f) is skipped, with `why` in the suite's name.
 */
export function destinationConformanceWithoutBigFiles(name: string, why: string, makeHarness: () => Promise<ConformanceHarness>, opts: ConformanceOptions = {}): void {
  noBig.add(makeHarness);
  destinationConformance(`${name} (case (f) skipped: ${why})`, makeHarness, opts);
}
