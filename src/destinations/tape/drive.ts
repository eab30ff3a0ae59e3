/**
 * The tape drive as mt and tar see it: every operation is a child process with an argument array
 * (GNU tar / mt, locally or through rmt for `host:` devices). Errors carry mt's or tar's own
 * message and a kind, so the destination can say what to do (load a tape, remove write protect…).
 * A drive bound to a run (`forRun`) passes the run's stop signal to every mt and tar it runs; every
 * one has a time-out from src/policies.ts.
 */
import { ChildProcessError, runChild, type ChildResult } from '../../childProcess.js';
import { policies, type RetryPolicy } from '../../policies.js';
import { isRemoteDevice } from './settings.js';

export interface DriveOptions {
  device: string;
  mtCommand: string;
  tarCommand: string;
  rshCommand?: string;
  blockingFactor: number;
}

export type TapeErrorKind = 'busy' | 'no-tape' | 'write-protected' | 'end-of-tape' | 'media' | 'not-found' | 'timeout' | 'stopped' | 'other';

export class TapeCommandError extends Error {
  override readonly name = 'TapeCommandError';
  constructor(
    readonly kind: TapeErrorKind,
    readonly command: string,
    readonly output: string,
    message: string,
  ) {
    super(message);
  }
}

/** Reads which fault a drive reported from mt's or tar's message (Linux strerror texts). */
export function classify(output: string): TapeErrorKind {
  if (/Device or resource busy/i.test(output)) return 'busy';
  if (/No medium found/i.test(output)) return 'no-tape';
  if (/Read-only file system|write[- ]protected/i.test(output)) return 'write-protected';
  if (/No space left on device/i.test(output)) return 'end-of-tape';
  if (/Input\/output error/i.test(output)) return 'media';
  if (/ENOENT|No such file or directory|command not found/i.test(output)) return 'not-found';
  return 'other';
}

export type RunResult = ChildResult;

export interface RunOptions {
  /** Each complete stderr line as it arrives (tar checkpoints). */
  onStderrLine?: (line: string) => void;
  /** Each complete stdout line as it arrives. */
  onStdoutLine?: (line: string) => void;
  /** The time-out policy (default: tape positioning for mt, tape transfer for tar). */
  policy?: RetryPolicy;
}

/**
 * mt's or tar's message without the lines that only say it gave up ("Error is not recoverable:
 * exiting now"), on one line: the cause is what the operator needs.
 */
export function tidy(output: string): string {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  const useful = lines.filter((l) => !/Error is not recoverable: exiting now|Exiting with failure status due to previous errors|Child returned status/.test(l));
  // tar repeats a read error once per retry: say it once, with how often.
  const counted: { line: string; n: number }[] = [];
  for (const l of useful.length ? useful : lines) {
    const last = counted[counted.length - 1];
    if (last?.line === l) last.n++;
    else counted.push({ line: l, n: 1 });
  }
  return counted.map((c) => (c.n > 1 ? `${c.line} (${c.n} times)` : c.line)).join('; ');
}

const CHECKPOINT = 'distillery-checkpoint';
function isCheckpoint(line: string): boolean {
  return line.includes(CHECKPOINT);
}

export class TapeDrive {
  readonly remote: boolean;
  constructor(
    readonly options: DriveOptions,
    /** The run's stop signal, for every command this drive runs. */
    readonly signal?: AbortSignal,
  ) {
    this.remote = isRemoteDevice(options.device);
  }

  /** The same drive, its commands stopped when `signal` aborts. */
  forRun(signal: AbortSignal | undefined, onBusy?: (output: string) => void, busyWaitMs?: number): TapeDrive {
    const d = new TapeDrive(this.options, signal);
    d.onBusy = onBusy;
    d.busyWaitMs = busyWaitMs;
    return d;
  }

  /** One mt or tar through the one child-process runner: exit codes are read here, a time-out or stop is a TapeCommandError. */
  private async command(cmd: string, args: string[], policy: RetryPolicy, opts: RunOptions = {}): Promise<RunResult> {
    try {
      return await runChild(cmd, args, {
        host: this.options.device,
        policy,
        signal: this.signal,
        exit: 'return',
        onStdoutLine: opts.onStdoutLine,
        onStderrLine: opts.onStderrLine,
        keepStderr: (l) => !isCheckpoint(l),
      });
    } catch (err) {
      if (!(err instanceof ChildProcessError)) throw err;
      if (err.kind === 'missing') throw new TapeCommandError('not-found', cmd, '', `${cmd} is not installed or not on PATH: install it (see docs/tape.md) or set its TAPE_*_CMD setting.`);
      throw new TapeCommandError(err.kind === 'timeout' ? 'timeout' : 'stopped', cmd, err.message, err.message);
    }
  }

