/**
 * The embedded default: `npm start` on a fresh clone with no settings.ini. Everything lives under
 * ./data/demo: a generated sample collection, settings that point at local stand-ins for the
 * outside systems (ArchivesSpace, S3, the tape drive, the Islandora host), and the debug user.
 * Nothing here is used once a real settings.ini exists.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { writeSampleScan } from './sampleScans.js';
import { startDemoServices, type DemoServices } from './services.js';
import { demoWebPort } from '../settings/environment.js';

export const DEMO_COLLECTION = 'DEMO';

/** The demo collection's folders and how many scans each holds (matches the stand-in's seed). */
export const DEMO_FOLDERS: { name: string; images: number; depth?: 8 | 16; channels?: 1 | 3 }[] = [
  { name: 'DEMO_001_01', images: 3 },
  { name: 'DEMO_001_02', images: 2 },
  { name: 'DEMO_002_01', images: 3, depth: 16, channels: 1 },
];

export interface DemoPaths {
  dataDir: string;
  settingsFile: string;
  usersFile: string;
  stage1: string;
  stage2: string;
  stage3: string;
}

export function demoPaths(dataDir = resolve('data/demo')): DemoPaths {
  return {
    dataDir,
    settingsFile: join(dataDir, 'settings.ini'),
    usersFile: join(dataDir, 'users.csv'),
    stage1: join(dataDir, 'stage1-initial'),
    stage2: join(dataDir, 'stage2-processing'),
    stage3: join(dataDir, 'stage3-processed'),
  };
}

/** Creates the data folder and, when the collection is in no stage yet, the sample scans. */
export async function prepareDemo(dataDir?: string): Promise<DemoPaths & { generated: boolean }> {
  const paths = demoPaths(dataDir);
  for (const dir of [paths.stage1, paths.stage2, paths.stage3]) await mkdir(dir, { recursive: true });
  await writeFile(paths.usersFile, 'email_address,display_name\nhello@example.com,World\n');
  const present = [paths.stage1, paths.stage2, paths.stage3].some((s) => existsSync(join(s, DEMO_COLLECTION)));
  if (!present) {
    let seed = 1;
    for (const folder of DEMO_FOLDERS) {
      for (let i = 1; i <= folder.images; i++) {
        const name = `${folder.name}_${String(i).padStart(4, '0')}.tif`;
        await writeSampleScan(join(paths.stage1, DEMO_COLLECTION, folder.name, name), {
          seed: seed++, depth: folder.depth, channels: folder.channels, label: `${folder.name} — image ${i}`,
        });
      }
    }
  }
  return { ...paths, generated: !present };
}

/**
 * `distillery demo reset`: removes what the demo made (runs, preservation files, the stand-ins'
 * data, the collection wherever a run moved it) and prepares it afresh. Refused while a
 * Distillery answers on the demo's web port (stop it first).
 */
export async function resetDemo(dataDir?: string, port = demoWebPort()): Promise<DemoPaths & { removed: string[]; refused?: string }> {
  const paths = demoPaths(dataDir);
  if (await listening(port)) {
    return { ...paths, removed: [], refused: `Something answers on port ${port}: if it is the demo, stop it first (Ctrl-C where \`distillery start\` runs), then reset it.` };
  }
  const removed: string[] = [];
  for (const name of existsSync(paths.dataDir) ? await readdir(paths.dataDir) : []) {
    await rm(join(paths.dataDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  await prepareDemo(dataDir);
  return { ...paths, removed };
}

function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); done(true); });
    socket.once('error', () => done(false));
  });
}

/** Prepares the data, starts the stand-ins and writes settings.ini pointing at them. */
export async function startDemo(dataDir?: string): Promise<DemoPaths & { banner: string; stop(): Promise<void>; services: DemoServices }> {
  const paths = await prepareDemo(dataDir);
  const services = await startDemoServices(paths.dataDir);
  await writeFile(paths.settingsFile, demoSettings(paths, services));
  const banner = [
    '──────────────────────────────────────────────────────────────────────────────',
    ' DEMO MODE — no settings.ini was found, so Distillery runs on local stand-ins:',
    ...services.describe.map((d) => `   • ${d}`),
    `   • Access: static IIIF in ${join(paths.dataDir, 'iiif')}, served at /iiif with a viewer at /viewer`,
    ` Sample collection "${DEMO_COLLECTION}" (${paths.generated ? 'generated' : 'kept from before'}) in ${paths.stage1}`,
    ` Signed in as the debug user hello@example.com. Settings: ${paths.settingsFile}`,
    ' To use real systems, copy example-settings.ini to settings.ini and fill it in.',
    '──────────────────────────────────────────────────────────────────────────────',
  ].join('\n');
  return { ...paths, banner, services, stop: () => services.stop() };
}

function demoSettings(p: DemoPaths, s: DemoServices): string {
  const port = demoWebPort();
  const lines = [
    '; Written by the demo at every start; edits are overwritten. Copy example-settings.ini to',
    '; ./settings.ini for a real installation.',
    '[settings]',
    `STATUS_FILES=${join(p.dataDir, 'status')}`,
    `STAGE_1_ORIGINAL_FILES=${p.stage1}`,
    `STAGE_2_ORIGINAL_FILES=${p.stage2}`,
    `STAGE_3_ORIGINAL_FILES=${p.stage3}`,
    `LOSSLESS_PRESERVATION_FILES=${join(p.dataDir, 'preservation')}`,
    `LOG_FILE=${join(p.dataDir, 'distillery.log')}`,
    `USERS_FILE=${p.usersFile}`,
    'WEB_IDENTITY=debug',
    // Every 5 seconds rather than every minute, so a demo run starts at once.
    'ALCHEMIST_SCHEDULE=*/5 * * * * *',
    'WEB_SECURE_COOKIES=false',
    'WEB_HOST=127.0.0.1',
    `WEB_PORT=${port}`,
    // Access copies as static IIIF in a folder the demo's web app serves, with its viewer; the
    // Islandora stand-in stays configured (DISTILLERY_ACCESS_PLATFORM=islandora switches to it).
    ...s.settings.map((l) => (l.startsWith('ACCESS_PLATFORM=') ? 'ACCESS_PLATFORM=iiif' : l)),
    `IIIF_PUBLISH_TO=${join(p.dataDir, 'iiif')}`,
    `IIIF_BASE_URL=http://127.0.0.1:${port}/iiif`,
    `IIIF_VIEWER_URL=http://127.0.0.1:${port}/viewer?manifest=`,
  ];
  return lines.join('\n') + '\n';
}
