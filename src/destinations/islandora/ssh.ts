/**
 * Commands on the Islandora server over the system `ssh` and `rsync`, as the original did. Local
 * processes get argument arrays; only the remote side sees a command line, built here with every
 * argument single-quoted for its POSIX shell. ssh's own failures (exit 255) are turned into
 * messages that say what to do and whether a retry can help. Every call has a time-out policy and
 * the run's stop signal (src/childProcess.ts kills ssh or rsync when either fires).
 */
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildProcessError, runChild } from '../../childProcess.js';
import { PermanentError, type RetryPolicy } from '../../policies.js';

export interface SshOptions {
  host: string;
  port: number;
  user: string;
  /** Private key for the Islandora account; undefined uses ssh's default identities. */
  keyPath?: string;
  /** known_hosts holding the server's host key; undefined uses ~/.ssh/known_hosts. */
  knownHostsPath?: string;
  connectTimeoutSeconds: number;
}

export interface RemoteCallOptions {
  /** The time-out policy of this call (src/policies.ts). */
  policy: RetryPolicy;
  signal?: AbortSignal;
  /** The command's name in messages (default: its first word). */
  tool?: string;
}

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** ssh could not connect or authenticate; `retryable` says whether trying again may help. */
export class SshError extends Error {
  override readonly name = 'SshError';
  constructor(message: string, readonly retryable: boolean) {
    super(message);
  }
}

/** Quotes one argument for a POSIX shell. */
export function shQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

const SSH_OWN_ERROR =
  /^(ssh: |Host key verification failed|No \S+ host key is known|\S+: Permission denied \(|Connection (closed|reset) by|kex_exchange_identification|Bad owner or permissions|Load key|Identity file|@@@@|Warning: Identity file)/m;

/** How long a shared connection stays open after its last command (seconds). */
export const SHARED_CONNECTION_IDLE_SECONDS = 15;

/**
 * The folder of the shared connections' sockets: private to this user (0700, checked, never
 * followed through a link), short enough for a socket path. Undefined (no sharing) otherwise.
 */
function controlDir(): string | undefined {
  const uid = process.getuid?.() ?? -1;
  for (const base of [tmpdir(), '/tmp']) {
    const dir = join(base, `distillery-ssh-${uid}`);
    // ssh adds ".<16 random characters>" to the socket's name while it binds; a socket path has 107.
    if (dir.length + 1 + 16 + 17 > 100) continue;
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') continue;
    }
    try {
      const st = lstatSync(dir);
      if (st.isDirectory() && st.uid === uid && (st.mode & 0o077) === 0) return dir;
    } catch {
      // not usable: try the next place
    }
  }
  return undefined;
}

export class SshTarget {
  /** The socket of the connection this target's commands share (ssh's ControlPath); see sshOptions. */
  private readonly controlPath: string | undefined;

  constructor(private readonly o: SshOptions) {
    const dir = controlDir();
    // Named by everything that decides who may connect: another key or known_hosts never rides
    // on a connection made with these.
    const name = createHash('sha256').update(JSON.stringify([o.user, o.host, o.port, o.keyPath ?? '', o.knownHostsPath ?? ''])).digest('hex').slice(0, 16);
    this.controlPath = dir && join(dir, name);
  }

  get label(): string {
    return `${this.o.user}@${this.o.host}:${this.o.port}`;
  }

  /**
   * Options shared by ssh and rsync's ssh: never prompt, only the configured key and host key.
   * Commands in a row share one connection (ControlMaster): the first opens it, the next ones run
   * over it without a new key exchange and log-in, and it closes itself after
   * SHARED_CONNECTION_IDLE_SECONDS without a command. A dead one is noticed by keep-alives; a
   * command that finds no connection to share, or one with no session left (sshd's MaxSessions,
   * held by commands stopped here that run on there), makes its own (ssh does that itself).
   */
  private sshOptions(): string[] {
    const opts = [
      '-p', String(this.o.port),
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `ConnectTimeout=${this.o.connectTimeoutSeconds}`,
      '-o', 'ServerAliveInterval=15',
      '-o', 'ServerAliveCountMax=4',
      '-o', 'LogLevel=ERROR',
    ];
    if (this.controlPath) opts.push('-o', 'ControlMaster=auto', '-o', `ControlPath=${this.controlPath}`, '-o', `ControlPersist=${SHARED_CONNECTION_IDLE_SECONDS}`);
    if (this.o.keyPath) opts.push('-i', this.o.keyPath, '-o', 'IdentitiesOnly=yes');
    if (this.o.knownHostsPath) opts.push('-o', `UserKnownHostsFile=${this.o.knownHostsPath}`, '-o', 'GlobalKnownHostsFile=/dev/null');
    return opts;
  }

  private destination(): string {
    return `${this.o.user}@${this.o.host}`;
  }

  /**
   * Runs `argv` on the server. Throws SshError when ssh itself failed or the command timed out
   * (retryable); otherwise returns the exit code. `tool` names the command in messages.
   */
  async run(argv: string[], opts: RemoteCallOptions): Promise<CommandResult> {
    const remote = argv.map(shQuote).join(' ');
    const r = await this.child('ssh', [...this.sshOptions(), this.destination(), '--', remote], { ...opts, tool: opts.tool ?? argv[0] });
    // ssh's notes on the shared connection (no session left there, so it made its own) are not the command's.
    r.stderr = r.stderr.replace(/^mux_client_\w+: .*(\n|$)/gm, '');
    // Exit 255 is also what a remote command may return (drush on an uncaught exception): only
    // ssh's own messages make it a connection failure, or no message at all (what ssh says when
    // the shared connection it ran over was lost).
    if (r.code === 255 && (SSH_OWN_ERROR.test(r.stderr) || !r.stderr.trim())) this.throwSshFailure(r.stderr);
    return r;
  }

