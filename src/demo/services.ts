/**
 * The stand-ins for the outside systems, each on loopback, each labelled as a stand-in: the
 * ArchivesSpace stand-in server, a real S3-compatible server (fauxqs), the rmt tape stand-in driven
 * by real GNU tar and mt, and a real OpenSSH server with the drush stand-in as the Islandora host.
 * Used by the demo (state kept under its data folder) and by the end-to-end trials.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { demoSeed, startArchivesSpaceStandIn, type Seed, type StandInHandle } from '../archivesspace/standin/index.js';
import { startSshd, type SshdHandle } from '../destinations/islandora/standin/sshd.js';
import { startLocalS3Server, type S3TestServer } from '../destinations/s3/localServer.js';
import { TapeDrive } from '../destinations/tape/drive.js';
import { readLabel, writeLabel } from '../destinations/tape/label.js';
import { createTape, createTapeLibrary, loadTape } from '../destinations/tape/standin/rmt-standin.js';
import { writeStandinRsh } from '../destinations/tape/standin/rsh.js';
import { IngestStandin } from '../destinations/network/standin/ingest.js';
import { LocalIms } from '../ocfl/ace/ims.js';
import { defaultLedgerPath } from '../ocfl/companion.js';

export const DEMO_BUCKET = 'distillery-preservation';
export const DEMO_TAPES = ['LTO-000001', 'LTO-000002', 'LTO-000003'];

export interface DemoServices {
  aspace: StandInHandle;
  s3: S3TestServer;
  sshd: SshdHandle;
  /** The preservation network's Ingest service stand-in, with its simulated nodes. */
  ingest: IngestStandin;
  /** The tape library folder of the rmt stand-in (one folder per tape, drive.json says which is loaded). */
  tapeLibrary: string;
  /** settings.ini lines that point Distillery at the stand-ins. */
  settings: string[];
  /** One line per stand-in for the start-up banner. */
  describe: string[];
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** ArchivesSpace seed; the demo collection by default. */
  seed?: Seed;
  /** Bytes one stand-in tape holds (to exercise a full tape). */
  tapeCapacity?: number;
}

