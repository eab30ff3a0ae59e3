/** The audit and network settings: defaults, every problem named by key with what to do, secrets kept. */
import { expect, test } from 'vitest';
import { readAuditSettings } from '../../src/audit/settings.js';
import { readNetworkSettings } from '../../src/destinations/network/settings.js';
import { SettingsReader } from '../../src/settings/reader.js';

test('audits: off by default with bounded reads; a bad schedule is named with an example', () => {
  const r = new SettingsReader({});
  expect(readAuditSettings(r)).toEqual({ schedule: undefined, rateMBps: 50, tapeCycleDays: 90, tapeFilesPerNight: 4, notifyCommand: undefined });
  const bad = new SettingsReader({ AUDIT_SCHEDULE: 'every night', AUDIT_RATE_MB_PER_S: '-1' });
  readAuditSettings(bad);
  expect(bad.problems.map((p) => p.key)).toEqual(['AUDIT_SCHEDULE', 'AUDIT_RATE_MB_PER_S']);
  expect(bad.problems[0].message).toContain('e.g. "30 1 * * *" for every night at 01:30');
});

test('network: off without NETWORK_INGEST_URL (its other keys still count as known); on, every missing key is named and the password is secret', () => {
  const off = new SettingsReader({ NETWORK_DEPOSITOR: 'x' });
  expect(readNetworkSettings(off)).toBeUndefined();
  expect(off.unreadKeys()).toEqual([]);
  const on = new SettingsReader({ NETWORK_INGEST_URL: 'https://ingest.example.edu', NETWORK_STAGING_DIR: 'relative/dir', NETWORK_INGEST_PASSWORD: 's3cret' });
  const s = readNetworkSettings(on);
  expect(on.problems.map((p) => p.key).sort()).toEqual(['NETWORK_DEPOSITOR', 'NETWORK_INGEST_USERNAME', 'NETWORK_STAGING_DIR']);
  expect(on.problems.find((p) => p.key === 'NETWORK_STAGING_DIR')!.message).toContain('must be an absolute path');
  expect(on.secretKeys.has('NETWORK_INGEST_PASSWORD')).toBe(true);
  expect(s).toMatchObject({ ingestUrl: 'https://ingest.example.edu', storageRegion: 1, followMinutes: 10, pollSeconds: 10 });
});

test('distillery audit and distillery network refuse bad usage with the usage line (exit 2), before reading settings', async () => {
  const { auditCommand } = await import('../../src/audit/cli.js');
  const { networkCommand } = await import('../../src/destinations/network/cli.js');
  const err: string[] = [];
  const io = { out: () => undefined, err: (t: string) => err.push(t) };
  expect(await auditCommand([], io)).toBe(2);
  expect(await auditCommand(['C1', '--all'], io)).toBe(2);
  expect(await auditCommand(['../x'], io)).toBe(2);
  expect(await networkCommand(['purge', 'C1', 'id'], io)).toBe(2);
  expect(await networkCommand(['nonsense'], io)).toBe(2);
  expect(err[0]).toContain('Usage: distillery audit <collection> | --all [--json]');
  expect(err.at(-1)).toContain('Usage: distillery network status <collection>');
});
