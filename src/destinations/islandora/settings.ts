/**
 * Settings of the Islandora access destination: the original's keys (ISLANDORA_SSH_HOST/PORT/USER,
 * ISLANDORA_WEBROOT, ISLANDORA_URL, COMPRESSED_ACCESS_FILES, TESSERACT_CMD, KDU_COMPRESS_CMD) plus
 * new ones for what the original hard-coded or left to ~/.ssh.
 */
import type { SettingsReader } from '../../settings/reader.js';
import { readAccessOptions, type AccessOptions } from '../access/settings.js';
import type { SshOptions } from './ssh.js';

export type Jp2Encoder = 'opj_compress' | 'kakadu';

export interface IslandoraSettings {
  ssh: SshOptions;
  /** Drupal root on the server, passed as drush --root. */
  webroot: string;
  /** drush on the server (a name on its PATH or an absolute path). */
  drushCommand: string;
  /** Public base URL of Islandora, e.g. https://digital.archives.caltech.edu. */
  url: string;
  /** Local folder where the book staging trees are built. */
  stagingDir: string;
  /** Namespace of collection objects: the collection PID is `<namespace>:<collection ID>`. */
  namespace: string;
  /** Parent of new collection objects. */
  parentCollection: string;
  /** Where the archival object's public page is: `<base><archival object uri>`. */
  recordLinkBase: string;
  tesseractCommand: string;
  /** Pages processed at once (each runs tesseract with one thread). */
  pageConcurrency: number;
  jp2Encoder: Jp2Encoder;
  /** Bits per pixel of the lossy access JP2 (the original used kdu_compress -rate 0.5). */
  jp2BitsPerPixel: number;
  opjCompressCommand: string;
  opjDecompressCommand: string;
  kduCompressCommand?: string;
  /** exiftool, to embed the preservation image's XMP in each derivative (EXIFTOOL_CMD); exiftool-vendored's own when absent. */
  exiftoolCommand?: string;
  /** The platform-neutral access settings (ACCESS_DIGITAL_OBJECT_PUBLISH, ACCESS_REPLACE_OTHER_LINKS); defaults when absent. */
  access?: AccessOptions;
}

export function readIslandoraSettings(r: SettingsReader): IslandoraSettings {
  const help = 'needed when ACCESS_PLATFORM=islandora';
  const encoder = r.oneOf('ISLANDORA_JP2_ENCODER', ['opj_compress', 'kakadu'] as const, {
    default: 'opj_compress',
    help: 'encoder of the lossy access JP2',
  }) as Jp2Encoder;
  const settings: IslandoraSettings = {
    ssh: {
      host: r.string('ISLANDORA_SSH_HOST', { required: true, help }) ?? '',
      port: r.int('ISLANDORA_SSH_PORT', { default: 22, min: 1, max: 65535 }),
      user: r.string('ISLANDORA_SSH_USER', { required: true, help }) ?? '',
      keyPath: r.string('ISLANDORA_SSH_KEY'),
      knownHostsPath: r.string('ISLANDORA_KNOWN_HOSTS'),
      connectTimeoutSeconds: r.int('ISLANDORA_SSH_CONNECT_TIMEOUT', { default: 20, min: 1, max: 600 }),
    },
    webroot: r.string('ISLANDORA_WEBROOT', { required: true, help: 'the Drupal root on the Islandora server, e.g. /var/www/html' }) ?? '',
    drushCommand: r.string('ISLANDORA_DRUSH_CMD', { default: 'drush' }),
    url: r.url('ISLANDORA_URL', { required: true, help }) ?? '',
    stagingDir: r.string('COMPRESSED_ACCESS_FILES', { required: true, help: 'local folder for the Islandora staging trees' }) ?? '',
    namespace: r.string('ISLANDORA_NAMESPACE', { default: 'caltech' }),
    parentCollection: r.string('ISLANDORA_PARENT_COLLECTION', { default: 'islandora:root' }),
    recordLinkBase: (r.url('ISLANDORA_RECORD_LINK_BASE', { default: 'https://collections.archives.caltech.edu' }) ??
      'https://collections.archives.caltech.edu'),
    tesseractCommand: r.string('TESSERACT_CMD', { default: 'tesseract' }),
    pageConcurrency: r.int('ISLANDORA_PAGE_CONCURRENCY', { default: 2, min: 1, max: 64 }),
    jp2Encoder: encoder,
    jp2BitsPerPixel: bitsPerPixel(r),
    opjCompressCommand: r.string('OPJ_COMPRESS_CMD', { default: 'opj_compress' }),
    opjDecompressCommand: r.string('OPJ_DECOMPRESS_CMD', { default: 'opj_decompress' }),
    kduCompressCommand: r.string('KDU_COMPRESS_CMD', {
      required: encoder === 'kakadu',
      help: 'path of kdu_compress, needed when ISLANDORA_JP2_ENCODER=kakadu',
    }),
    access: readAccessOptions(r),
  };
  return settings;
}

function bitsPerPixel(r: SettingsReader): number {
  const raw = r.raw('ISLANDORA_JP2_RATE');
  if (raw === undefined) return 0.5;
  // Decimal only: Number() would also read 0x1 or 1e1.
  const n = /^(\d+(\.\d*)?|\.\d+)$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 24) {
    r.problem('ISLANDORA_JP2_RATE', `must be bits per pixel between 0 and 24 (e.g. 0.5), but is "${raw}".`);
    return 0.5;
  }
  return n;
}
