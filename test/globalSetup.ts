/**
 * Before any test file starts: the build in dist/ is brought up to date once (`npm run build`,
 * when a source file is newer than it). Tests that run Distillery's own commands as processes
 * (bin/distillery.js, dist/e2e) read dist/; no test builds it itself, since a build rewrites every
 * file while other test files may be reading them.
 */
import { spawnSync } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

async function newest(dir: string): Promise<number> {
  let latest = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    latest = Math.max(latest, e.isDirectory() ? await newest(p) : (await stat(p)).mtimeMs);
  }
  return latest;
}

export default async function setup(): Promise<void> {
  const built = await stat('dist/cli.js').then((s) => s.mtimeMs, () => 0);
  if (built > (await newest('src'))) return;
  const r = spawnSync('npm', ['run', 'build', '--silent'], { encoding: 'utf8' });
  if (r.status !== 0 || `${r.stdout}${r.stderr}`.trim()) throw new Error(`npm run build failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}
