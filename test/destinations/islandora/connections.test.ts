/**
 * The Islandora server's commands share one SSH connection, with real parts: a real OpenSSH
 * server on loopback (test/support/sshd.ts), the drush stand-in and rsync. Counted on the server
 * (sshd's own log of accepted log-ins): one folder's delivery — look-up, rsync, batch preprocess,
 * ingest and read-back, about twenty commands — logs in once, not once per command. A shared
 * connection never lets another key or host-key file in, and one that died is replaced.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PreparedFolder } from '../../../src/destinations/destination.js';
import { IslandoraDestination } from '../../../src/destinations/islandora/index.js';
import { SshError, SshTarget, type SshOptions } from '../../../src/destinations/islandora/ssh.js';
import { policies } from '../../../src/policies.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { startSshd, type SshdHandle } from '../../support/sshd.js';
import { accessRun, countingAspace, lettersFolder, standinSettings } from './fixtures.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';
const run = promisify(execFile);

let sshd: SshdHandle;
let work: string;
let folder: PreparedFolder;


const runScope = (reporter: MemoryReporter) => accessRun(countingAspace(), reporter);

/** Log-ins the server accepted so far (sshd logs one line per authenticated connection). */
async function logins(): Promise<number> {
  const log = await readFile(join(sshd.dir, `sshd-${sshd.port}.log`), 'utf8');
  return log.split('\n').filter((l) => l.includes('Accepted publickey')).length;
}

const options = (over: Partial<SshOptions> = {}): SshOptions => ({ ...standinSettings(sshd, work).ssh, ...over });

/** The pid of the shared connection's process, as ssh's own control command reports it. */
async function sharedConnectionPid(o: SshOptions): Promise<number | undefined> {
  const path = (new SshTarget(o) as unknown as { controlPath?: string }).controlPath;
  expect(path).toBeTruthy();
  const r = await run('ssh', ['-o', `ControlPath=${path}`, '-O', 'check', `${o.user}@${o.host}`]).catch((e: { stderr: string }) => ({ stderr: e.stderr }));
  const m = /Master running \(pid=(\d+)\)/.exec(r.stderr);
  return m ? Number(m[1]) : undefined;
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'distillery-islandora-conn-'));
  sshd = await startSshd();
  folder = await lettersFolder(work, [{ text: 'One page', kind: 'rgb8' }, { text: 'Another page', kind: 'rgb8' }]);
}, 120_000);

