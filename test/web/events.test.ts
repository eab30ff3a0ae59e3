/**
 * The status page's event stream. The test plays the worker with the real StatusFolder
 * (appendLines, writeRecord, archive) on a real folder, and reads the events over HTTP.
 */
import { appendFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunRecord, RunRequest } from '../../src/runs/types.js';
import { StatusFolder, stamp } from '../../src/runs/statusFolder.js';
import { startWeb } from '../../src/web/server.js';
import { pino } from 'pino';
import { ALICE, lineTexts, openEvents, readEvents, recordsOf, startTestWeb, type SseEvent, type TestWeb } from './helpers.js';

let t: TestWeb | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const countLines = (n: number) => (events: SseEvent[]) => lineTexts(events).length >= n;
const hasState = (state: string) => (events: SseEvent[]) => recordsOf(events).some((r) => r.state === state);

async function queued(t: TestWeb, collectionId = 'ABC'): Promise<RunRequest> {
  return t.status.requestRun({ collectionId, processes: ['report', 'cloud'], user: ALICE });
}

function running(request: RunRequest, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    request,
    state: 'running',
    attempts: 1,
    startedAt: new Date().toISOString(),
    steps: [
      { name: 'move', title: 'Move the collection folder to processing', state: 'done' },
      { name: 'report', title: 'Report on available files', state: 'running', progress: { done: 2, total: 5, detail: 'ABC_001_01' } },
    ],
    files: [],
    ...extra,
  };
}

