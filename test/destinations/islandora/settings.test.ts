/** readIslandoraSettings: the original's keys, defaults for the new ones, every problem by key. */
import { describe, expect, it } from 'vitest';
import { readIslandoraSettings } from '../../../src/destinations/islandora/settings.js';
import { SettingsReader } from '../../../src/settings/reader.js';

describe('readIslandoraSettings', () => {
  it('reads the original keys and fills in defaults', () => {
    const r = new SettingsReader({
      ISLANDORA_SSH_HOST: 'islandora.example.org',
      ISLANDORA_SSH_USER: 'distillery',
      ISLANDORA_WEBROOT: '/var/www/html',
      ISLANDORA_URL: 'https://digital.example.org/',
      COMPRESSED_ACCESS_FILES: '/data/access',
      ISLANDORA_SSH_KEY: '/home/d/.ssh/id_ed25519',
    });
    const s = readIslandoraSettings(r);
    expect(r.problems).toEqual([]);
    expect(s.ssh).toEqual({ host: 'islandora.example.org', port: 22, user: 'distillery', keyPath: '/home/d/.ssh/id_ed25519', knownHostsPath: undefined, connectTimeoutSeconds: 20 });
    expect(s.url).toBe('https://digital.example.org');
    expect(s).toMatchObject({ namespace: 'caltech', parentCollection: 'islandora:root', drushCommand: 'drush', tesseractCommand: 'tesseract', jp2Encoder: 'opj_compress', jp2BitsPerPixel: 0.5, pageConcurrency: 2 });
  });

  it('lists every problem with its key', () => {
    const r = new SettingsReader({ ISLANDORA_SSH_PORT: 'ssh', ISLANDORA_URL: 'digital', ISLANDORA_JP2_ENCODER: 'kakadu', ISLANDORA_JP2_RATE: '-1' });
    readIslandoraSettings(r);
    expect(r.problems.map((p) => p.key).sort()).toEqual([
      'COMPRESSED_ACCESS_FILES',
      'ISLANDORA_JP2_RATE',
      'ISLANDORA_SSH_HOST',
      'ISLANDORA_SSH_PORT',
      'ISLANDORA_SSH_USER',
      'ISLANDORA_URL',
      'ISLANDORA_WEBROOT',
      'KDU_COMPRESS_CMD',
    ]);
    expect(r.problems.find((p) => p.key === 'KDU_COMPRESS_CMD')?.message).toMatch(/needed when ISLANDORA_JP2_ENCODER=kakadu/);
  });
});