afterAll(async () => {
  const pid = sshd && (await sharedConnectionPid(options()).catch(() => undefined));
  if (pid) process.kill(pid);
  await sshd?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

it('one folder delivered to Islandora logs in to the server once, not once per command', async () => {
  const before = await logins();
  const reporter = new MemoryReporter();
  await new IslandoraDestination(standinSettings(sshd, work)).deliver(runScope(reporter), folder);
  expect(reporter.lines.some((l) => l.startsWith('✅ Published HBF_001_01'))).toBe(true);
  // Without sharing every command (look-ups, mktemp, rsync, drush, tail, rm) logged in: about 20.
  expect(await logins() - before).toBe(1);
  expect(await sharedConnectionPid(options())).toBeGreaterThan(0);
}, 180_000);

it('a shared connection never lets in another key, or a host key the configured known_hosts lacks', async () => {
  // A connection made with the right key and known_hosts is open …
  expect((await new SshTarget(options()).run(['true'], { policy: policies.remoteLookup })).code).toBe(0);
  expect(await sharedConnectionPid(options())).toBeGreaterThan(0);
  // … and a key the server does not know is still refused.
  const other = join(work, 'other_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
  const refused = await new SshTarget(options({ keyPath: other })).run(['true'], { policy: policies.remoteLookup }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(SshError);
  expect((refused as Error).message).toMatch(/refused the key/);
  const empty = join(work, 'empty_known_hosts');
  await run('touch', [empty]);
  const unknown = await new SshTarget(options({ knownHostsPath: empty })).run(['true'], { policy: policies.remoteLookup }).catch((e: unknown) => e);
  expect((unknown as Error).message).toMatch(/is not in the known_hosts file/);
}, 60_000);

it('a shared connection that died is replaced: the next command logs in again and succeeds', async () => {
  const o = options();
  expect((await new SshTarget(o).run(['true'], { policy: policies.remoteLookup })).code).toBe(0);
  const pid = await sharedConnectionPid(o);
  expect(pid).toBeGreaterThan(0);
  process.kill(pid!, 'SIGKILL');
  const before = await logins();
  const r = await new SshTarget(o).run(['echo', 'still here'], { policy: policies.remoteLookup });
  expect(r).toMatchObject({ code: 0, stdout: 'still here\n' });
  expect(await logins() - before).toBe(1);
  const again = await sharedConnectionPid(o);
  expect(again).toBeGreaterThan(0);
  expect(again).not.toBe(pid);
}, 60_000);

it('a shared connection with no session left (commands stopped here still run on the server): the command runs on its own connection', async () => {
  const o = options();
  const target = new SshTarget(o);
  expect((await target.run(['true'], { policy: policies.remoteLookup })).code).toBe(0);
  // sshd allows 10 sessions per connection (MaxSessions); ten commands stopped here whose remote
  // side goes on running hold them all.
  const marker = join(sshd.home, 'held');
  const stop = new AbortController();
  const held = Array.from({ length: 10 }, () => target.run(['sh', '-c', `echo "$$" >> ${marker}; exec sleep 120`], { policy: policies.remoteLookup, signal: stop.signal }).catch(() => undefined));
  const deadline = Date.now() + 20_000;
  const count = async () => (await readFile(marker, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
  while ((await count()) < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(await count()).toBe(10);
  stop.abort();
  await Promise.all(held);
  // The fault is in place: a command over the shared connection alone is refused a session.
  const path = (target as unknown as { controlPath: string }).controlPath;
  const direct = await run('ssh', ['-o', `ControlPath=${path}`, '-o', 'ControlMaster=no', '-o', 'BatchMode=yes', '-p', String(o.port), `${o.user}@${o.host}`, 'true']).then(() => '', (e: { stderr: string }) => e.stderr);
  expect(direct).toMatch(/^mux_client_request_session: session request failed/m);
  const before = await logins();
  const r = await target.run(['echo', 'on its own'], { policy: policies.remoteLookup });
  expect(r).toMatchObject({ code: 0, stdout: 'on its own\n' });
  expect(await logins() - before).toBe(1);
  // rsync too.
  const src = join(work, 'to-send');
  await run('mkdir', ['-p', src]);
  await run('sh', ['-c', `echo hello > ${src}/a.txt`]);
  await target.rsync(src, join(sshd.home, 'tmp'), { policy: policies.transfer });
  expect(await readFile(join(sshd.home, 'tmp', 'to-send', 'a.txt'), 'utf8')).toBe('hello\n');
  // The held commands' remote side (each sh exec'd into its sleep, same pid) ends here.
  for (const pid of (await readFile(marker, 'utf8')).split('\n').filter(Boolean)) process.kill(Number(pid));
}, 90_000);

it('a command whose shared connection is lost while it runs fails as a lost connection a retry may help with, not as the command\'s own exit 255', async () => {
  const o = options();
  const target = new SshTarget(o);
  expect((await target.run(['true'], { policy: policies.remoteLookup })).code).toBe(0);
  const running = target.run(['sh', '-c', 'sleep 3; echo done'], { policy: policies.remoteLookup }).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 500));
  const pid = await sharedConnectionPid(o);
  expect(pid).toBeGreaterThan(0);
  process.kill(pid!, 'SIGKILL');
  const err = await running;
  expect(err).toBeInstanceOf(SshError);
  expect(err).toMatchObject({ retryable: true });
  expect((err as Error).message).toMatch(/^SSH to \S+ failed: exit 255 with no message\. A retry may help\.$/);
}, 60_000);
