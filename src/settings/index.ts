/**
 * The whole typed settings object: the core sections every process needs and the sections of
 * the features a process uses. Each feature validates its own section; every problem from every
 * section is reported together.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { readAuditSettings, type AuditSettings } from '../audit/settings.js';
import { readNetworkSettings, type NetworkSettings } from '../destinations/network/settings.js';
import { readArchivesSpaceSettings, type ArchivesSpaceSettings } from '../archivesspace/settings.js';
import { readIslandoraSettings, type IslandoraSettings } from '../destinations/islandora/settings.js';
import { readIiifSettings, type IiifSettings } from '../destinations/iiif/settings.js';
import { readS3Settings, type S3Settings } from '../destinations/s3/settings.js';
import { readTapeSettings, type TapeSettings } from '../destinations/tape/settings.js';
import { readImageSettings, type ImageSettings } from '../images/settings.js';
import { readOcflSettings, type OcflSettings } from '../ocfl/settings.js';
import { KEY_ALIASES } from './aliases.js';
import { SettingsReader } from './reader.js';
import { type CoreSettings, readCoreSettings, readSettingsValues, SettingsError, settingsPath } from './settings.js';

export interface Settings extends CoreSettings {
  aspace: ArchivesSpaceSettings;
  images: ImageSettings;
  ocfl: OcflSettings;
  audit: AuditSettings;
  /** The preservation network (off unless NETWORK_INGEST_URL is set). */
  network?: NetworkSettings;
  s3?: S3Settings;
  tape?: TapeSettings;
  islandora?: IslandoraSettings;
  iiif?: IiifSettings;
}

/**
 * What `loadSettings(…, 'web')` gives: the core sections, and the IIIF section when IIIF is the
 * access platform (the web app serves its viewer and a locally published folder). The worker's
 * sections are not there, and the type says so.
 */
export interface WebProcessSettings extends CoreSettings {
  iiif?: IiifSettings;
}

/** What a process reads: the web server needs only the core (and IIIF); the worker and `check` need all. */
export type SettingsScope = 'web' | 'worker';

/**
 * Reads settings.ini with its environment overrides (`env`: DISTILLERY_<KEY>, NODE_ENV), validates
 * it as a whole and returns it frozen: every value, derived ones included (paths relative to
 * settings.ini, record links defaulting to ArchivesSpace's public URL), is settled here, and
 * nothing changes it afterwards. To run with other values, give other overrides in `env`.
 */
export function loadSettings(file?: string, scope?: 'worker', env?: NodeJS.ProcessEnv): Promise<Settings>;
export function loadSettings(file: string, scope: 'web', env?: NodeJS.ProcessEnv): Promise<WebProcessSettings>;
export async function loadSettings(file = settingsPath(), scope: SettingsScope = 'worker', env: NodeJS.ProcessEnv = process.env): Promise<Settings | WebProcessSettings> {
  const { values, sourceOf } = await readSettingsValues(file, env);
  const r = new SettingsReader(values, sourceOf, KEY_ALIASES);
  const core = readCoreSettings(file, r, env);
  const inSettingsFolder = (p: string) => (isAbsolute(p) ? p : resolve(dirname(file), p));
  // Relative paths in feature sections are relative to settings.ini, as the core folders are;
  // record links default to ArchivesSpace's public pages.
  const iiifOf = (iiif: IiifSettings, publicBase: string | undefined): IiifSettings => ({
    ...iiif,
    publishTo: iiif.publishTo.kind === 'folder' ? { ...iiif.publishTo, path: inSettingsFolder(iiif.publishTo.path) } : iiif.publishTo,
    recordLinkBase: iiif.recordLinkBase || publicBase,
  });
  let settings: Settings | WebProcessSettings;
  if (scope === 'web') {
    const iiif = core.modules.access === 'iiif' ? readIiifSettings(r) : undefined;
    settings = { file, ...core, iiif: iiif && iiifOf(iiif, undefined), secretKeys: r.secretKeys, reader: r };
  } else {
    const aspace = readArchivesSpaceSettings(r);
    const publicBase = aspace.publicUrl?.replace(/\/+$/, '') || undefined;
    const images = readImageSettings(r);
    const ocfl = readOcflSettings(r);
    const audit = readAuditSettings(r);
    const network = readNetworkSettings(r);
    const s3 = core.modules.cloud === 's3' ? readS3Settings(r) : undefined;
    const tape = core.modules.onsite === 'tape' ? readTapeSettings(r) : undefined;
    const islandora = core.modules.access === 'islandora' ? readIslandoraSettings(r) : undefined;
    const iiif = core.modules.access === 'iiif' ? readIiifSettings(r) : undefined;
    settings = {
      file,
      ...core,
      aspace,
      images,
      ocfl,
      audit,
      network,
      s3,
      tape: tape && { ...tape, cataloguePath: inSettingsFolder(tape.cataloguePath) },
      // Islandora links each book to the archival object's public page: ArchivesSpace's public
      // URL unless a different base is set for it.
      islandora: islandora && values.ISLANDORA_RECORD_LINK_BASE === undefined && publicBase ? { ...islandora, recordLinkBase: publicBase } : islandora,
      iiif: iiif && iiifOf(iiif, publicBase),
      secretKeys: r.secretKeys,
      reader: r,
    };
  }
  if (r.problems.length) throw new SettingsError(file, r.problems);
  return deepFreeze(settings);
}

/** Freezes the plain objects and arrays of the settings (not the reader, which keeps track of reads). */
function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return value;
  for (const v of Object.values(value)) deepFreeze(v);
  return Object.freeze(value);
}

/**
 * The worker settings for a command-line command; when they have problems, prints them with
 * `err` and returns undefined (the command then exits 2).
 */
export async function commandSettings(err: (text: string) => void): Promise<Settings | undefined> {
  try {
    return await loadSettings(settingsPath(), 'worker');
  } catch (e) {
    if (e instanceof SettingsError) {
      err(`${e.message}\n`);
      return undefined;
    }
    throw e;
  }
}

export { SettingsError, settingsPath };
