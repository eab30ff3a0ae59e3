/**
 * The status page's event stream. The test plays the worker with the real StatusFolder
 * (appendLines, writeRecord, archive) on a real folder, and reads the events over HTTP.
 */
import { appendFile, rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord, RunRequest } from '../../src/runs/types.js';
import { startWeb } from '../../src/web/server.js';
import { pino } from 'pino';
import { ALICE, lineTexts, openEvents, readEvents, startTestWeb, type SseEvent, type TestWeb } from './helpers.js';

let t: TestWeb | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const countLines = (n: number) => (events: SseEvent[]) => lineTexts(events).length >= n;
const hasState = (state: string) => (events: SseEvent[]) =>
  events.some((e) => e.event === 'state' && (JSON.parse(e.data) as RunRecord).state === state);

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
    const ids = lines.map((e) => Number(e.id));
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
    const states = events.filter((e) => e.event === 'state').map((e) => JSON.parse(e.data) as RunRecord);
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
    expect(events.filter((e) => e.event === 'state').map((e) => (JSON.parse(e.data) as RunRecord).state)).toEqual(['succeeded']);
    expect(JSON.parse(events.at(-1)!.data)).toEqual({ reason: 'finished', log });
    // The page itself still opens for the archived run.
    const page = await fetch(`${t.url}/distill/ABC`, { headers: { 'x-remote-user': ALICE.email } });
    expect(page.status).toBe(200);
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
