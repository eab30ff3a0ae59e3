/**
 * Settings of the preservation-package layer. The digest algorithm is fixed (sha512 content
 * addresses, sha256 fixity) and the layout is fixed (0004), so there is little to set.
 */
import type { SettingsReader } from '../settings/reader.js';
import { LocalIms, type Ims } from './ace/ims.js';
import { defaultLedgerPath } from './companion.js';
import { DEFAULT_ID_NAMESPACE } from './identity.js';

export interface OcflSettings {
  /** ACE_IMS: which Integrity Management Service issues ACE tokens. Only "local" exists today. */
  ims: 'local';
  /** ACE_LEDGER: the local IMS's round ledger; default `<storage root>-distillery/ims-ledger.jsonl`. */
  ledgerPath?: string;
  /** ACE_MINIMUM_ROUND_LEAVES: pad small rounds with random leaves up to this many (the IMS's minimumRequests; 8 in ACE). */
  minimumRoundLeaves: number;
  /** KEEP_LOCAL_PAYLOAD: keep payload files on local disk after every destination verified them (default true). */
  keepLocalPayload: boolean;
  /**
   * OCFL_ID_NAMESPACE: what every object id starts with, before the archival object's
   * repository-relative URI. Set once: it is pinned beside the storage root at first use.
   */
  idNamespace: string;
}

export function readOcflSettings(r: SettingsReader): OcflSettings {
  return {
    ims: r.oneOf('ACE_IMS', ['local'] as const, { default: 'local', help: 'the integrity service for ACE tokens; "local" keeps a ledger on disk' }) ?? 'local',
    ledgerPath: r.string('ACE_LEDGER', { help: 'path of the local IMS ledger file (JSON Lines); it must be kept and backed up' }),
    minimumRoundLeaves: r.int('ACE_MINIMUM_ROUND_LEAVES', { default: 8, min: 1, max: 1024, help: 'pad token rounds with random leaves up to this many (8, as ACE\'s SHA-256-0 token class)' }),
    idNamespace: readIdNamespace(r),
    keepLocalPayload: r.bool('KEEP_LOCAL_PAYLOAD', {
      default: true,
      help: 'false removes an object\'s payload from local disk once every chosen destination has verified it (inventories stay)',
    }),
  };
}

/** The IMS the settings choose, for a storage root. */
export function imsFrom(settings: Pick<OcflSettings, 'ims' | 'ledgerPath' | 'minimumRoundLeaves'>, rootPath: string): Ims {
  return new LocalIms(settings.ledgerPath ?? defaultLedgerPath(rootPath), { minimumLeaves: settings.minimumRoundLeaves });
}

function readIdNamespace(r: SettingsReader): string {
  const ns = r.string('OCFL_ID_NAMESPACE', { default: DEFAULT_ID_NAMESPACE, help: 'set once, never changed: object ids are this followed by /repositories/N/archival_objects/N' });
  if (/\s/.test(ns) || !/^[a-z][a-z0-9+.-]*:/i.test(ns)) {
    r.problem('OCFL_ID_NAMESPACE', `must be a URI prefix without spaces, such as info:archivesspace or https://archives.example.edu, not "${ns}".`);
  }
  return ns;
}
