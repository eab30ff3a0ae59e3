/**
 * Settings of the preservation network destination (a Chronopolis-style Ingest service). Off
 * unless NETWORK_INGEST_URL is set.
 */
import { isAbsolute } from 'node:path';
import type { SettingsReader } from '../../settings/reader.js';

export interface NetworkSettings {
  /** NETWORK_INGEST_URL: the Ingest service's base URL. */
  ingestUrl: string;
  username: string;
  password: string;
  /** The depositor namespace the bags are registered under. */
  depositor: string;
  /** The staging folder of the storage region the network's nodes pull from. */
  stagingDir: string;
  /** The storage region's id in Ingest. */
  storageRegion: number;
  /** How long a run follows a bag towards PRESERVED before it records where it got to. */
  followMinutes: number;
  /** How often it asks. */
  pollSeconds: number;
}

export function readNetworkSettings(r: SettingsReader): NetworkSettings | undefined {
  const ingestUrl = r.url('NETWORK_INGEST_URL', { help: 'the Ingest service of the preservation network; empty turns the network off' });
  if (!ingestUrl) {
    // The other keys belong to the network too (not typos) even while it is off.
    for (const k of ['NETWORK_INGEST_USERNAME', 'NETWORK_INGEST_PASSWORD', 'NETWORK_DEPOSITOR', 'NETWORK_STAGING_DIR', 'NETWORK_STORAGE_REGION', 'NETWORK_FOLLOW_MINUTES', 'NETWORK_POLL_SECONDS']) r.has(k);
    return undefined;
  }
  const stagingDir = r.string('NETWORK_STAGING_DIR', { required: true, help: 'the folder the network\'s nodes pull staged objects from' }) ?? '';
  if (stagingDir && !isAbsolute(stagingDir)) r.problem('NETWORK_STAGING_DIR', `must be an absolute path, not "${stagingDir}".`);
  return {
    ingestUrl,
    username: r.string('NETWORK_INGEST_USERNAME', { required: true, help: 'the Ingest account Distillery registers bags with' }) ?? '',
    password: r.secret('NETWORK_INGEST_PASSWORD', { required: true, help: 'its password' }) ?? '',
    depositor: r.string('NETWORK_DEPOSITOR', { required: true, help: 'the depositor namespace in Ingest' }) ?? '',
    stagingDir,
    storageRegion: r.int('NETWORK_STORAGE_REGION', { default: 1, min: 1, max: 1_000_000, help: 'the id of the storage region NETWORK_STAGING_DIR belongs to' }),
    followMinutes: r.int('NETWORK_FOLLOW_MINUTES', { default: 10, min: 0, max: 24 * 60, help: 'how long a run waits for a bag to be preserved' }),
    pollSeconds: r.int('NETWORK_POLL_SECONDS', { default: 10, min: 1, max: 3600 }),
  };
}
