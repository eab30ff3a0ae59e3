/**
 * Settings of the access process that do not depend on the platform: how the digital object in
 * ArchivesSpace is treated when access links are recorded.
 */
import type { SettingsReader } from '../../settings/reader.js';

export interface AccessOptions {
  /**
   * ACCESS_DIGITAL_OBJECT_PUBLISH: publish the digital object when its access links are recorded,
   * as the original did (true); false keeps it unpublished.
   */
  publishDigitalObject: boolean;
  /**
   * ACCESS_REPLACE_OTHER_LINKS: published links on the digital object that point elsewhere (not to
   * this folder's object on the platform) are refused by default; true unpublishes them (they stay
   * on the record) and records the new links.
   */
  replaceOtherLinks: boolean;
}

export const DEFAULT_ACCESS_OPTIONS: AccessOptions = { publishDigitalObject: true, replaceOtherLinks: false };

export function readAccessOptions(r: SettingsReader): AccessOptions {
  return {
    publishDigitalObject: r.bool('ACCESS_DIGITAL_OBJECT_PUBLISH', { default: true }),
    replaceOtherLinks: r.bool('ACCESS_REPLACE_OTHER_LINKS', { default: false }),
  };
}
