/**
 * A tape drive stand-in that speaks the remote-tape protocol (rmt(8)), so real GNU tar and GNU mt
 * (`mt-gnu`) drive it through `--rsh-command` exactly as they drive a tape on a tape server.
 * There is no tape drive on our machines and none can be emulated in the kernel.
 *
 * A tape library is a folder:
 *   drive.json                  { "loaded": "<tape name>" | null, "position": { "file": n, "offset": bytes }, "bytesRead": n }
 *   tapes/<name>/tape.json      { "capacityBytes": n|null, "writeProtected": bool,
 *                                 "readErrors": [{ "file": n, "offset"?: bytes }],
 *                                 "corruptWrites": [{ "file": n, "offset": bytes }],
 *                                 "lostAnswers": [{ "file": n }], "writeDelayMs": n }
 *   tapes/<name>/fired.jsonl    one line per fault applied ({ "fault": "...", "file": n }), for tests
 *   tapes/<name>/NNNNNN.tapefile   one file per tape file; the end of each stands for its filemark.
 * The position is kept between connections (a non-rewinding device such as /dev/nst0); a device
 * whose name does not start with "n" (/dev/st0) rewinds on close, as Linux st does.
 * One open at a time, as Linux st allows (st_open returns EBUSY while the device is in use —
 * drivers/scsi/st.c, torvalds/linux v6.6, `if (STp->in_use) { ... return (-EBUSY); }`): the session
 * holding the drive open is named in `drive.open` ({ pid, device, since }); a second open from another
 * stand-in process is refused with EBUSY ("Device or resource busy") and logged in `standin.log`,
 * until the holder closes or its process is gone (as the kernel closes a dead process's device).
 *
 * This file imports only Node built-ins and uses only erasable TypeScript, so Node 22 can run it
 * straight from source (type stripping) as well as compiled.
 */
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable, Writable } from 'node:stream';

export interface TapePosition { file: number; offset: number }
export interface DriveState {
  loaded: string | null;
  position: TapePosition;
  /** Bytes read from tapes since the drive was last loaded (what a test checks was, or was not, read). */
  bytesRead?: number;
}
export interface TapeFaults {
  /** Total bytes the tape holds; a write beyond it fails with ENOSPC (LTO end of tape). */
  capacityBytes?: number | null;
  writeProtected?: boolean;
  /** Reading file `file` at or after `offset` fails with EIO (a media error). */
  readErrors?: { file: number; offset?: number }[];
  /** The byte at `offset` of file `file` is stored flipped when written (silent corruption). */
  corruptWrites?: { file: number; offset: number }[];
  /** Closing the drive after writing file `file` is done (its filemark written), but the answer never comes: the connection drops. */
  lostAnswers?: { file: number }[];
  /** Each write waits this long first (a drive that stalls), so a run can be stopped mid-write. */
  writeDelayMs?: number;
}

/** The connection drops before the answer is sent (the work is done). */
class LostConnection extends Error {}

