/** The ArchivesSpace stand-in: server, seed builders and the demo collection. */
import demo from './demo-seed.json' with { type: 'json' };
import type { Seed } from './types.js';

export { startArchivesSpaceStandIn, type StandInHandle, type StandInOptions } from './server.js';
export { buildSeed, mergeSeeds, type BuildSeedOptions, type FolderSpec, type SeriesSpec } from './seed.js';
export { StandInState, DEFAULT_ENUMS } from './state.js';
export { FaultInjector, type FaultMatch } from './faults.js';
export type { Seed, StandInEnums } from './types.js';

/** The demo collection DEMO (a fresh copy each call): matches the demo TIFF folders. */
export function demoSeed(): Seed {
  return structuredClone(demo) as Seed;
}
