/** The [settings] keys of the ArchivesSpace connection (the original's names, plus new ones). */
import type { SettingsReader } from '../settings/reader.js';
import type { ArchivesSpaceClientOptions } from './client.js';

export interface ArchivesSpaceSettings {
  /** ASPACE_API_URL: the backend API, e.g. https://aspace.example.edu:8089 */
  baseUrl: string;
  username: string;
  password: string;
  /** ASPACE_STAFF_URL: the staff interface, for links in the status stream. */
  staffUrl?: string;
  /** ASPACE_PUBLIC_URL: the public interface, for the archival object's public link. */
  publicUrl?: string;
  /** ASPACE_REPOSITORY_ID: the repository the collections are in (the original hard-coded 2). */
  repositoryId: number;
  /** ASPACE_TIMEOUT_SECONDS: time-out of one request. */
  timeoutMs: number;
}

export function readArchivesSpaceSettings(r: SettingsReader): ArchivesSpaceSettings {
  return {
    baseUrl: r.url('ASPACE_API_URL', { required: true, help: 'the ArchivesSpace backend API, usually port 8089' }) ?? '',
    username: r.string('ASPACE_USERNAME', { required: true, help: 'an ArchivesSpace user allowed to edit digital objects' }) ?? '',
    password: r.secret('ASPACE_PASSWORD', { required: true, help: "the ArchivesSpace user's password" }) ?? '',
    staffUrl: r.url('ASPACE_STAFF_URL', { help: 'the staff interface, for links to records' }),
    publicUrl: r.url('ASPACE_PUBLIC_URL', { help: 'the public interface, for public links to records' }),
    repositoryId: r.int('ASPACE_REPOSITORY_ID', { default: 2, min: 1, help: 'the number in /repositories/N of the collections' }),
    timeoutMs: r.int('ASPACE_TIMEOUT_SECONDS', { default: 30, min: 1, max: 3600, help: 'time-out of one ArchivesSpace request' }) * 1000,
  };
}

/** The client options for these settings. */
export function clientOptions(s: ArchivesSpaceSettings): ArchivesSpaceClientOptions {
  return {
    baseUrl: s.baseUrl,
    username: s.username,
    password: s.password,
    repositoryId: s.repositoryId,
    staffUrl: s.staffUrl,
    publicUrl: s.publicUrl,
    timeoutMs: s.timeoutMs,
  };
}
