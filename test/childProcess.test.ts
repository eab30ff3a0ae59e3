/**
 * The one child-process runner (src/childProcess.ts) against real processes: a tool that never
 * exits and leaves a grandchild behind is stopped at its time-out or when the run stops, with every
 * process it started; the message names the tool, the host and the setting to change.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChildProcessError, runChild } from '../src/childProcess.js';
import { policies, type RetryPolicy } from '../src/policies.js';
import { pidAlive } from '../src/osProcess.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'distillery-child-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const quick = (ms: number, base: RetryPolicy = policies.imageTool): RetryPolicy => ({ ...base, timeoutMs: ms });

/** A tool that starts a grandchild (recording its pid) and then never exits. */
async function hungTool(): Promise<{ path: string; grandchild: () => Promise<number> }> {
  const path = join(dir, 'hung-tool');
  const pidFile = join(dir, 'grandchild.pid');
  await writeFile(path, `#!/bin/sh\nsleep 1000 &\necho $! > '${pidFile}'\necho started\nwhile :; do sleep 1; done\n`);
  await chmod(path, 0o755);
  return { path, grandchild: async () => Number((await readFile(pidFile, 'utf8')).trim()) };
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 50 && pidAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return !pidAlive(pid);
}

describe('runChild', () => {
  it('stops a tool that never exits at its policy time-out, with every process it started, naming tool, host and setting', async () => {
    const tool = await hungTool();
    let started = false;
    const err = await runChild(tool.path, [], { tool: 'opj_decompress', host: 'this worker', policy: quick(800), onStdoutLine: (l) => (started ||= l === 'started') }).catch((e: unknown) => e);
    expect(started).toBe(true);
    expect(err).toBeInstanceOf(ChildProcessError);
    expect((err as ChildProcessError).kind).toBe('timeout');
    expect((err as Error).message).toBe('opj_decompress on this worker did not finish in time and was stopped (time-out 0.8 s, image tool policy; if it needs longer, raise IMAGE_TOOL_TIMEOUT in settings.ini).');
    expect(await gone(await tool.grandchild())).toBe(true);
  });

  it("stops a tool and its children when the run's signal aborts", async () => {
    const tool = await hungTool();
    const stop = new AbortController();
    const running = runChild(tool.path, [], { tool: 'tar', host: 'localhost:/dev/nst0', signal: stop.signal, policy: policies.tapeTransfer, onStdoutLine: (l) => l === 'started' && stop.abort(new Error('the archivist cancelled the run')) });
    const err = await running.catch((e: unknown) => e);
    expect((err as ChildProcessError).kind).toBe('stopped');
    expect((err as Error).message).toBe('tar on localhost:/dev/nst0 was stopped because the run was stopped: the archivist cancelled the run');
    expect(await gone(await tool.grandchild())).toBe(true);
  });

  it('never starts a tool for a run already stopped', async () => {
    const stop = new AbortController();
    stop.abort();
    await expect(runChild('sh', ['-c', `touch '${join(dir, 'ran')}'`], { signal: stop.signal })).rejects.toMatchObject({ kind: 'stopped' });
    await expect(readFile(join(dir, 'ran'))).rejects.toThrow();
  });

  it('fails on a non-zero exit with the end of what the tool said, or returns the code when asked', async () => {
    const script = 'echo one; echo "[INFO] chatter" >&2; echo "the real error" >&2; exit 3';
    await expect(runChild('sh', ['-c', script], { tool: 'vips' })).rejects.toThrow('vips failed (exit 3): the real error; one');
    await expect(runChild('sh', ['-c', script], { exit: 'return' })).resolves.toMatchObject({ code: 3, stdout: 'one\n', stderr: '[INFO] chatter\nthe real error' });
  });

  it('streams lines as they come and keeps stderr lines the caller wants', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const r = await runChild('sh', ['-c', 'printf "a\\nb\\nc"; printf "checkpoint 1\\nproblem\\n" >&2'], {
      onStdoutLine: (l) => out.push(l),
      onStderrLine: (l) => err.push(l),
      keepStderr: (l) => !l.startsWith('checkpoint'),
    });
    expect(out).toEqual(['a', 'b', 'c']);
    expect(err).toEqual(['checkpoint 1', 'problem']);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: 'problem' });
  });

  it('names a missing tool and what to do', async () => {
    await expect(runChild('no-such-encoder', [])).rejects.toThrow('no-such-encoder (no-such-encoder) is not installed or not on PATH: install it or set its path in settings.ini.');
  });
});
