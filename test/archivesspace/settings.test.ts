/** ArchivesSpace settings keys: defaults, secrets, and every problem reported by key. */
import { describe, expect, it } from 'vitest';
import { clientOptions, readArchivesSpaceSettings } from '../../src/archivesspace/settings.js';
import { SettingsReader } from '../../src/settings/reader.js';

describe('readArchivesSpaceSettings', () => {
  it('reads the original keys and the new ones with their defaults', () => {
    const r = new SettingsReader({
      ASPACE_API_URL: 'https://aspace.example.edu:8089/',
      ASPACE_USERNAME: 'distillery',
      ASPACE_PASSWORD: 'pw',
      ASPACE_STAFF_URL: 'https://aspace.example.edu/staff',
    });
    const s = readArchivesSpaceSettings(r);
    expect(r.problems).toEqual([]);
    expect(s).toEqual({
      baseUrl: 'https://aspace.example.edu:8089',
      username: 'distillery',
      password: 'pw',
      staffUrl: 'https://aspace.example.edu/staff',
      publicUrl: undefined,
      repositoryId: 2,
      timeoutMs: 30_000,
    });
    expect(r.secretKeys.has('ASPACE_PASSWORD')).toBe(true);
    expect(clientOptions(s)).toMatchObject({ baseUrl: s.baseUrl, repositoryId: 2 });
  });

  it('lists every problem at once', () => {
    const r = new SettingsReader({ ASPACE_API_URL: 'ftp://x', ASPACE_REPOSITORY_ID: 'two' });
    readArchivesSpaceSettings(r);
    expect(r.problems.map((p) => p.key).sort()).toEqual(['ASPACE_API_URL', 'ASPACE_PASSWORD', 'ASPACE_REPOSITORY_ID', 'ASPACE_USERNAME']);
    expect(r.problems.find((p) => p.key === 'ASPACE_PASSWORD')?.message).toMatch(/^is required but missing: add ASPACE_PASSWORD=…/);
  });
});
