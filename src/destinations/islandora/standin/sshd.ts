/**
 * The Islandora host's stand-in for tests and the demo: a real OpenSSH server (Debian openssh-server) started by hand on 127.0.0.1 with
 * its own config, a fresh host key and user key, and a HOME holding the Islandora drush stand-in
 * on PATH plus a Drupal root for `--root`. No systemd here, so sshd is started in the foreground
 * mode it allows (-D) as our child and stopped by stop().
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, writeFile, readFile, rm, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { commandOf, pidAlive } from '../../../osProcess.js';
import { freePort } from '../../../freePort.js';

const run = promisify(execFile);

// The drush stand-in is plain JavaScript kept beside this file in src/ (the build does not copy it).
const here = fileURLToPath(new URL('.', import.meta.url));
const DRUSH_STANDIN = existsSync(join(here, 'drush.mjs')) ? join(here, 'drush.mjs') : resolve(here, '../../../../src/destinations/islandora/standin/drush.mjs');

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface SshdHandle {
  host: string;
  port: number;
  user: string;
  /** Private key authorized for `user`. */
  keyPath: string;
  /** known_hosts with this server's host key. */
  knownHostsPath: string;
  /** HOME of the sessions: bin/drush, the stand-in's state, tmp/ (TMPDIR for mktemp). */
  home: string;
  /** A Drupal root the drush stand-in accepts as --root. */
  webroot: string;
  /** Everything under this folder is removed by stop(). */
  dir: string;
  stop(): Promise<void>;
}

async function waitForListening(port: number, child: ChildProcess, logPath: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) {
      throw new Error(`sshd exited with ${child.exitCode}: ${await readFile(logPath, 'utf8').catch(() => '')}`);
    }
    const log = await readFile(logPath, 'utf8').catch(() => '');
    if (log.includes(`Server listening on 127.0.0.1 port ${port}`)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`sshd did not listen on port ${port} within 10 s`);
}

/**
 * Starts the server. With `dir` (the demo) its keys and the stand-in's state are kept there across
 * restarts and stop() leaves them; without it everything is in a temporary folder stop() removes.
 */
export async function startSshd(opts: { dir?: string; /** Tried first when free (the demo keeps its port across restarts). */ preferredPort?: number } = {}): Promise<SshdHandle> {
  const keep = opts.dir !== undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'distillery-sshd-')));
  await mkdir(dir, { recursive: true });
  const home = join(dir, 'home');
  const webroot = join(home, 'drupal');
  await mkdir(join(home, 'bin'), { recursive: true });
  await mkdir(join(home, 'tmp'), { recursive: true });
  await mkdir(join(webroot, 'sites', 'default'), { recursive: true });
  await writeFile(join(webroot, 'sites', 'default', 'settings.php'), '<?php\n');
  // A wrapper rather than a symlink: works whatever the stand-in's file mode, with this node.
  await writeFile(join(home, 'bin', 'drush'), `#!/bin/sh\nexec ${shQuote(process.execPath)} ${shQuote(DRUSH_STANDIN)} "$@"\n`, { mode: 0o755 });
  await mkdir('/run/sshd', { recursive: true }).catch(() => undefined);

  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const keyPath = join(dir, 'id_ed25519');
  if (!existsSync(hostKey)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'distillery-test-host', '-f', hostKey]);
  if (!existsSync(keyPath)) await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'distillery-test-user', '-f', keyPath]);
  await copyFile(`${keyPath}.pub`, join(dir, 'authorized_keys'));

  const user = (await run('id', ['-un'])).stdout.trim();
  await stopLeftover(dir);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = attempt === 0 && opts.preferredPort ? opts.preferredPort : await freePort();
    const config = join(dir, 'sshd_config');
    const logPath = join(dir, `sshd-${port}.log`);
    await writeFile(
      config,
      [
        `ListenAddress 127.0.0.1:${port}`,
        `HostKey ${hostKey}`,
        `PidFile ${join(dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'PermitRootLogin prohibit-password',
        `SetEnv HOME=${home} TMPDIR=${join(home, 'tmp')} PATH=${join(home, 'bin')}:/usr/local/bin:/usr/bin:/bin`,
        'Subsystem sftp internal-sftp',
        '',
      ].join('\n'),
    );
    const child = spawn('/usr/sbin/sshd', ['-D', '-f', config, '-E', logPath], { stdio: 'ignore' });
    try {
      await waitForListening(port, child, logPath);
    } catch (err) {
      lastError = err;
      child.kill();
      continue;
    }
    const pub = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
    const knownHostsPath = join(dir, 'known_hosts');
    await writeFile(knownHostsPath, `[127.0.0.1]:${port} ${pub}\n`);
    return {
      host: '127.0.0.1',
      port,
      user,
      keyPath,
      knownHostsPath,
      home,
      webroot,
      dir,
      async stop() {
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await exited;
        }
        if (!keep) await rm(dir, { recursive: true, force: true });
      },
    };
  }
  if (!keep) await rm(dir, { recursive: true, force: true });
  throw lastError;
}

/**
 * Stops an sshd that an earlier stand-in in the same folder left running (its starter was
 * killed before it could stop it), found by the PidFile and checked by its config path.
 */
async function stopLeftover(dir: string): Promise<void> {
  const pid = Number((await readFile(join(dir, 'sshd.pid'), 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  if (!(await commandOf(pid)).includes(join(dir, 'sshd_config'))) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let i = 0; i < 50 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}
