/**
 * The one way Distillery runs another program: an argument array (never a shell string), the run's
 * abort signal, a time-out from a named policy (src/policies.ts), optional exit-code handling and
 * line-by-line streaming of its output. A stopped or timed-out tool is killed with every process it
 * started (frozen first, so none escapes by forking), and the message names the tool, the host it
 * works on and the setting that changes the time-out.
 *
 * Tools stay in Distillery's own process group, so stopping Distillery's group (Ctrl-C, a service
 * manager, `kill -- -PGID`) stops them too.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { basename } from 'node:path';
import { descendantsOf, processTable } from './osProcess.js';
import { PermanentError, timeoutAdvice, type RetryPolicy } from './policies.js';

export interface ChildOptions {
  /** The tool's name in messages (default: the command's file name). */
  tool?: string;
  /** Where the tool does its work, for messages: a server or device (default: this machine). */
  host?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The run's stop signal: the tool is killed when it aborts. */
  signal?: AbortSignal;
  /** The time-out policy; without one the tool may run as long as it likes (only for tests and local quick tools). */
  policy?: RetryPolicy;
  /** 'fail' (default): a non-zero exit rejects with ChildProcessError; 'return': resolves with the code. */
  exit?: 'fail' | 'return';
  /** Each complete stdout line as it arrives (then stdout is not collected). */
  onStdoutLine?: (line: string) => void;
  /** Each complete stderr line as it arrives (stderr is still collected, less lines `keepStderr` refuses). */
  onStderrLine?: (line: string) => void;
  keepStderr?: (line: string) => boolean;
  /** What the message says to check when the tool fails for no reason it gave (e.g. free space). */
  hint?: string;
}

export interface ChildResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type ChildFailure = 'missing' | 'timeout' | 'stopped' | 'exit';

export class ChildProcessError extends Error {
  override readonly name = 'ChildProcessError';
  constructor(
    message: string,
    readonly kind: ChildFailure,
    readonly tool: string,
    readonly result?: ChildResult,
  ) {
    super(message);
  }
}

/** Output kept per stream: the tail is where tools put their errors. */
const KEEP_BYTES = 16 * 1024 * 1024;
/**
 * How long a killed tool has to close its pipes before the promise settles anyway. Its whole tree
 * is killed, so only a process outside it still holds them: a shared SSH connection (ssh's
 * ControlMaster) keeps a killed ssh's pipes until the remote command ends.
 */
const CLOSE_GRACE_MS = 1_000;

export function runChild(command: string, args: readonly string[], opts: ChildOptions = {}): Promise<ChildResult> {
  const tool = opts.tool ?? basename(command);
  const where = opts.host ? ` on ${opts.host}` : '';
  return new Promise((resolve, reject) => {
    if (opts.signal?.aborted) return reject(stoppedError(tool, where, opts.signal));
    const child = spawn(command, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let outRest = '';
    let errRest = '';
    let ending: ChildProcessError | undefined;
    let settled = false;
    const keep = (s: string) => (s.length > KEEP_BYTES ? s.slice(-KEEP_BYTES) : s);

    const finish = (err: Error | undefined, result?: ChildResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(grace);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(result!);
    };
    let grace: NodeJS.Timeout | undefined;
    const stop = (why: ChildProcessError) => {
      if (ending || settled) return;
      ending = why;
      void killTree(child.pid);
      // A grandchild holding the pipes open must not keep the caller waiting.
      grace = setTimeout(() => finish(why), CLOSE_GRACE_MS);
    };
    const onAbort = () => stop(stoppedError(tool, where, opts.signal!));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = opts.policy
      ? setTimeout(
          () => stop(new ChildProcessError(`${tool}${where} did not finish in time and was stopped ${timeoutAdvice(opts.policy!)}.${opts.hint ? ` ${opts.hint}` : ''}`, 'timeout', tool)),
          opts.policy.timeoutMs,
        )
      : undefined;

    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      if (!opts.onStdoutLine) return void (stdout = keep(stdout + s));
      outRest += s;
      const lines = outRest.split('\n');
      outRest = lines.pop() ?? '';
      for (const l of lines) opts.onStdoutLine(l);
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      errRest += s;
      const lines = errRest.split('\n');
      errRest = lines.pop() ?? '';
      for (const l of lines) {
        opts.onStderrLine?.(l);
        if (!opts.keepStderr || opts.keepStderr(l)) stderr = keep(`${stderr}${l}\n`);
      }
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        finish(new ChildProcessError(`${tool} (${command}) is not installed or not on PATH: install it or set its path in settings.ini.`, 'missing', tool));
      } else finish(err);
    });
    child.on('close', (code, sig) => {
      if (outRest && opts.onStdoutLine) opts.onStdoutLine(outRest);
      if (errRest) stderr += errRest;
      const result: ChildResult = { code: code ?? 128 + signalNumber(sig), stdout, stderr: stderr.trim() };
      if (ending) return finish(new ChildProcessError(ending.message, ending.kind, tool, result));
      if (result.code !== 0 && opts.exit !== 'return') {
        const detail = lastLines(`${result.stderr}\n${result.stdout}`) || (sig ? `killed by ${sig}` : 'no message');
        return finish(new ChildProcessError(`${tool}${where} failed (exit ${code ?? sig}): ${detail}${opts.hint ? ` ${opts.hint}` : ''}`, 'exit', tool, result));
      }
      finish(undefined, result);
    });
  });
}

function stoppedError(tool: string, where: string, signal: AbortSignal): ChildProcessError {
  const reason: unknown = signal.reason;
  const why = reason instanceof Error && reason.name !== 'AbortError' ? `: ${reason.message}` : '';
  return new ChildProcessError(`${tool}${where} was stopped because the run was stopped${why}`, 'stopped', tool);
}

/** True for errors that say the run was stopped (so no retry, no "failed" advice). */
export function isStopped(err: unknown): boolean {
  return err instanceof ChildProcessError && err.kind === 'stopped';
}

/**
 * Kills `pid` and every process below it: each is stopped (SIGSTOP) as it is found, so none can
 * fork a new one meanwhile, then all are killed with SIGKILL.
 */
export async function killTree(pid: number | undefined): Promise<void> {
  if (!pid) return;
  const found = new Set<number>([pid]);
  signal(pid, 'SIGSTOP');
  for (let round = 0; round < 5; round++) {
    const table = await processTable();
    const below = descendantsOf(pid, table).map((p) => p.pid).filter((p) => !found.has(p));
    if (below.length === 0) break;
    for (const p of below) {
      found.add(p);
      signal(p, 'SIGSTOP');
    }
  }
  for (const p of found) signal(p, 'SIGKILL');
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

function signalNumber(sig: NodeJS.Signals | null): number {
  return sig ? (constants.signals[sig] ?? 1) : 0;
}

/** The last few meaningful lines of a tool's chatter: where the error usually is. */
export function lastLines(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !/^\[INFO\]/.test(l)).slice(-3).join('; ');
}

/** A PermanentError for a tool failure that a retry cannot mend (bad input, a missing tool). */
export function permanent(err: unknown): unknown {
  return err instanceof ChildProcessError && (err.kind === 'exit' || err.kind === 'missing') ? new PermanentError(err.message, { cause: err }) : err;
}
