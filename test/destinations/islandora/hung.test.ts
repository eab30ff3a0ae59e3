/**
 * The Islandora server when it hangs or is slow, with real parts: a real OpenSSH server and rsync
 * on loopback (test/support/sshd.ts) and the drush stand-in (src/destinations/islandora/standin).
 *
 * - rsync that never exits (the server's rsync stalls, as on a hung mount): each attempt is
 *   stopped at TRANSFER_TIMEOUT with its ssh, retried, then the step fails naming rsync, the host
 *   and the setting; nothing is ingested.
 * - `drush islandora_batch_ingest` slower than REMOTE_COMMAND_TIMEOUT that still finishes on the
 *   server: the client gives up, looks the book up before trying again, finds it, and does not run
 *   the ingest a second time — one ingest run, one book, one object per page.
 */
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { PreparedFolder } from '../../../src/destinations/destination.js';
import { IslandoraDestination, type IslandoraSettings } from '../../../src/destinations/islandora/index.js';
import { policies } from '../../../src/policies.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { startSshd, type SshdHandle } from '../../support/sshd.js';
import { accessRun, countingAspace, lettersFolder, standinSettings } from './fixtures.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';

let sshd: SshdHandle;
let work: string;
let folder: PreparedFolder;


const settings = (): IslandoraSettings => standinSettings(sshd, work);

const runScope = (reporter: MemoryReporter) => accessRun(countingAspace(), reporter);
interface StandinState {
  objects: Record<string, { isPageOf?: string; models: string[] }>;
  sets: Record<string, { kind: string; items: { pid: string }[] }>;
  ingestRuns?: { set: string; ingested: string[] }[];
}
const state = async (): Promise<StandinState> => JSON.parse(await readFile(join(sshd.home, '.islandora-standin', 'state.json'), 'utf8'));

/** Local processes whose command line mentions `text` (what is left running of a call). */
async function localProcesses(text: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => '');
    if (!stat || / Z /.test(stat.slice(stat.lastIndexOf(')')))) continue;
    const cmd = (await readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ');
    if (cmd.includes(text)) out.push(`${p} ${cmd}`);
  }
  return out;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'distillery-islandora-hung-'));
  sshd = await startSshd();
  folder = await lettersFolder(work, [{ text: 'One page', kind: 'rgb8' }, { text: 'Another page', kind: 'rgb8' }]);
}, 120_000);

const saved = { transfer: policies.transfer.timeoutMs, remoteCommand: policies.remoteCommand.timeoutMs };
afterEach(async () => {
  policies.transfer.timeoutMs = saved.transfer;
  policies.remoteCommand.timeoutMs = saved.remoteCommand;
  await rm(join(sshd.home, 'bin', 'rsync'), { force: true });
});

afterAll(async () => {
  await sshd?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

it('rsync that never exits (here the first, of the collection\'s metadata): each attempt is stopped at TRANSFER_TIMEOUT with its ssh, retried, then the step fails naming rsync, the host and the setting', async () => {
  // The server's rsync starts and never answers (a stalled mount on the Islandora host).
  const seen = join(sshd.home, 'rsync-started');
  await writeFile(join(sshd.home, 'bin', 'rsync'), `#!/bin/sh\necho "$$" >> ${seen}\nexec sleep 600\n`, { mode: 0o755 });
  policies.transfer.timeoutMs = 1_500;
  const reporter = new MemoryReporter();
  const started = Date.now();
  const err = await new IslandoraDestination(settings()).deliver(runScope(reporter), folder).catch((e: unknown) => e);
  expect(Date.now() - started).toBeLessThan(90_000);
  const label = `${sshd.user}@${sshd.host}:${sshd.port}`;
  expect((err as Error).message).toContain(`Sending the collection metadata with rsync (on ${label}) did not answer in time and was stopped (time-out 1.5 s, transfer policy; if it needs longer, raise TRANSFER_TIMEOUT in settings.ini).`);
  expect((err as Error).message).toContain(`(gave up after ${policies.transfer.attempts} attempts, transfer policy)`);
  expect(reporter.lines.filter((l) => l.startsWith('🔁 Sending the collection metadata with rsync failed'))).toHaveLength(policies.transfer.attempts - 1);
  // The fault fired: the server's rsync was reached once per attempt.
  expect((await readFile(seen, 'utf8')).trim().split('\n')).toHaveLength(policies.transfer.attempts);
  // Nothing of the call is left running here: rsync and its ssh were killed with it.
  await new Promise((r) => setTimeout(r, 300));
  expect(await localProcesses(join(work, 'access'))).toEqual([]);
  // Nothing was ingested (the collection's metadata goes first, and it never arrived).
  expect(Object.keys((await state().catch(() => ({ objects: {} }))).objects)).toEqual([]);
}, 180_000);

it('an ingest slower than REMOTE_COMMAND_TIMEOUT that finishes on the server: looked up before the retry, found, not ingested again', async () => {
  await mkdir(join(sshd.home, '.islandora-standin'), { recursive: true });
  await writeFile(join(sshd.home, '.islandora-standin', 'faults.json'), JSON.stringify([{ fault: 'slow-ingest', kind: 'book_batch', seconds: 10 }]));
  policies.remoteCommand.timeoutMs = 4_000;
  const reporter = new MemoryReporter();
  await new IslandoraDestination(settings()).deliver(runScope(reporter), folder);
  // The fault fired: the ingest ran slow and the client gave up on it.
  const fired = JSON.parse(await readFile(join(sshd.home, '.islandora-standin', 'fired.json'), 'utf8')) as { fault: string }[];
  expect(fired.map((f) => f.fault)).toEqual(['slow-ingest']);
  expect(reporter.lines.filter((l) => l.startsWith(`🔁 Ingesting the book failed (Ingesting the book (on ${sshd.user}@${sshd.host}:${sshd.port}) did not answer in time and was stopped (time-out 4 s, remote command policy; if it needs longer, raise REMOTE_COMMAND_TIMEOUT in settings.ini).`))).toHaveLength(1);
  expect(reporter.lines.some((l) => /^↩️ HBF:HBF_001_01 is in Islandora: the interrupted ingest of set \d+ finished on the server, so it is not ingested again\.$/.test(l))).toBe(true);
  // One ingest run of the book's set; one book, one object per page, each ingested once.
  const s = await state();
  const bookSets = Object.entries(s.sets).filter(([, set]) => set.kind === 'book_batch').map(([id]) => id);
  const runs = (s.ingestRuns ?? []).filter((r) => bookSets.includes(r.set));
  expect(runs).toHaveLength(1);
  expect(Object.keys(s.objects).filter((p) => p === 'HBF:HBF_001_01')).toHaveLength(1);
  expect(Object.values(s.objects).filter((o) => o.isPageOf === 'HBF:HBF_001_01')).toHaveLength(2);
  const everyIngest = (s.ingestRuns ?? []).flatMap((r) => r.ingested);
  expect(new Set(everyIngest).size).toBe(everyIngest.length);
  expect(reporter.lines.some((l) => l.startsWith('✅ Published HBF_001_01'))).toBe(true);
}, 180_000);
