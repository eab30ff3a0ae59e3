/** Runs an image tool with an argument array (never a shell string) and says clearly why it failed. */
import { execFile } from 'node:child_process';

export interface ToolResult { stdout: string; stderr: string }

export class ToolError extends Error {
  override readonly name = 'ToolError';
  constructor(message: string, readonly missing: boolean) { super(message); }
}

export function runTool(
  command: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; timeoutMs?: number; /** Resolve even on a non-zero exit (tools whose help exits 1). */ anyExit?: boolean } = {},
): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    execFile(
      command, args,
      { env: opts.env ?? process.env, signal: opts.signal, timeout: opts.timeoutMs ?? 0, maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr });
        const e = err as NodeJS.ErrnoException & { code?: string | number; killed?: boolean };
        if (e.code === 'ENOENT') {
          return reject(new ToolError(`${command} was not found: install it or set its path in settings.ini`, true));
        }
        if (opts.anyExit && typeof e.code === 'number') return resolve({ stdout, stderr });
        if (e.name === 'AbortError') return reject(new ToolError(`${command} was stopped because the run was cancelled`, false));
        if (e.killed && opts.timeoutMs) {
          return reject(new ToolError(`${command} did not finish within ${(opts.timeoutMs / 1000).toFixed(opts.timeoutMs < 10_000 ? 1 : 0)} s and was stopped. A full disk can make it hang: check the free space in LOSSLESS_PRESERVATION_FILES, then run again.`, false));
        }
        const detail = lastLines(`${stderr}\n${stdout}`) || e.message;
        reject(new ToolError(`${command} failed (exit ${e.code ?? 'signal'}): ${detail}`, false));
      },
    );
  });
}

/** The last few meaningful lines of a tool's chatter: where the error usually is. */
function lastLines(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !/^\[INFO\]/.test(l)).slice(-3).join('; ');
}
