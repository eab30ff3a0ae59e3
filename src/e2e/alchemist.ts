/**
 * `distillery alchemist --once` as a child process, and the crash: SIGKILL to the child's whole
 * process group (node and the tools it runs: opj_compress, exiftool, tar and the rmt link, ssh) at
 * a moment chosen from the run's own status stream, as when the worker's machine loses power.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BIN, type E2EStack } from './stack.js';

/** The phases a crash is aimed at, each found by the line the run writes as it enters it. */
export const PHASES = {
  conversion: { pattern: /⏳ Converting /u, maxDelayMs: 1500 },
  /** The commit of a folder's OCFL version follows its last converted image at once. */
  'ocfl install': { pattern: /✅ Successfully converted .*\[image (\d+)\/\d+\]/u, maxDelayMs: 60 },
  /** An 8 MB upload to a local server takes a few hundred milliseconds. */
  'multipart upload': { pattern: /☁️ Sending /u, maxDelayMs: 250 },
  'tape write': { pattern: /📼 Writing tape file /u, maxDelayMs: 500 },
  'ArchivesSpace writes': { pattern: /📝 Recorded |📁 /u, maxDelayMs: 150 },
} as const;

/** Where a kill actually landed, read from the last line the run had written. */
export function landedIn(lastLine: string | undefined): string {
  const l = lastLine ?? '';
  if (/⏳ Converting |✅ Successfully converted |♻️ /u.test(l)) return 'conversion';
  if (/📦 |🔏 /u.test(l)) return 'ocfl install';
  if (/☁️ Sending |🧹 Aborted/u.test(l)) return 'multipart upload';
  if (/📼 Writing tape file |🔎 Reading tape file /u.test(l)) return 'tape write';
  if (/📝 Recorded |📁 |🗃️ /u.test(l)) return 'ArchivesSpace writes';
  if (/Making access copies|Published|Islandora/u.test(l)) return 'access';
  return 'other';
}
export type Phase = keyof typeof PHASES;
export const PHASE_NAMES = Object.keys(PHASES) as Phase[];

export interface KillPlan {
  collectionId: string;
  phase: Phase;
  /** Which matching line (1-based) starts the countdown. */
  occurrence: number;
  delayMs: number;
}

export interface PassOutcome {
  killed: boolean;
  /** The line after which the kill was aimed, when it was delivered. */
  killedAfter?: string;
  /** The last line the run had written when it was killed. */
  lastLine?: string;
  exitCode: number | null;
  ms: number;
  output: string;
}

/** One `alchemist --once` pass; with a plan, killed at the planned moment (if the run reaches it). */
export async function alchemistPass(stack: E2EStack, kill?: KillPlan): Promise<PassOutcome> {
  if (interrupted) throw new Error('the session was interrupted');
  const started = Date.now();
  const pass = spawnPass(stack);
  const { child, exited } = pass;
  let done = false;
  let killedAfter: string | undefined;
  let killed = false;
  let lastLine: string | undefined;
  const watcher = kill
    ? (async () => {
        const stream = join(stack.statusDir, `${kill.collectionId}-processing`);
        const { pattern, maxDelayMs } = PHASES[kill.phase];
        while (!done) {
          const text = await readFile(stream, 'utf8').catch(() => '');
          const hits = text.split('\n').filter((l) => pattern.test(l));
          if (hits.length >= kill.occurrence) {
            killedAfter = hits[kill.occurrence - 1];
            await sleep(Math.min(kill.delayMs, maxDelayMs));
            if (done) return;
            try {
              process.kill(-child.pid!, 'SIGKILL');
              killed = true;
              lastLine = (await readFile(stream, 'utf8').catch(() => '')).trimEnd().split('\n').at(-1);
            } catch {
              /* it ended on its own just now */
            }
            return;
          }
          await sleep(50);
        }
      })()
    : Promise.resolve();
  const exitCode = await exited;
  done = true;
  await watcher;
  // Whatever of the group outlived the leader (a tool mid-write) goes too: a crash leaves nothing running.
  killGroup(child.pid!);
  running.delete(child.pid!);
  return { killed: killed && exitCode === null, killedAfter: killed ? killedAfter : undefined, lastLine, exitCode, ms: Date.now() - started, output: pass.output() };
}

export interface RunningPass {
  child: ChildProcess;
  exited: Promise<number | null>;
  /** The last 20 000 characters it wrote (its log). */
  output(): string;
}

/**
 * Starts `distillery alchemist --once` in its own process group (so a kill, a SIGSTOP or a SIGCONT
 * reaches the tools it started), with extra settings in its environment (e.g. another worker name).
 */
export function spawnPass(stack: E2EStack, env: NodeJS.ProcessEnv = {}): RunningPass {
  if (interrupted) throw new Error('the session was interrupted');
  const child = spawn(process.execPath, [BIN, 'alchemist', '--once'], { env: { ...stack.childEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-20_000)));
  child.stderr!.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-20_000)));
  running.add(child.pid!);
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => {
    running.delete(child.pid!);
    ok(code);
  }));
  return { child, exited, output: () => output };
}

/** Process groups of the passes under way (stopped when the session is interrupted). */
const running = new Set<number>();
/** Once interrupted, no pass starts again. */
let interrupted = false;

export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    /* the group is gone */
  }
}

/** Ends every pass under way with its tools (Ctrl-C on the session). */
export function killRunningPasses(): void {
  interrupted = true;
  for (const pid of running) killGroup(pid);
  running.clear();
}

function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}
