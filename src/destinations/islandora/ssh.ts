/**
 * Commands on the Islandora server over the system `ssh` and `rsync`, as the original did. Local
 * processes get argument arrays; only the remote side sees a command line, built here with every
 * argument single-quoted for its POSIX shell. ssh's own failures (exit 255) are turned into
 * messages that say what to do and whether a retry can help.
 */
import { spawn } from 'node:child_process';
import { PermanentError } from '../../policies.js';

export interface SshOptions {
  host: string;
  port: number;
  user: string;
  keyPath?: string;
  knownHostsPath?: string;
  connectTimeoutSeconds: number;
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

export function runProcess(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<CommandResult & { timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], signal: opts.signal });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = opts.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs)
      : undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      if (e.code === 'ENOENT') {
        reject(new PermanentError(`${command} is not installed or not on PATH (${e.message}); install it or set its *_CMD setting.`));
      } else reject(e);
    });
    child.on('close', (code, sig) => {
      if (timer) clearTimeout(timer);
      resolve({
        code: code ?? (sig ? 128 : 1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
      });
    });
  });
}

const SSH_OWN_ERROR =
  /^(ssh: |Host key verification failed|No \S+ host key is known|\S+: Permission denied \(|Connection (closed|reset) by|kex_exchange_identification|Bad owner or permissions|Load key|Identity file|@@@@|Warning: Identity file)/m;

export class SshTarget {
  constructor(private readonly o: SshOptions) {}

  get label(): string {
    return `${this.o.user}@${this.o.host}:${this.o.port}`;
  }

  /** Options shared by ssh and rsync's ssh: never prompt, only the configured key and host key. */
  private sshOptions(): string[] {
    const opts = [
      '-p', String(this.o.port),
      '-o', 'BatchMode=yes',
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `ConnectTimeout=${this.o.connectTimeoutSeconds}`,
      '-o', 'LogLevel=ERROR',
    ];
    if (this.o.keyPath) opts.push('-i', this.o.keyPath, '-o', 'IdentitiesOnly=yes');
    if (this.o.knownHostsPath) opts.push('-o', `UserKnownHostsFile=${this.o.knownHostsPath}`, '-o', 'GlobalKnownHostsFile=/dev/null');
    return opts;
  }

  private destination(): string {
    return `${this.o.user}@${this.o.host}`;
  }

  /** Runs `argv` on the server. Throws SshError when ssh itself failed; otherwise returns the exit code. */
  async run(argv: string[], opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<CommandResult> {
    const remote = argv.map(shQuote).join(' ');
    const r = await runProcess('ssh', [...this.sshOptions(), this.destination(), '--', remote], opts);
    if (r.timedOut) throw new SshError(`${argv[0]} on ${this.label} did not finish within ${Math.round((opts.timeoutMs ?? 0) / 1000)} s; a retry may help.`, true);
    // Exit 255 is also what a remote command may return (drush on an uncaught exception): only
    // ssh's own messages make it a connection failure.
    if (r.code === 255 && SSH_OWN_ERROR.test(r.stderr)) this.throwSshFailure(r.stderr);
    return r;
  }

  /** Copies a local folder into a remote folder (rsync creates the last component). */
  async rsync(localDir: string, remoteDir: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    // rsync splits -e itself (not through a shell); quote what could contain spaces.
    const e = ['ssh', ...this.sshOptions()].map((a) => (/\s/.test(a) ? `"${a}"` : a)).join(' ');
    const r = await runProcess(
      'rsync',
      ['-rt', '--chmod=Du=rwx,Dgo=rx,Fu=rw,Fgo=r', '-e', e, localDir.replace(/\/+$/, ''), `${this.destination()}:${remoteDir.replace(/\/*$/, '/')}`],
      opts,
    );
    if (r.timedOut) throw new SshError(`rsync to ${this.label} did not finish in time; a retry may help.`, true);
    if (r.code === 0) return;
    if (r.code === 255 || /connection unexpectedly closed|ssh:/i.test(r.stderr)) this.throwSshFailure(r.stderr);
    throw new SshError(`rsync of ${localDir} to ${this.label}:${remoteDir} failed (exit ${r.code}): ${r.stderr.trim()}`, r.code === 12 || r.code === 30 || r.code === 35);
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
