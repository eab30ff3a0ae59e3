/**
 * One worker process writing a run to the tape (for the two-process drive-lock test): reads the
 * prepared folder and the tape settings from a JSON file, then delivers and finishes as a run does.
 */
import { readFile } from 'node:fs/promises';
import { TapeDestination } from '../../../../src/destinations/tape/destination.js';
import { MemoryReporter } from '../../../../src/runs/reporter.js';

const [job, name, runId] = process.argv.slice(2);
const { options, folders } = JSON.parse(await readFile(job, 'utf8'));
const folder = folders[name];
const reporter = new MemoryReporter();
const aspace = { ensureTapeContainer: async () => '/repositories/2/top_containers/1', upsertFileVersions: async () => undefined, staffUrl: (u: string) => u };
const scope = { runId, collectionId: 'DEMO', user: { email: 'a@example.org', name: 'A' }, processes: ['onsite'], reporter, aspace };
const dest = new TapeDestination(options);
try {
  await dest.begin(scope as never);
  await dest.deliver(scope as never, folder);
  await dest.finish(scope as never);
  for (const l of reporter.lines) console.log(l);
  console.log('DONE');
} catch (err) {
  for (const l of reporter.lines) console.log(l);
  console.log(`FAILED ${(err as Error).message}`);
  process.exitCode = 1;
}
