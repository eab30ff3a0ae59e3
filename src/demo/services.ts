/**
 * The demo's stand-ins for the outside systems, each on loopback, each labelled as a stand-in.
 */
import { join } from 'node:path';
import { demoSeed, startArchivesSpaceStandIn } from '../archivesspace/standin/index.js';

export interface DemoServices {
  /** settings.ini lines that point Distillery at the stand-ins. */
  settings: string[];
  /** One line per stand-in for the start-up banner. */
  describe: string[];
  stop(): Promise<void>;
}

export async function startDemoServices(dataDir: string): Promise<DemoServices> {
  const stops: (() => Promise<void>)[] = [];
  const settings: string[] = [];
  const describe: string[] = [];
  try {
    const aspace = await startArchivesSpaceStandIn({ seed: demoSeed(), host: '127.0.0.1', port: 0, stateFile: join(dataDir, 'archivesspace-standin.json') });
    stops.push(() => aspace.close());
    settings.push(`ASPACE_API_URL=${aspace.url}`, 'ASPACE_USERNAME=admin', 'ASPACE_PASSWORD=admin', `ASPACE_STAFF_URL=${aspace.url}/staff`, `ASPACE_PUBLIC_URL=${aspace.url}/public`);
    describe.push(`ArchivesSpace: stand-in server at ${aspace.url} (records kept in archivesspace-standin.json)`);
  } catch (err) {
    await Promise.all(stops.map((s) => s()));
    throw err;
  }
  return {
    settings,
    describe,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    },
  };
}