/** The faults the stand-in applied to tape `name`, in order. */
export function firedFaults(dir: string, name: string): { fault: string; file?: number }[] {
  const path = join(dir, 'tapes', name, 'fired.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { fault: string; file?: number });
}

// Linux errno values (what a real drive's driver reports) and their strerror text.
const ERR = {
  EIO: [5, 'Input/output error'],
  EINVAL: [22, 'Invalid argument'],
  ENOSPC: [28, 'No space left on device'],
  ESPIPE: [29, 'Illegal seek'],
  EROFS: [30, 'Read-only file system'],
  EBADF: [9, 'Bad file descriptor'],
  EBUSY: [16, 'Device or resource busy'],
  ENOMEDIUM: [123, 'No medium found'],
} as const;

class RmtError extends Error {
  readonly errno: number;
  constructor(e: readonly [number, string]) {
    super(e[1]);
    this.errno = e[0];
  }
}

// Linux MTIOCTOP operation codes (include/uapi/linux/mtio.h).
const MT = { FSF: 1, BSF: 2, FSR: 3, BSR: 4, WEOF: 5, REW: 6, OFFL: 7, NOP: 8, RETEN: 9, EOM: 12, ERASE: 13 } as const;

/** Create (or reset) a library folder with the given tapes; `loaded` is put in the drive. */
export function createTapeLibrary(dir: string, tapes: Record<string, TapeFaults>, loaded: string | null): void {
  mkdirSync(join(dir, 'tapes'), { recursive: true });
  for (const [name, faults] of Object.entries(tapes)) createTape(dir, name, faults);
  loadTape(dir, loaded);
}

export function createTape(dir: string, name: string, faults: TapeFaults = {}): void {
  mkdirSync(join(dir, 'tapes', name), { recursive: true });
  writeJson(join(dir, 'tapes', name, 'tape.json'), faults);
}

/** Put a tape in the drive (or empty it with null); the drive starts at the beginning of tape. */
export function loadTape(dir: string, name: string | null): void {
  if (name !== null && !existsSync(join(dir, 'tapes', name))) throw new Error(`no tape "${name}" in library ${dir}`);
  writeJson(join(dir, 'drive.json'), { loaded: name, position: { file: 0, offset: 0 } } satisfies DriveState);
}

export function setTapeFaults(dir: string, name: string, faults: TapeFaults): void {
  const path = join(dir, 'tapes', name, 'tape.json');
  writeJson(path, { ...readJson<TapeFaults>(path), ...faults });
}

export function readDrive(dir: string): DriveState {
  return readJson<DriveState>(join(dir, 'drive.json'));
}

/** The tape files of a tape, in order (for tests and for looking at a stand-in tape). */
export function tapeFiles(dir: string, name: string): string[] {
  return listFiles(join(dir, 'tapes', name)).map((n) => join(dir, 'tapes', name, n));
}

function listFiles(tapeDir: string): string[] {
  return readdirSync(tapeDir).filter((n) => n.endsWith('.tapefile')).sort();
}

function fileName(n: number): string {
  return `${String(n).padStart(6, '0')}.tapefile`;
}

function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function writeJson(path: string, value: unknown): void {
  writeFileSync(`${path}.tmp`, JSON.stringify(value, null, 2));
  renameSync(`${path}.tmp`, path);
}

interface OpenHolder { pid: number; device: string; since: string }

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The refused opens (EBUSY) the stand-in logged, one line each (for tests: the fault fired). */
export function standinLog(dir: string): string[] {
  const path = join(dir, 'standin.log');
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

/** One rmt session: the state of one open device, driven by protocol commands. */
export class RmtSession {
  private readonly library: string;
  private open: { rewindOnClose: boolean; write: boolean; wrote: boolean } | null = null;

  constructor(library: string) {
    this.library = library;
  }

  private drive(): DriveState {
    return readDrive(this.library);
  }

  private saveDrive(d: DriveState): void {
    writeJson(join(this.library, 'drive.json'), d);
  }

  private tapeDir(d: DriveState): string {
    if (d.loaded === null) throw new RmtError(ERR.ENOMEDIUM);
    return join(this.library, 'tapes', d.loaded);
  }

  private faults(d: DriveState): TapeFaults {
    return readJson<TapeFaults>(join(this.tapeDir(d), 'tape.json'));
  }

  private fired(d: DriveState, fault: string, file?: number): void {
    appendFileSync(join(this.tapeDir(d), 'fired.jsonl'), `${JSON.stringify({ fault, file })}\n`);
  }

  private fileCount(d: DriveState): number {
    return listFiles(this.tapeDir(d)).length;
  }

  /** Takes the drive for this process, as st's one open at a time; EBUSY while a live other holds it. */
  private claim(device: string): void {
    const path = join(this.library, 'drive.open');
    for (;;) {
      try {
        writeFileSync(path, JSON.stringify({ pid: process.pid, device, since: new Date().toISOString() } satisfies OpenHolder), { flag: 'wx' });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let holder: OpenHolder | undefined;
      try {
        holder = JSON.parse(readFileSync(path, 'utf8')) as OpenHolder;
      } catch {
        continue; // gone meanwhile, or being written: look again
      }
      if (holder.pid === process.pid) return;
      if (pidAlive(holder.pid)) {
        appendFileSync(join(this.library, 'standin.log'), `${new Date().toISOString()} refused open of ${device} by process ${process.pid}: held open by process ${holder.pid} since ${holder.since}: ${ERR.EBUSY[1]}\n`);
        throw new RmtError(ERR.EBUSY);
      }
      unlinkSync(path); // its process is gone: the kernel has closed the device
    }
  }

  /** Lets the drive go (close, or this process ending). */
  release(): void {
    this.open = null;
    const path = join(this.library, 'drive.open');
    try {
      if ((JSON.parse(readFileSync(path, 'utf8')) as OpenHolder).pid === process.pid) unlinkSync(path);
    } catch {
      // not held
    }
  }

  openDevice(device: string, flags: number): number {
    if (this.open) this.release(); // rmt closes the open device before opening another
    const d = this.drive();
    this.tapeDir(d); // no tape: ENOMEDIUM, as st reports
    const write = (flags & 3) !== 0; // O_WRONLY or O_RDWR
    if (write && this.faults(d).writeProtected) {
      this.fired(d, 'writeProtected');
      throw new RmtError(ERR.EROFS);
    }
    const base = device.split('/').pop() ?? device;
    this.claim(device);
    this.open = { rewindOnClose: !base.startsWith('n'), write, wrote: false };
    return 0;
  }

  closeDevice(): number {
    if (!this.open) throw new RmtError(ERR.EBADF);
    const d = this.drive();
    const wroteFile = this.open.wrote && d.loaded !== null ? d.position.file : undefined;
    if (this.open.wrote && d.loaded !== null) {
      // Closing after a write ends the file with a filemark: the position moves past it.
      d.position = { file: d.position.file + 1, offset: 0 };
    }
    if (this.open.rewindOnClose) d.position = { file: 0, offset: 0 };
    this.saveDrive(d);
    this.release();
    if (wroteFile !== undefined && this.faults(d).lostAnswers?.some((l) => l.file === wroteFile)) {
      this.fired(d, 'lostAnswer', wroteFile);
      throw new LostConnection();
    }
    return 0;
  }

  /** How long the next write waits (a stalled drive); the stall is logged as fired. */
  writeDelay(): number {
    const d = this.drive();
    if (d.loaded === null) return 0;
    const ms = this.faults(d).writeDelayMs ?? 0;
    if (ms > 0) this.fired(d, 'writeDelay', d.position.file);
    return ms;
  }

  write(data: Buffer): number {
    if (!this.open) throw new RmtError(ERR.EBADF);
    if (!this.open.write) throw new RmtError(ERR.EBADF);
    const d = this.drive();
    const dir = this.tapeDir(d);
    const faults = this.faults(d);
    const { file, offset } = d.position;
    const path = join(dir, fileName(file));
    if (!this.open.wrote) {
      // Writing in the middle of a tape makes this the last file: what followed is gone.
      for (const n of listFiles(dir)) if (Number.parseInt(n, 10) > file) unlinkSync(join(dir, n));
      if (existsSync(path)) truncateSync(path, offset);
      else writeFileSync(path, '');
      this.open.wrote = true;
    }
    if (faults.capacityBytes != null) {
      const used = listFiles(dir).reduce((s, n) => s + statSync(join(dir, n)).size, 0);
      if (used + data.length > faults.capacityBytes) throw new RmtError(ERR.ENOSPC);
    }
    const stored = Buffer.from(data);
    for (const c of faults.corruptWrites ?? []) {
      if (c.file === file && c.offset >= offset && c.offset < offset + stored.length) {
        stored[c.offset - offset] ^= 0xff;
        this.fired(d, 'corruptWrite', file);
      }
    }
    const fd = openSync(path, 'r+');
    try {
      writeSync(fd, stored, 0, stored.length, offset);
    } finally {
      closeSync(fd);
    }
    d.position = { file, offset: offset + stored.length };
    this.saveDrive(d);
    return data.length;
  }

  read(count: number): Buffer {
    if (!this.open) throw new RmtError(ERR.EBADF);
    const d = this.drive();
    const dir = this.tapeDir(d);
    const { file, offset } = d.position;
    const path = join(dir, fileName(file));
    if (!existsSync(path)) throw new RmtError(ERR.EIO); // blank tape after the end of data
    for (const e of this.faults(d).readErrors ?? []) {
      if (e.file === file && offset >= (e.offset ?? 0) - count) throw new RmtError(ERR.EIO);
    }
    const size = statSync(path).size;
    if (offset >= size) {
      // Reading a filemark returns 0 bytes and steps past it.
      d.position = { file: file + 1, offset: 0 };
      this.saveDrive(d);
      return Buffer.alloc(0);
    }
    const n = Math.min(count, size - offset);
    const buf = Buffer.alloc(n);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buf, 0, n, offset);
    } finally {
      closeSync(fd);
    }
    d.position = { file, offset: offset + n };
    d.bytesRead = (d.bytesRead ?? 0) + n;
    this.saveDrive(d);
    return buf;
  }

  ioctl(op: number, count: number): number {
    if (!this.open) throw new RmtError(ERR.EBADF);
    const d = this.drive();
    const dir = this.tapeDir(d);
    const files = this.fileCount(d);
    switch (op) {
      case MT.FSF:
        for (let i = 0; i < count; i++) {
          if (d.position.file >= files) {
            this.saveDrive(d);
            throw new RmtError(ERR.EIO); // blank check: no more filemarks
          }
          d.position = { file: d.position.file + 1, offset: 0 };
        }
        break;
      case MT.BSF:
        for (let i = 0; i < count; i++) {
          if (d.position.file === 0) {
            d.position = { file: 0, offset: 0 };
            this.saveDrive(d);
            throw new RmtError(ERR.EIO); // beginning of tape
          }
          const prev = d.position.file - 1;
          d.position = { file: prev, offset: statSync(join(dir, fileName(prev))).size };
        }
        break;
      case MT.WEOF: {
        if (this.faults(d).writeProtected || !this.open.write) throw new RmtError(ERR.EROFS);
        for (let i = 0; i < count; i++) {
          const { file, offset } = d.position;
          for (const n of listFiles(dir)) if (Number.parseInt(n, 10) > file) unlinkSync(join(dir, n));
          const path = join(dir, fileName(file));
          if (existsSync(path)) truncateSync(path, offset);
          else writeFileSync(path, '');
          d.position = { file: file + 1, offset: 0 };
        }
        this.open.wrote = false; // the filemark is written; close adds none
        break;
      }
      case MT.REW:
      case MT.RETEN:
        d.position = { file: 0, offset: 0 };
        break;
      case MT.OFFL:
        d.position = { file: 0, offset: 0 };
        d.loaded = null;
        break;
      case MT.NOP:
        break;
      case MT.EOM:
        d.position = { file: files, offset: 0 };
        break;
      case MT.ERASE:
        if (this.faults(d).writeProtected || !this.open.write) throw new RmtError(ERR.EROFS);
        for (const n of listFiles(dir)) unlinkSync(join(dir, n));
        d.position = { file: 0, offset: 0 };
        break;
      default:
        throw new RmtError(ERR.EINVAL); // record spacing and the rest are not modelled
    }
    this.saveDrive(d);
    return 0;
  }
}

// The kernel closes a device whose process ends: so does the stand-in, on any way out it can see.
let current: RmtSession | null = null;

/**
 * Serves the rmt protocol on a pair of streams until the input ends. Commands (rmt(8)):
 * `O<dev>\n<flags>\n`, `C<dev>\n`, `R<count>\n`, `W<count>\n<bytes>`, `I<op>\n<count>\n`,
 * `L<offset>\n<whence>\n`, `S`; answers `A<n>\n` (plus data for R) or `E<errno>\n<message>\n`.
 */
export async function serveRmt(library: string, input: Readable, output: Writable): Promise<void> {
  let lost = false;
  const session = new RmtSession(library);
  current = session;
  let buf = Buffer.alloc(0);
  let ended = false;
  let wake: (() => void) | null = null;
  input.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    wake?.();
  });
  input.on('end', () => {
    ended = true;
    wake?.();
  });
  const more = (): Promise<void> => new Promise((r) => { wake = () => { wake = null; r(); }; });
  async function line(): Promise<string | null> {
    for (;;) {
      const i = buf.indexOf(10);
      if (i >= 0) {
        const s = buf.subarray(0, i).toString('utf8');
        buf = buf.subarray(i + 1);
        return s;
      }
      if (ended) return null;
      await more();
    }
  }
  async function bytes(n: number): Promise<Buffer | null> {
    while (buf.length < n) {
      if (ended) return null;
      await more();
    }
    const b = buf.subarray(0, n);
    buf = buf.subarray(n);
    return Buffer.from(b);
  }
  const reply = (fn: () => number | Buffer): void => {
    try {
      const r = fn();
      if (Buffer.isBuffer(r)) output.write(Buffer.concat([Buffer.from(`A${r.length}\n`), r]));
      else output.write(`A${r}\n`);
    } catch (err) {
      if (err instanceof LostConnection) {
        lost = true;
        return;
      }
      const e = err instanceof RmtError ? err : new RmtError([ERR.EIO[0], String((err as Error).message)]);
      output.write(`E${e.errno}\n${e.message}\n`);
    }
  };
  for (;;) {
    // S (status) is a single byte with no newline; everything else is a line.
    while (buf.length === 0 && !ended) await more();
    if (buf.length === 0) {
      session.release();
      return;
    }
    if (buf[0] === 0x53) {
      buf = buf.subarray(1);
      reply(() => { throw new RmtError(ERR.EINVAL); }); // a real drive's mt status is not emulated
      continue;
    }
    const first = await line();
    if (first === null || first.length === 0) {
      if (first === null) {
        session.release();
        return;
      }
      continue;
    }
    const cmd = first[0];
    const arg = first.slice(1);
    switch (cmd) {
      case 'O': {
        const flags = await line();
        reply(() => session.openDevice(arg, Number.parseInt(flags ?? '0', 10)));
        break;
      }
      case 'C':
        reply(() => session.closeDevice());
        if (lost) {
          // The connection drops: the client never hears how the close went.
          output.end();
          input.destroy();
          return;
        }
        break;
      case 'R':
        reply(() => session.read(Number.parseInt(arg, 10)));
        break;
      case 'W': {
        const data = await bytes(Number.parseInt(arg, 10));
        if (data === null) {
          session.release();
          return;
        }
        const delay = session.writeDelay();
        if (delay > 0) {
          // A stalled drive: if the client goes away meanwhile (killed), the write never happens.
          await new Promise((r) => setTimeout(r, delay));
          if (ended) {
            session.release();
            return;
          }
        }
        reply(() => session.write(data));
        break;
      }
      case 'I': {
        const count = await line();
        reply(() => session.ioctl(Number.parseInt(arg, 10), Number.parseInt(count ?? '0', 10)));
        break;
      }
      case 'L':
        await line();
        reply(() => { throw new RmtError(ERR.ESPIPE); });
        break;
      default:
        // The extended commands (i, s) are not needed by tar or mt's basic operations.
        reply(() => { throw new RmtError(ERR.EINVAL); });
    }
  }
}

/**
 * Entry point when tar or mt run it through the rsh script:
 * `<node> rmt-standin.(js|ts) --library <dir> <host> [-l user] /etc/rmt` (host and the rest are ignored).
 */
async function main(argv: string[]): Promise<void> {
  const i = argv.indexOf('--library');
  const library = i >= 0 ? argv[i + 1] : process.env.DISTILLERY_TAPE_LIBRARY;
  if (!library) {
    process.stderr.write('rmt-standin: give --library <dir> or set DISTILLERY_TAPE_LIBRARY\n');
    process.exit(2);
  }
  await serveRmt(library, process.stdin, process.stdout);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGPIPE'] as const) process.on(sig, () => { current?.release(); process.exit(1); });
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`rmt-standin: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