  /** Copies a local folder into a remote folder (rsync creates the last component). */
  async rsync(localDir: string, remoteDir: string, opts: RemoteCallOptions): Promise<void> {
    // rsync splits -e itself (not through a shell); quote what could contain spaces.
    const e = ['ssh', ...this.sshOptions()].map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ');
    const r = await this.child(
      'rsync',
      ['-rt', '--chmod=Du=rwx,Dgo=rx,Fu=rw,Fgo=r', '-e', e, localDir.replace(/\/+$/, ''), `${this.destination()}:${remoteDir.replace(/\/*$/, '/')}`],
      { ...opts, tool: opts.tool ?? 'rsync' },
    );
    if (r.code === 0) return;
    // The server's rsync ran (so ssh connected and logged in) and could not write: say so, not a key problem.
    const said = `${r.stderr}\n${r.stdout}`;
    const receiver = /^rsync: \[Receiver\] .*$/m.exec(said)?.[0];
    if (receiver && /Permission denied|Read-only file system/i.test(receiver)) {
      throw Object.assign(
        new SshError(`The Islandora server ${this.label} refused to write ${remoteDir} (exit ${r.code}): ${receiver.trim()}. Give ${this.o.user} write access to its temporary folder (TMPDIR) there; a retry cannot help until then.`, false),
        { code: /Read-only/i.test(receiver) ? 'EROFS' : 'EACCES' },
      );
    }
    if (r.code === 255 || /connection unexpectedly closed|ssh:/i.test(r.stderr)) this.throwSshFailure(r.stderr);
    const detail = said.trim() || (r.code === 3 ? 'rsync gave no message; exit 3 is "errors selecting input/output files, dirs": can it write there?' : 'rsync gave no message');
    throw new SshError(`rsync of ${localDir} to ${this.label}:${remoteDir} failed (exit ${r.code}): ${detail}`, r.code === 12 || r.code === 30 || r.code === 35);
  }

  /** ssh or rsync through the one child-process runner; a time-out becomes a retryable SshError. */
  private async child(command: string, args: string[], opts: RemoteCallOptions & { tool: string }): Promise<CommandResult> {
    try {
      return await runChild(command, args, { tool: opts.tool, host: this.label, policy: opts.policy, signal: opts.signal, exit: 'return' });
    } catch (err) {
      if (err instanceof ChildProcessError && err.kind === 'timeout') throw new SshError(`${err.message} A retry may help.`, true);
      if (err instanceof ChildProcessError && err.kind === 'missing') throw new PermanentError(err.message, { cause: err });
      throw err;
    }
  }

  private throwSshFailure(stderr: string): never {
    const detail = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' / ');
    const where = this.label;
    if (/Host key verification failed|No \S+ host key is known|REMOTE HOST IDENTIFICATION HAS CHANGED/i.test(stderr)) {
      throw new SshError(
        `The host key of ${where} is not in the known_hosts file${this.o.knownHostsPath ? ` ${this.o.knownHostsPath}` : ''} (or has changed). ` +
          `Check the server's fingerprint with its administrator, then add it (ssh-keyscan -p ${this.o.port} ${this.o.host} >> known_hosts) ` +
          `and point ISLANDORA_KNOWN_HOSTS at that file. A retry cannot help. (${detail})`,
        false,
      );
    }
    if (/Permission denied/i.test(stderr)) {
      throw new SshError(
        `The Islandora server ${where} refused the key${this.o.keyPath ? ` ${this.o.keyPath}` : ''}: add its public key to ` +
          `~${this.o.user}/.ssh/authorized_keys on the server or fix ISLANDORA_SSH_KEY / ISLANDORA_SSH_USER. A retry cannot help. (${detail})`,
        false,
      );
    }
    if (/Connection refused/i.test(stderr)) {
      throw new SshError(
        `SSH connection to ${where} was refused: is sshd running there, and are ISLANDORA_SSH_HOST and ISLANDORA_SSH_PORT right? ` +
          `A retry may help if the server is restarting. (${detail})`,
        true,
      );
    }
    if (/Could not resolve hostname/i.test(stderr)) {
      throw new SshError(`The host name ${this.o.host} does not resolve: check ISLANDORA_SSH_HOST. (${detail})`, false);
    }
    if (/timed out|No route to host|Network is unreachable/i.test(stderr)) {
      throw new SshError(`The Islandora server ${where} could not be reached (${detail}); a retry may help.`, true);
    }
    if (/Identity file .* not accessible|Load key .*: (No such file|Permission denied|invalid format)/i.test(stderr)) {
      throw new SshError(`The SSH key ${this.o.keyPath} cannot be read: check ISLANDORA_SSH_KEY. A retry cannot help. (${detail})`, false);
    }
    throw new SshError(`SSH to ${where} failed: ${detail || 'exit 255 with no message'}. A retry may help.`, true);
  }
}
