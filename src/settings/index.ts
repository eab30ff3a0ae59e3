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

/** What a process reads: the web server needs only the core; the worker and `check` need all. */
export type SettingsScope = 'web' | 'worker';

export async function loadSettings(file = settingsPath(), scope: SettingsScope = 'worker', env: NodeJS.ProcessEnv = process.env): Promise<Settings> {
  const { values, sourceOf } = await readSettingsValues(file, env);
  const r = new SettingsReader(values, sourceOf, KEY_ALIASES);
  const core = readCoreSettings(file, r, env);
  const worker = scope === 'worker';
  const settings = {
    file,
    ...core,
    aspace: worker ? readArchivesSpaceSettings(r) : undefined,
    images: worker ? readImageSettings(r) : undefined,
    ocfl: worker ? readOcflSettings(r) : undefined,
    audit: worker ? readAuditSettings(r) : undefined,
    network: worker ? readNetworkSettings(r) : undefined,
    s3: worker && core.modules.cloud === 's3' ? readS3Settings(r) : undefined,
    tape: worker && core.modules.onsite === 'tape' ? readTapeSettings(r) : undefined,
    islandora: worker && core.modules.access === 'islandora' ? readIslandoraSettings(r) : undefined,
    iiif: core.modules.access === 'iiif' ? readIiifSettings(r) : undefined,
    secretKeys: r.secretKeys,
    reader: r,
  } as Settings;
  if (r.problems.length) throw new SettingsError(file, r.problems);
  // Relative paths in feature sections are relative to settings.ini, as the core folders are.
  if (settings.tape && !isAbsolute(settings.tape.cataloguePath)) settings.tape.cataloguePath = resolve(dirname(file), settings.tape.cataloguePath);
  // Islandora links each book to the archival object's public page: ArchivesSpace's public URL
  // unless a different base is set for it.
  if (settings.islandora && values.ISLANDORA_RECORD_LINK_BASE === undefined && settings.aspace.publicUrl) {
    settings.islandora.recordLinkBase = settings.aspace.publicUrl.replace(/\/+$/, '');
  }
  if (settings.iiif) {
    const p = settings.iiif.publishTo;
    if (p.kind === 'folder' && !isAbsolute(p.path)) p.path = resolve(dirname(file), p.path);
    if (!settings.iiif.recordLinkBase && settings.aspace?.publicUrl) settings.iiif.recordLinkBase = settings.aspace.publicUrl.replace(/\/+$/, '');
  }
  return settings;
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
