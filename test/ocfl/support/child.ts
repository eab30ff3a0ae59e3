/**
 * A second writer in its own process (run with the Node 22 binary, see helpers.ts).
 * argv: root objectId mode file...   mode: "hold:<ms>" holds the lock that long after assembling;
 * "crash:<step>" exits the process at that install step, as a power cut would.
 */
import { commitVersion } from '../../../src/ocfl/index.js';

const [root, id, mode, ...files] = process.argv.slice(2);
const [kind, arg] = mode.split(':');
await commitVersion(
  root,
  id,
  files.map((f, i) => ({ logicalPath: `child-${i}-${f.split('/').pop()}`, sourcePath: f })),
  { message: `child ${mode}`, user: { name: 'Child', address: 'child@example.org' } },
  {
    onStep: async (step) => {
      if (kind === 'hold' && step === 'assembled') {
        process.stdout.write('locked\n');
        await new Promise((r) => setTimeout(r, Number(arg)));
      }
      if (kind === 'crash' && step === arg) process.exit(42);
    },
  },
);
process.stdout.write('done\n');
