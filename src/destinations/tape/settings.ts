/**
 * Settings of the onsite tape destination. New keys (the original reached its drive over ssh and
 * LTFS; this module drives it with mt and tar, locally or through the remote-tape protocol).
 */
import { join } from 'node:path';
import type { SettingsReader } from '../../settings/reader.js';

export interface TapeSettings {
  /** `/dev/nst0` (a drive on this host) or `host:/dev/nst0` (a drive on a tape server, reached with rmt). Always a non-rewinding device. */
  device: string;
  /** `mt` (mt-st) for a local drive; GNU `mt-gnu` (from cpio) for a `host:` device, since only it speaks rmt. */
  mtCommand: string;
  tarCommand: string;
  /** Remote shell for `host:` devices (tar and mt run `<rsh> host /etc/rmt`). */
  rshCommand?: string;
  /** tar blocking factor: records of N × 512 bytes (512 = 256 KiB, keeps an LTO drive streaming). */
  blockingFactor: number;
  /** Start of every tape indicator, used to suggest the next tape's label (e.g. "LTO7-" → "LTO7-000124"). */
  indicatorPrefix: string;
  /** ArchivesSpace container profile for the Tape top containers (the original's TAPE_CONTAINER_PROFILE_URI). */
  containerProfileUri?: string;
  /** The tape catalogue (JSON) on the shared mount. */
  cataloguePath: string;
  /** The original's tape keys that are present but no longer used (ssh/rsync/LTFS). */
  ignoredKeys: string[];
}

const OBSOLETE = [
  'TAPE_SSH_USER', 'TAPE_SSH_HOST', 'TAPE_SSH_PORT', 'TAPE_RSYNC_CMD', 'TAPE_LTO_MOUNTPOINT', 'TAPE_LTFS_CMD', 'TAPE_NAS_MOUNTPOINT',
  // The 2024 original's tape-server keys (its NAS mount and ssh key): mt and tar reach the drive instead.
  'TAPE_SSH_AUTHORIZED_KEY', 'TAPE_PYTHON3_CMD', 'TAPE_NAS_MOUNT_CMD', 'TAPE_NAS_USER', 'TAPE_NAS_PASS', 'TAPE_NAS_ARCHIVES_MOUNTPOINT', 'TAPE_PRESERVATION_FILES',
];

export function readTapeSettings(r: SettingsReader): TapeSettings {
  const device = r.string('TAPE_DEVICE', { default: '/dev/nst0', help: '/dev/nst0 for a local drive or host:/dev/nst0 for a drive on a tape server' });
  const remote = isRemoteDevice(device);
  const base = (device.split(':').pop() ?? device).split('/').pop() ?? '';
  if (!base.startsWith('n')) {
    r.problem('TAPE_DEVICE', `is "${device}", a rewinding device: use the non-rewinding one (e.g. /dev/nst0), or each tar would rewind the tape and the next write would overwrite it.`);
  }
  const statusFiles = r.raw('STATUS_FILES') ?? r.raw('PROCESSING_FILES');
  const cataloguePath = r.string('TAPE_CATALOGUE', { help: 'the tape catalogue JSON file on the shared mount, e.g. /mnt/distillery/status/tape-catalogue.json' }) ??
    (statusFiles ? join(statusFiles, 'tape-catalogue.json') : undefined);
  if (!cataloguePath) r.problem('TAPE_CATALOGUE', 'is required but missing: add TAPE_CATALOGUE=/path/on/the/shared/mount/tape-catalogue.json to settings.ini.');
  const ignoredKeys = OBSOLETE.filter((k) => r.has(k));
  return {
    device,
    mtCommand: r.string('TAPE_MT_CMD', { default: remote ? 'mt-gnu' : 'mt' }),
    tarCommand: r.string('TAPE_TAR_CMD', { default: 'tar' }),
    rshCommand: r.string('TAPE_RSH_CMD', { default: remote ? 'ssh' : '' }) || undefined,
    blockingFactor: r.int('TAPE_BLOCKING_FACTOR', { default: 512, min: 1, max: 8192, help: 'records of N × 512 bytes; 512 gives 256 KiB records' }),
    indicatorPrefix: r.string('TAPE_INDICATOR_PREFIX', { default: 'LTO-' }),
    containerProfileUri: r.string('TAPE_CONTAINER_PROFILE_URI'),
    cataloguePath: cataloguePath ?? '',
    ignoredKeys,
  };
}

/** GNU tar and mt take `host:path` (a colon before the first slash) as a remote device. */
export function isRemoteDevice(device: string): boolean {
  const colon = device.indexOf(':');
  return colon > 0 && !device.slice(0, colon).includes('/');
}