export async function startDemoServices(dataDir: string, opts: ServiceOptions = {}): Promise<DemoServices> {
  const stops: (() => Promise<void>)[] = [];
  const settings: string[] = [];
  const describe: string[] = [];
  try {
    await mkdir(dataDir, { recursive: true });
    // Each stand-in gets the port it had last time when that port is free, so the addresses in
    // settings.ini and in the records Distillery writes stay the same across restarts.
    const ports = await readPorts(dataDir);
    const aspaceOpts = { seed: opts.seed ?? demoSeed(), host: '127.0.0.1', stateFile: join(dataDir, 'archivesspace-standin.json') };
    const aspace = ports.archivesspace
      ? await startArchivesSpaceStandIn({ ...aspaceOpts, port: ports.archivesspace }).catch(() => startArchivesSpaceStandIn({ ...aspaceOpts, port: 0 }))
      : await startArchivesSpaceStandIn({ ...aspaceOpts, port: 0 });
    stops.push(() => aspace.close());
    settings.push(
      `ASPACE_API_URL=${aspace.url}`,
      'ASPACE_USERNAME=admin',
      'ASPACE_PASSWORD=admin',
      `ASPACE_STAFF_URL=${aspace.url}/staff`,
      `ASPACE_PUBLIC_URL=${aspace.url}/public`,
    );
    describe.push(`ArchivesSpace: stand-in server at ${aspace.url} (records kept in archivesspace-standin.json)`);

    const s3 = await startLocalS3Server({ storageDir: join(dataDir, 's3'), preferredPort: ports.s3 });
    stops.push(() => s3.stop());
    await s3.createBucket(DEMO_BUCKET).catch(() => undefined);
    settings.push(
      'CLOUD_PLATFORM=s3',
      `S3_ENDPOINT=${s3.endpoint}`,
      `AWS_ACCESS_KEY=${s3.accessKeyId}`,
      `AWS_SECRET_KEY=${s3.secretAccessKey}`,
      `AWS_REGION=${s3.region}`,
      `PRESERVATION_BUCKET=${DEMO_BUCKET}`,
      // s3://bucket/key in ArchivesSpace: the same whatever port the local server listens on.
      'S3_FILE_URI_FORM=s3',
    );
    describe.push(`S3: local S3-compatible server (fauxqs) at ${s3.endpoint}, bucket ${DEMO_BUCKET} (objects kept in s3/)`);

    const tapeLibrary = join(dataDir, 'tape-library');
    const rsh = await prepareTapeLibrary(tapeLibrary, opts.tapeCapacity);
    settings.push(
      'ONSITE_MEDIUM=tape',
      'TAPE_DEVICE=localhost:/dev/nst0',
      'TAPE_MT_CMD=mt-gnu',
      `TAPE_RSH_CMD=${rsh}`,
      'TAPE_BLOCKING_FACTOR=64',
      'TAPE_INDICATOR_PREFIX=LTO-',
      `TAPE_CATALOGUE=${join(dataDir, 'status', 'tape-catalogue.json')}`,
    );
    describe.push(`Tape: rmt tape stand-in with tapes ${DEMO_TAPES.join(', ')} in tape-library/ (real GNU tar and mt)`);

    const sshd = await startSshd({ dir: join(dataDir, 'islandora-host'), preferredPort: ports.sshd });
    stops.push(() => sshd.stop());
    await writePorts(dataDir, { archivesspace: Number(new URL(aspace.url).port), s3: Number(new URL(s3.endpoint).port), sshd: sshd.port });
    settings.push(
      'ACCESS_PLATFORM=islandora',
      `ISLANDORA_SSH_HOST=${sshd.host}`,
      `ISLANDORA_SSH_PORT=${sshd.port}`,
      `ISLANDORA_SSH_USER=${sshd.user}`,
      `ISLANDORA_SSH_KEY=${sshd.keyPath}`,
      `ISLANDORA_KNOWN_HOSTS=${sshd.knownHostsPath}`,
      `ISLANDORA_WEBROOT=${sshd.webroot}`,
      'ISLANDORA_URL=https://islandora.example.edu',
      `COMPRESSED_ACCESS_FILES=${join(dataDir, 'access')}`,
      'ISLANDORA_NAMESPACE=demo',
    );
    describe.push(`Islandora (with ACCESS_PLATFORM=islandora): OpenSSH server on ${sshd.host}:${sshd.port} with a drush stand-in (books recorded in islandora-host/)`);

    // The preservation network: an Ingest stand-in with two nodes; tokens are checked against the
    // ledger of the local IMS the demo's storage root uses.
    // One IMS for the worker and the nodes: its ledger is named in the settings, so it stays the same
    // ledger whatever LOSSLESS_PRESERVATION_FILES is changed to.
    const ledger = defaultLedgerPath(join(dataDir, 'preservation', 'ocfl'));
    settings.push(`ACE_LEDGER=${ledger}`);
    const ingest = new IngestStandin({
      username: 'distillery', password: 'demo-network-password', depositors: ['demo'],
      stagingDir: join(dataDir, 'network', 'staging'), nodesDir: join(dataDir, 'network', 'nodes'), nodes: ['node-east', 'node-west'],
      ims: new LocalIms(ledger), stateFile: join(dataDir, 'network', 'ingest-standin.json'),
    });
    await mkdir(join(dataDir, 'network'), { recursive: true });
    await ingest.start();
    stops.push(() => ingest.stop());
    settings.push(
      `NETWORK_INGEST_URL=${ingest.url}`,
      'NETWORK_INGEST_USERNAME=distillery',
      'NETWORK_INGEST_PASSWORD=demo-network-password',
      'NETWORK_DEPOSITOR=demo',
      `NETWORK_STAGING_DIR=${join(dataDir, 'network', 'staging')}`,
      'NETWORK_FOLLOW_MINUTES=2',
      'NETWORK_POLL_SECONDS=1',
      'AUDIT_SCHEDULE=0 2 * * *',
    );
    describe.push(`Preservation network: Ingest stand-in at ${ingest.url} with nodes node-east and node-west (state in network/)`);

    return {
      aspace,
      s3,
      sshd,
      ingest,
      tapeLibrary,
      settings,
      describe,
      async stop() {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    throw err;
  }
}

/** A library of labelled tapes with the first loaded, made once; returns the rsh script. */
async function prepareTapeLibrary(library: string, capacity?: number): Promise<string> {
  const rsh = writeStandinRsh(join(library, '..', 'tape-rsh'), library);
  if (existsSync(join(library, 'drive.json'))) return rsh;
  const faults = capacity ? { capacityBytes: capacity } : {};
  createTapeLibrary(library, {}, null);
  for (const t of DEMO_TAPES) createTape(library, t, faults);
  const drive = new TapeDrive({ device: 'localhost:/dev/nst0', mtCommand: 'mt-gnu', tarCommand: 'tar', rshCommand: rsh, blockingFactor: 64 });
  for (const t of DEMO_TAPES) {
    loadTape(library, t);
    if ((await readLabel(drive)).kind !== 'labelled') await writeLabel(drive, t);
  }
  loadTape(library, DEMO_TAPES[0]);
  return rsh;
}

interface DemoPorts {
  archivesspace?: number;
  s3?: number;
  sshd?: number;
}

const portsFile = (dataDir: string) => join(dataDir, 'ports.json');

async function readPorts(dataDir: string): Promise<DemoPorts> {
  try {
    return JSON.parse(await readFile(portsFile(dataDir), 'utf8')) as DemoPorts;
  } catch {
    return {};
  }
}

async function writePorts(dataDir: string, ports: DemoPorts): Promise<void> {
  await writeFile(portsFile(dataDir), JSON.stringify(ports, null, 2) + '\n');
}
