/**
 * The tape drive as mt and tar see it: every operation is a child process with an argument array
 * (GNU tar / mt, locally or through rmt for `host:` devices). Errors carry mt's or tar's own
 * message and a kind, so the destination can say what to do (load a tape, remove write protect…).
 */
import { spawn } from 'node:child_process';
import { isRemoteDevice } from './settings.js';

export interface DriveOptions {
  device: string;
  mtCommand: string;
  tarCommand: string;
  rshCommand?: string;
  blockingFactor: number;
}

export type TapeErrorKind = 'no-tape' | 'write-protected' | 'end-of-tape' | 'media' | 'not-found' | 'other';

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
  if (/No medium found/i.test(output)) return 'no-tape';
  if (/Read-only file system|write[- ]protected/i.test(output)) return 'write-protected';
  if (/No space left on device/i.test(output)) return 'end-of-tape';
  if (/Input\/output error/i.test(output)) return 'media';
  if (/ENOENT|No such file or directory|command not found/i.test(output)) return 'not-found';
  return 'other';
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Each complete stderr line as it arrives (tar checkpoints). */
  onStderrLine?: (line: string) => void;
  /** Each complete stdout line as it arrives. */
  onStdoutLine?: (line: string) => void;
  signal?: AbortSignal;
}

/** Runs a command with an argument array; resolves with its exit code and output (never rejects on a non-zero exit). */
export function runCommand(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal });
    let stdout = '';
    let stderr = '';
    let outRest = '';
    let errRest = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      if (opts.onStdoutLine) {
        outRest += s;
        const lines = outRest.split('\n');
        outRest = lines.pop() ?? '';
        for (const l of lines) opts.onStdoutLine(l);
      } else stdout += s;
    });
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      errRest += s;
      const lines = errRest.split('\n');
      errRest = lines.pop() ?? '';
      for (const l of lines) {
        opts.onStderrLine?.(l);
        if (!isCheckpoint(l)) stderr += `${l}\n`;
      }
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new TapeCommandError('not-found', cmd, '', `${cmd} is not installed or not on PATH: install it (see docs/tape.md) or set its TAPE_*_CMD setting.`));
      else reject(err);
    });
    child.on('close', (code) => {
      if (outRest && opts.onStdoutLine) opts.onStdoutLine(outRest);
      if (errRest) stderr += errRest;
      resolve({ code: code ?? 1, stdout, stderr: stderr.trim() });
    });
  });
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
  constructor(readonly options: DriveOptions) {
    this.remote = isRemoteDevice(options.device);
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

  /** Runs `mt -f <device> <op> [count]`; throws TapeCommandError with mt's message. */
  async mt(op: string, count?: number): Promise<void> {
    const args = [...this.rshArgs(), '-f', this.options.device, op, ...(count === undefined ? [] : [String(count)])];
    const r = await runCommand(this.options.mtCommand, args);
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
    const r = await runCommand(this.options.tarCommand, [...this.tarDeviceArgs(), ...args], opts);
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
      // A missing command already says so in full (runCommand's not-found message): pass it on as is.
      const r = await runCommand(cmd, ['--version']);
      const text = `${r.stdout}\n${r.stderr}`.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? '';
      if (r.code !== 0 && !/\d+\.\d+/.test(text)) throw new Error(`${cmd} --version failed: ${text || `exit code ${r.code}`}`);
      return text;
    };
    return { tar: await first(this.options.tarCommand), mt: await first(this.options.mtCommand) };
  }
}
