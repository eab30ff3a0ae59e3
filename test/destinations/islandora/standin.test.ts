// The Islandora host stand-in (a real OpenSSH server, test/support/sshd.ts) as the demo uses it:
// kept in one folder across restarts, so a server left running by a killed Distillery is found there.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { startSshd } from '../../support/sshd.js';

const run = promisify(execFile);

it('stops a server an earlier start left running in the same folder, and the new one answers', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'distillery-sshd-kept-'));
  try {
    await startSshd({ dir }); // never stopped, as when Distillery is killed with -9
    const leftover = Number((await readFile(join(dir, 'sshd.pid'), 'utf8')).trim());
    expect(existsSync(`/proc/${leftover}`)).toBe(true);

    const second = await startSshd({ dir });
    try {
      expect(existsSync(`/proc/${leftover}`)).toBe(false);
      const { stdout } = await run('ssh', [
        '-i', second.keyPath, '-p', String(second.port), '-o', `UserKnownHostsFile=${second.knownHostsPath}`,
        '-o', 'BatchMode=yes', `${second.user}@${second.host}`, 'echo', 'hello',
      ]);
      expect(stdout.trim()).toBe('hello');
    } finally {
      await second.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
