/**
 * The access destination for ACCESS_PLATFORM=islandora: each folder becomes an Islandora 7 book in
 * its collection, and the digital object in ArchivesSpace gets the book and thumbnail links.
 */
import { AccessDestination } from '../access/destination.js';
import { Islandora7Platform } from './islandora7.js';
import type { IslandoraSettings } from './settings.js';

export class IslandoraDestination extends AccessDestination {
  constructor(settings: IslandoraSettings) {
    super(new Islandora7Platform(settings), settings.access);
  }
}

export { readIslandoraSettings, type IslandoraSettings } from './settings.js';
export { AccessDestination, accessFileVersions } from '../access/destination.js';
export type { AccessPlatform, AccessLinks } from '../access/platform.js';
export { Islandora7Platform } from './islandora7.js';
export { DrushError } from './drush.js';
export { SshError } from './ssh.js';