describe('status events', () => {
  it('a line or record written on this host reaches the page at once, not at the next poll', async () => {
    t = await startTestWeb({ follow: { pollMs: 60_000 } });
    const request = await queued(t);
    const reader = await openEvents(`${t.url}/distill/ABC/events`, { user: ALICE.email });
    await reader.waitFor(hasState('queued'));
    await sleep(200); // the first poll is over; the next is a minute away
    const started = Date.now();
    await t.status.appendLines('ABC', ['🟢', '⏳ Converting ABC_001_01_0001.tif to JPEG 2000']);
    await reader.waitFor(countLines(2), 5_000);
    await t.status.writeRecord(running(request));
    await reader.waitFor(hasState('running'), 5_000);
    reader.close();
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('sends the init marker, then each line in order as it is appended, with byte offsets as ids', async () => {
    t = await startTestWeb();
    await queued(t);
    const reader = await openEvents(`${t.url}/distill/ABC/events`, { user: ALICE.email });
    await reader.waitFor(hasState('queued'));
    await t.status.appendLines('ABC', ['🟢']);
    await reader.waitFor(countLines(1));
    await t.status.appendLines('ABC', ['⏳ Converting ABC_001_01_0001.tif to JPEG 2000', '.']);
    await reader.waitFor(countLines(3));
    await t.status.appendLines('ABC', ['✅ Successfully converted ABC_001_01_0001.tif to JPEG 2000. [image 1/5]']);
    const events = [...(await reader.waitFor(countLines(4)))];
    reader.close();
    const lines = events.filter((e) => e.event === 'init' || e.event === 'line');
    expect(lines.map((e) => e.event)).toEqual(['init', 'line', 'line', 'line']);
    expect(lineTexts(events)).toEqual(['🟢', '⏳ Converting ABC_001_01_0001.tif to JPEG 2000', '.', '✅ Successfully converted ABC_001_01_0001.tif to JPEG 2000. [image 1/5]']);
    const ids = lines.map((e) => parseInt(e.id!, 10));
    expect(ids[0]).toBe(Buffer.byteLength('🟢\n'));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // The queued record came first, so the page can show who asked and what.
    expect(events[0].event).toBe('state');
  });

  it('holds back a half-written line until its end arrives', async () => {
    t = await startTestWeb();
    await queued(t);
    const reader = await openEvents(`${t.url}/distill/ABC/events`, { user: ALICE.email });
    await reader.waitFor(hasState('queued'));
    await appendFile(t.status.streamPath('ABC'), 'first line\nsecond ha');
    await reader.waitFor(countLines(1));
    await sleep(400); // several polls see the half line
    expect(lineTexts(reader.events)).toEqual(['first line']);
    await appendFile(t.status.streamPath('ABC'), 'lf\n');
    expect(lineTexts(await reader.waitFor(countLines(2)))).toEqual(['first line', 'second half']);
    reader.close();
  });

  it('resumes after a reconnect with Last-Event-ID, without duplicates or gaps', async () => {
    t = await startTestWeb();
    await queued(t);
    await t.status.appendLines('ABC', ['🟢', 'one', 'two']);
    const url = `${t.url}/distill/ABC/events`;
    const first = await readEvents(url, { user: ALICE.email, done: countLines(3) });
    const lastId = first.filter((e) => e.event === 'line').at(-1)!.id!;
    await t.status.appendLines('ABC', ['three', 'four']);
    const again = await readEvents(url, { user: ALICE.email, lastEventId: lastId, done: countLines(2) });
    expect(lineTexts(again)).toEqual(['three', 'four']);
    // An ID that is not a line boundary (or from another run) starts again from the top.
    const odd = await readEvents(url, { user: ALICE.email, lastEventId: '3', done: countLines(5) });
    expect(lineTexts(odd)).toEqual(['🟢', 'one', 'two', 'three', 'four']);
  });

  it('serves several watchers of one run the same lines', async () => {
    t = await startTestWeb();
    await queued(t);
    const url = `${t.url}/distill/ABC/events`;
    const watchers = await Promise.all([1, 2, 3].map(() => openEvents(url, { user: ALICE.email })));
    await Promise.all(watchers.map((w) => w.waitFor(hasState('queued'))));
    for (let i = 1; i <= 5; i++) {
      await t.status.appendLines('ABC', [i === 1 ? '🟢' : `line ${i}`]);
      await sleep(60);
    }
    await Promise.all(watchers.map((w) => w.waitFor(countLines(5))));
    const late = await openEvents(url, { user: ALICE.email });
    await late.waitFor(countLines(5));
    await t.status.appendLines('ABC', ['line 6']);
    const all = await Promise.all([...watchers, late].map((w) => w.waitFor(countLines(6))));
    const expected = ['🟢', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6'];
    for (const events of all) expect(lineTexts(events)).toEqual(expected);
    [...watchers, late].forEach((w) => w.close());
  });

  it('sends the record as state (steps, progress), then the archived end with the final state', async () => {
    t = await startTestWeb();
    const request = await queued(t);
    const reader = await openEvents(`${t.url}/distill/ABC/events`, { user: ALICE.email });
    await reader.waitFor(hasState('queued'));
    await t.status.appendLines('ABC', ['🟢', 'working']);
    await t.status.writeRecord(running(request));
    await reader.waitFor(hasState('running'));
    await t.status.appendLines('ABC', ['last words']);
    await reader.waitFor(countLines(3));
    const finished: RunRecord = {
      ...running(request),
      state: 'failed',
      reason: 'ArchivesSpace did not answer; try again later.',
      finishedAt: new Date().toISOString(),
    };
    finished.steps[1] = { ...finished.steps[1], state: 'failed', why: 'ArchivesSpace did not answer' };
    const log = await t.status.archive(finished);
    const events = await reader.ended;
    // The record whole once, then only what changed.
    expect(events.filter((e) => e.event === 'state')).toHaveLength(1);
    const states = recordsOf(events);
    expect(states.map((s) => s.state)).toEqual(['queued', 'running', 'failed']);
    expect(states[1].steps[1].progress).toEqual({ done: 2, total: 5, detail: 'ABC_001_01' });
    expect(states[2]).toMatchObject({ reason: 'ArchivesSpace did not answer; try again later.', log });
    expect(lineTexts(events)).toEqual(['🟢', 'working', 'last words']);
    const end = events.at(-1)!;
    expect(end.event).toBe('end');
    expect(JSON.parse(end.data)).toEqual({ reason: 'finished', log });
  });

  it('shows the latest archived run of a collection after it ended', async () => {
    t = await startTestWeb();
    const request = await queued(t);
    await t.status.appendLines('ABC', ['🟢', 'all done']);
    const log = await t.status.archive({ ...running(request), state: 'succeeded', finishedAt: new Date().toISOString() });
    const events = await readEvents(`${t.url}/distill/ABC/events`, { user: ALICE.email });
    expect(lineTexts(events)).toEqual(['🟢', 'all done']);
    expect(recordsOf(events).map((r) => r.state)).toEqual(['succeeded']);
    expect(JSON.parse(events.at(-1)!.data)).toEqual({ reason: 'finished', log });
    // The page itself still opens for the archived run.
    const page = await fetch(`${t.url}/distill/ABC`, { headers: { 'x-remote-user': ALICE.email } });
    expect(page.status).toBe(200);
  });

  it('a page that connects as the run is archived (the stream renamed under it) gets every line exactly once', async () => {
    // The worker archives the run just after the web process looked at the stream and before it
    // sent the lines to the page that just connected (here: while it reads the record, the step
    // between them). A fresh page and one resuming from its last line both connect at that moment.
    for (const resume of [false, true]) {
      t = await startTestWeb({ follow: { pollMs: 200 } });
      const request = await queued(t);
      await t.status.appendLines('ABC', ['🟢', 'working', '⛔ Cancelled by Alice Archivist']);
      const cancelled: RunRecord = { ...running(request), state: 'cancelled', reason: 'Cancelled by Alice Archivist', finishedAt: new Date().toISOString() };
      await t.status.writeRecord(cancelled);
      const url = `${t.url}/distill/ABC/events`;
      let lastEventId: string | undefined;
      if (resume) {
        const first = await readEvents(url, { user: ALICE.email, done: countLines(1) });
        lastEventId = first.find((e) => e.event === 'init')!.id!;
        await sleep(300); // that follower stopped: the next page gets a fresh one
      }
      const worker = new StatusFolder(t.statusDir);
      let archivedAt: string | undefined;
      const read = StatusFolder.prototype.readRecord;
      const spy = vi.spyOn(StatusFolder.prototype, 'readRecord').mockImplementation(async function (this: StatusFolder, id: string) {
        const record = await read.call(this, id);
        if (!archivedAt && this !== worker && this !== t!.status) archivedAt = await worker.archive(cancelled);
        return record;
      });
      try {
        const events = await (await openEvents(url, { user: ALICE.email, lastEventId })).ended;
        expect(archivedAt, 'the run was archived at that moment').toMatch(/^ABC-.*\.log$/);
        expect(lineTexts(events)).toEqual(resume ? ['working', '⛔ Cancelled by Alice Archivist'] : ['🟢', 'working', '⛔ Cancelled by Alice Archivist']);
        expect(recordsOf(events).at(-1)).toMatchObject({ state: 'cancelled', log: archivedAt });
        expect(JSON.parse(events.at(-1)!.data)).toEqual({ reason: 'finished', log: archivedAt });
      } finally {
        spy.mockRestore();
        await t.close();
        t = undefined;
      }
    }
  });

  it('a page that connects between the log rename and the record write of a run ended unfinished still gets the final state', async () => {
    t = await startTestWeb({ follow: { pollMs: 50 } });
    const request = await queued(t);
    await t.status.appendLines('ABC', ['⛔ Cancelled by Alice Archivist before any worker started it']);
    // endUnfinished's two steps, with a page connecting between them.
    const log = `ABC-${stamp()}.log`;
    await rename(t.status.streamPath('ABC'), join(t.statusDir, log));
    const reader = await openEvents(`${t.url}/distill/ABC/events`, { user: ALICE.email });
    await sleep(300);
    const cancelled: RunRecord = { ...running(request), state: 'cancelled', reason: 'Cancelled by Alice Archivist', finishedAt: new Date().toISOString(), log };
    await writeFile(join(t.statusDir, log.replace(/\.log$/, '.json')), JSON.stringify(cancelled));
    const events = await reader.ended;
    expect(lineTexts(events)).toEqual(['⛔ Cancelled by Alice Archivist before any worker started it']);
    expect(recordsOf(events).at(-1)).toMatchObject({ state: 'cancelled', log });
    expect(JSON.parse(events.at(-1)!.data)).toEqual({ reason: 'finished', log });
  });

  it('ends at once for a collection with no run', async () => {
    t = await startTestWeb();
    const events = await readEvents(`${t.url}/distill/NOTHING/events`, { user: ALICE.email });
    expect(events).toEqual([{ event: 'end', data: JSON.stringify({ reason: 'none' }) }]);
  });

  it('tells the watchers when the stream vanishes without an archived log', async () => {
    t = await startTestWeb({ follow: { graceTicks: 3 } });
    await queued(t);
    await t.status.appendLines('ABC', ['🟢', '❌ something removed the stream']);
    const reader = await openEvents(`${t.url}/distill/ABC/events`, { user: ALICE.email });
    await reader.waitFor(countLines(2));
    await rm(t.status.streamPath('ABC'));
    await rm(t.status.recordPath('ABC'));
    const events = await reader.ended;
    expect(lineTexts(events)).toEqual(['🟢', '❌ something removed the stream']);
    expect(JSON.parse(events.at(-1)!.data)).toEqual({ reason: 'gone' });
  });

  it('keeps a carriage return inside a line from splitting the event', async () => {
    t = await startTestWeb();
    await queued(t);
    await appendFile(t.status.streamPath('ABC'), 'before\rafter\ndata: forged\n');
    const events = await readEvents(`${t.url}/distill/ABC/events`, { user: ALICE.email, done: countLines(2) });
    expect(lineTexts(events)).toEqual(['before\rafter', 'data: forged']);
  });

  it('survives a restart of the web process: the new one resumes from the last line seen', async () => {
    t = await startTestWeb();
    await queued(t);
    await t.status.appendLines('ABC', ['🟢', 'before restart']);
    const first = await readEvents(`${t.url}/distill/ABC/events`, { user: ALICE.email, done: countLines(2) });
    const lastId = first.filter((e) => e.event === 'line').at(-1)!.id!;
    await t.web.close();
    await t.status.appendLines('ABC', ['while the web was down']);
    const again = await startWeb({
      web: { host: '127.0.0.1', port: 0, usersFile: t.usersFile, identity: 'header', identityHeader: 'x-remote-user', trustedProxies: ['127.0.0.1'], sessionSecret: 'another-secret-0123456789', logoutUrl: '/', secureCookies: false },
      statusFiles: t.statusDir,
      modules: {},
      logger: pino({ level: 'silent' }),
      follow: { pollMs: 100 },
    });
    try {
      const events = await readEvents(`${again.url}/distill/ABC/events`, { user: ALICE.email, lastEventId: lastId, done: countLines(1) });
      expect(lineTexts(events)).toEqual(['while the web was down']);
    } finally {
      await again.close();
    }
  });
});

describe('status events: deltas', () => {
  /** A running record of `n` folders of 10 images, every folder's conversion done. */
  function big(request: RunRequest, n: number): RunRecord {
    const at = new Date().toISOString();
    const folders = Array.from({ length: n }, (_, i) => ({
      name: `ABC_${String(i + 1).padStart(4, '0')}_01`,
      images: 10,
      steps: {
        metadata: { state: 'done' as const, at, where: { aspace: { archivalObject: `https://aspace.example.edu/resolve/readonly?uri=/repositories/2/archival_objects/${i}`, digitalObject: `https://aspace.example.edu/resolve/readonly?uri=/repositories/2/digital_objects/${i}` } } },
        convert: { state: 'done' as const, at, counts: { images: 10, bytes: 123_456_789 } },
      },
    }));
    return running(request, {
      steps: [
        { name: 'metadata', title: 'Look up ArchivesSpace', state: 'done' },
        { name: 'convert', title: 'Convert to JPEG 2000', state: 'running', progress: { done: n * 10, total: 10_000 } },
        { name: 'package', title: 'Package', state: 'pending' },
      ],
      folders,
    });
  }

  /** Bytes of the events after the first `skip`, as sent (event, id and data lines). */
  const bytesOf = (events: SseEvent[]) => events.reduce((n, e) => n + Buffer.byteLength(`event: ${e.event}\nid: ${e.id ?? ''}\ndata: ${e.data}\n\n`), 0);

  it('sends a change as what changed: the bytes per change stay the same as the record grows to 10,000 files', async () => {
    t = await startTestWeb();
    const request = await queued(t);
    await t.status.appendFileResults('ABC', Array.from({ length: 10_000 }, (_, i) => ({ step: 'convert', path: `ABC_${String(Math.floor(i / 10) + 1).padStart(4, '0')}_01/ABC_${i}.tif`, outcome: 'done' as const })));
    const reader = await openEvents(`${t.url}/distill/ABC/events`, { user: ALICE.email });
    await reader.waitFor(hasState('queued'));
    const sizes: { folders: number; bytes: number; whole: number }[] = [];
    for (const n of [10, 100, 1000]) {
      // The record grows (more folders), then one folder's package result arrives.
      const grown = big(request, n);
      await t.status.writeRecord(grown);
      await reader.waitFor((ev) => recordsOf(ev).at(-1)?.folders?.length === n);
      const before = reader.events.length;
      const changed = structuredClone(grown);
      changed.folders![n - 1].steps.package = { state: 'done', at: new Date().toISOString(), where: { ocfl: { objectId: `ark:/ABC_${n}`, version: 'v1' } } };
      changed.steps[1].progress = { done: n * 10 + 1, total: 10_000 };
      await t.status.writeRecord(changed);
      const events = await reader.waitFor((ev) => recordsOf(ev).at(-1)?.folders?.[n - 1].steps.package?.state === 'done');
      const update = events.slice(before);
      // The page's copy, built from the whole record once and deltas since, is the record on disk.
      expect(recordsOf(events).at(-1)).toEqual(JSON.parse(JSON.stringify({ ...changed, files: undefined })));
      expect(update.map((e) => e.event)).toEqual(['delta']);
      sizes.push({ folders: n, bytes: bytesOf(update), whole: Buffer.byteLength(JSON.stringify(changed)) });
    }
    reader.close();
    // The whole record grew a hundredfold; what one change costs to send did not.
    expect(sizes[2].whole).toBeGreaterThan(100 * 1024);
    for (const s of sizes) expect(s.bytes, JSON.stringify(sizes)).toBeLessThan(2 * 1024);
    expect(Math.abs(sizes[2].bytes - sizes[0].bytes), JSON.stringify(sizes)).toBeLessThan(64);
  });

  it('resumes after a reconnect with Last-Event-ID: only the changes missed, not the whole record again', async () => {
    t = await startTestWeb();
    const request = await queued(t);
    await t.status.appendLines('ABC', ['🟢']);
    const url = `${t.url}/distill/ABC/events`;
    const first = await openEvents(url, { user: ALICE.email });
    await first.waitFor(countLines(1));
    await t.status.writeRecord(running(request));
    await first.waitFor(hasState('running'));
    first.close();
    const lastId = first.events.at(-1)!.id!;
    expect(lastId).toMatch(/^\d+\.[0-9a-f]+\.\d+$/);
    // While the page was away: a line, and a folder's result.
    const next = running(request, { folders: [{ name: 'ABC_001_01', images: 3, steps: { convert: { state: 'failed', why: 'ABC_001_01_0002.tif: not a TIFF', at: new Date().toISOString() } } }] });
    await t.status.appendLines('ABC', ['while away']);
    await t.status.writeRecord(next);
    const again = await readEvents(url, { user: ALICE.email, lastEventId: lastId, done: (ev) => ev.some((e) => e.event === 'delta') && countLines(1)(ev) });
    expect(lineTexts(again)).toEqual(['while away']);
    expect(again.filter((e) => e.event === 'state')).toEqual([]);
    const held = recordsOf([...first.events, ...again]).at(-1);
    expect(held?.folders).toEqual(next.folders);
    // An id from another follower (a restarted web process) gets the whole record.
    const stranger = await readEvents(url, { user: ALICE.email, lastEventId: lastId.replace(/\.[0-9a-f]+\./, '.deadbeef.'), done: (ev) => ev.some((e) => e.event === 'state') });
    expect(recordsOf(stranger).at(-1)?.folders).toEqual(next.folders);
  });
});

describe('RunFollowers', () => {
  it('polls once per collection however many watch it, and stops when the last one leaves', async () => {
    const { RunFollowers } = await import('../../src/web/follow.js');
    t = await startTestWeb();
    await queued(t);
    const followers = new RunFollowers(t.status, pino({ level: 'silent' }), { pollMs: 50 });
    const seen: string[][] = [[], [], []];
    const stops = seen.map((s) => followers.follow('ABC', 0, (e) => { if (e.type === 'line') s.push(e.text); }));
    expect(followers.pollers).toBe(1);
    await t.status.appendLines('ABC', ['shared']);
    await expect.poll(() => seen, { timeout: 15_000 }).toEqual([['shared'], ['shared'], ['shared']]);
    stops.forEach((stop) => stop());
    expect(followers.pollers).toBe(0);
    followers.close();
  });
});
