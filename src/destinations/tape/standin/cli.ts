/**
 * `distillery tape standin …`: set up a folder that behaves like a tape library with a drive (the
 * stand-in, rmt-standin.ts) for demos and training. Loaded only for this command, so the tape
 * destination and its CLI never load the stand-in.
 */
import { resolve } from 'node:path';
import { createTapeLibrary, loadTape } from './rmt-standin.js';
import { writeStandinRsh } from './rsh.js';

const USAGE = `usage: distillery tape standin <command>
  init <library> <tape>... [--capacity BYTES]   make a stand-in tape library (for demos)
  load <library> <tape|none>                    put a stand-in tape in the drive, or empty it
  rsh <library> <script>                        write the rsh script for TAPE_RSH_CMD`;

export function standinCommand(args: string[], out = (l: string) => process.stdout.write(`${l}\n`), err = (l: string) => process.stderr.write(`${l}\n`)): number {
  const [sub, library, ...rest] = args;
  if (!library) {
    err(USAGE);
    return 2;
  }
  const lib = resolve(library);
  if (sub === 'init') {
    const ci = rest.indexOf('--capacity');
    const capacity = ci >= 0 ? Number(rest[ci + 1]) : null;
    const names = rest.filter((a, i) => !a.startsWith('--') && (ci < 0 || i !== ci + 1));
    if (!names.length) {
      err(USAGE);
      return 2;
    }
    createTapeLibrary(lib, Object.fromEntries(names.map((n) => [n, { capacityBytes: capacity }])), names[0]);
    out(`Stand-in tape library ${lib}: tapes ${names.join(', ')}; ${names[0]} is in the drive.`);
    return 0;
  }
  if (sub === 'load') {
    loadTape(lib, !rest[0] || rest[0] === 'none' ? null : rest[0]);
    out(rest[0] && rest[0] !== 'none' ? `Tape ${rest[0]} is in the stand-in drive.` : 'The stand-in drive is empty.');
    return 0;
  }
  if (sub === 'rsh' && rest[0]) {
    out(writeStandinRsh(resolve(rest[0]), lib));
    return 0;
  }
  err(USAGE);
  return 2;
}
