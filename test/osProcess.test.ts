// Real processes: a shell that starts a sleep, so the tree has a child and a grandchild.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { descendantsOf, processTable, processTree } from '../src/osProcess.js';

describe('processTree', () => {
  it('lists a process, its children and their children, as the scan of every process does', async () => {
    const shell = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
    let sleepPid: number | undefined;
    try {
      let tree = await processTree(process.pid);
      for (let i = 0; i < 50 && !tree.some((p) => p.ppid === shell.pid); i++) {
        await new Promise((r) => setTimeout(r, 20));
        tree = await processTree(process.pid);
      }
      expect(tree[0].pid).toBe(process.pid);
      expect(tree[0].rssBytes).toBeGreaterThan(0);
      const sleep = tree.find((p) => p.ppid === shell.pid);
      expect(tree.map((p) => p.pid)).toContain(shell.pid);
      expect(sleep).toBeDefined();
      sleepPid = sleep!.pid;
      const scanned = descendantsOf(process.pid, await processTable()).map((p) => p.pid);
      expect(scanned).toContain(sleep!.pid);
      // Both name the shell and its sleep; vitest's own workers may come and go meanwhile.
      expect(tree.slice(1).map((p) => p.pid).filter((p) => p === shell.pid || p === sleep!.pid).sort()).toEqual([shell.pid, sleep!.pid].sort());
    } finally {
      shell.kill('SIGKILL');
      if (sleepPid) process.kill(sleepPid, 'SIGKILL');
    }
  });

  it('is empty for a process that has ended', async () => {
    const child = spawn('true');
    await new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 50));
    expect(await processTree(child.pid!)).toEqual([]);
  });
});