  get device(): string {
    return this.options.device;
  }

  private rshArgs(): string[] {
    return this.remote && this.options.rshCommand ? [`--rsh-command=${this.options.rshCommand}`] : [];
  }

  /** tar options that name the tape: device, record size, remote shell. */
  tarDeviceArgs(): string[] {
    return [`--file=${this.options.device}`, `--blocking-factor=${this.options.blockingFactor}`, ...this.rshArgs(), ...(this.remote ? [] : ['--force-local'])];
  }

  /**
   * Runs one mt or tar, again while the drive refuses to open because another process still has it
   * open (EBUSY: st allows one open at a time; nothing was read or written), up to the drive lock's
   * wait (TAPE_DRIVE_LOCK_TIMEOUT); then the last result, whose `busy` kind the caller reports.
   */
  private async whileBusy(run: () => Promise<RunResult>, output: (r: RunResult) => string): Promise<RunResult> {
    const deadline = Date.now() + (this.busyWaitMs ?? policies.tapeDriveLock.timeoutMs);
    for (;;) {
      const r = await run();
      if (r.code === 0 || classify(output(r)) !== 'busy' || Date.now() >= deadline || this.signal?.aborted) return r;
      this.onBusy?.(tidy(output(r)));
      await new Promise((ok) => setTimeout(ok, 250 + Math.random() * 250));
    }
  }

  /** Told each time the drive refuses to open because it is busy, before trying again. */
  onBusy?: (output: string) => void;
  /** How long a busy drive is waited for (default: TAPE_DRIVE_LOCK_TIMEOUT). */
  busyWaitMs?: number;

  /** Runs `mt -f <device> <op> [count]`; throws TapeCommandError with mt's message. */
  async mt(op: string, count?: number): Promise<void> {
    const args = [...this.rshArgs(), '-f', this.options.device, op, ...(count === undefined ? [] : [String(count)])];
    const r = await this.whileBusy(() => this.command(this.options.mtCommand, args, policies.tapePosition), (x) => `${x.stderr}\n${x.stdout}`);
    if (r.code !== 0) {
      const raw = `${r.stderr}\n${r.stdout}`.trim();
      const out = tidy(raw);
      throw new TapeCommandError(classify(raw), `${this.options.mtCommand} ${op}`, out, `mt ${op}${count === undefined ? '' : ` ${count}`} on ${this.options.device} failed: ${out || `exit code ${r.code}`}`);
    }
  }

  rewind(): Promise<void> {
    return this.mt('rewind');
  }

  /** Rewinds and spaces forward over `n` filemarks: the tape is then at the start of file `n`. */
  async seekFile(n: number): Promise<void> {
    await this.rewind();
    if (n > 0) await this.mt('fsf', n);
  }

  /** Runs tar on the tape with the given operation arguments; throws TapeCommandError with tar's message. */
  async tar(what: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
    const r = await this.whileBusy(() => this.command(this.options.tarCommand, [...this.tarDeviceArgs(), ...args], opts.policy ?? policies.tapeTransfer, opts), (x) => x.stderr);
    if (r.code !== 0) {
      const out = tidy(r.stderr);
      throw new TapeCommandError(classify(r.stderr), `${this.options.tarCommand}`, out, `tar (${what}) on ${this.options.device} failed: ${out || `exit code ${r.code}`}`);
    }
    return r;
  }

  /** tar arguments that report progress every `records` records on stderr. */
  static checkpointArgs(records: number): string[] {
    return [`--checkpoint=${records}`, `--checkpoint-action=echo=${CHECKPOINT} %u`];
  }

  static checkpointNumber(line: string): number | undefined {
    const m = new RegExp(`${CHECKPOINT} (\\d+)`).exec(line);
    return m ? Number(m[1]) : undefined;
  }

  /** Versions of mt and tar, for `distillery check`. */
  async versions(): Promise<{ tar: string; mt: string }> {
    const first = async (cmd: string): Promise<string> => {
      // A missing command already says so in full (the not-found message): pass it on as is.
      const r = await this.command(cmd, ['--version'], policies.toolCheck);
      const text = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
      if (r.code !== 0 && !/\d+\.\d+/.test(text)) throw new Error(`${cmd} --version failed: ${text || `exit code ${r.code}`}`);
      return text;
    };
    return { tar: await first(this.options.tarCommand), mt: await first(this.options.mtCommand) };
  }
}
