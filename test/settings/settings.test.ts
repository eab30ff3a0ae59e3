/**
 * settings.ini as the librarian writes it: the documented example loads, every key Distillery reads
 * is documented there, and a bad file is reported key by key, all problems at once, secrets unshown.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { loadSettings, SettingsError } from '../../src/settings/index.js';

const EXAMPLE = resolve(import.meta.dirname, '../../example-settings.ini');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'distillery-settings-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The example with its secrets filled in (the example leaves them empty, as it should). */
async function exampleWithSecrets(extra = ''): Promise<string> {
  const text = (await readFile(EXAMPLE, 'utf8'))
    .replace(/^ASPACE_PASSWORD=$/m, 'ASPACE_PASSWORD=hunter2-archivesspace')
    .replace(/^AWS_ACCESS_KEY=$/m, 'AWS_ACCESS_KEY=AKIAEXAMPLE')
    .replace(/^AWS_SECRET_KEY=$/m, 'AWS_SECRET_KEY=wJalrXUtnFEMI-secret')
    .replace(/^WEB_SESSION_SECRET=$/m, 'WEB_SESSION_SECRET=0123456789abcdef0123456789abcdef')
    .replace(/^TAPE_CONTAINER_PROFILE_URI=$/m, 'TAPE_CONTAINER_PROFILE_URI=/container_profiles/5');
  const file = join(dir, 'settings.ini');
  await writeFile(file, text + extra);
  return file;
}

async function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): Promise<SettingsError> {
  const file = join(dir, 'settings.ini');
  await writeFile(file, text);
  const err = await loadSettings(file, 'worker', env).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SettingsError);
  return err as SettingsError;
}

test('example-settings.ini, with its secrets filled in, loads into one typed object', async () => {
  const s = await loadSettings(await exampleWithSecrets(), 'worker', {});
  expect(s.folders.statusFiles).toBe('/mnt/distillery/status');
  expect(s.web).toMatchObject({ port: 1234, host: '127.0.0.1', identity: 'header', identityHeader: 'x-remote-user' });
  expect(s.modules).toEqual({ cloud: 's3', onsite: 'tape', access: 'islandora' });
  expect(s.aspace).toMatchObject({ baseUrl: 'https://archivesspace.example.edu:8089', repositoryId: 2, timeoutMs: 30_000 });
  expect(s.s3).toMatchObject({ bucket: 'distillery-preservation', storageClass: 'DEEP_ARCHIVE', prefix: 'ocfl/' });
  expect(s.tape).toMatchObject({ device: '/dev/nst0', blockingFactor: 512, cataloguePath: '/mnt/distillery/status/tape-catalogue.json' });
  expect(s.islandora).toMatchObject({ webroot: '/var/www/html', recordLinkBase: 'https://collections.archives.example.edu' });
  expect(s.reader.unreadKeys()).toEqual([]);
});

test('every key Distillery reads is documented in example-settings.ini', async () => {
  const s = await loadSettings(await exampleWithSecrets(), 'worker', {});
  const text = await readFile(EXAMPLE, 'utf8');
  const documented = new Set([...text.matchAll(/^;?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
  // PROCESSING_FILES is the original's name for STATUS_FILES, documented beside it.
  const undocumented = [...s.reader.keysRead].filter((k) => !documented.has(k) && !text.includes(k));
  expect(undocumented).toEqual([]);
});

test('a bad file: every problem at once, each named by key with what to do, secrets never shown', async () => {
  const err = await problemsOf(
    [
      '[settings]',
      'STATUS_FILES=/srv/status',
      'STAGE_1_ORIGINAL_FILES=/srv/a',
      'STAGE_2_ORIGINAL_FILES=/srv/a',
      'STAGE_3_ORIGINAL_FILES=/srv/c',
      'WEB_PORT=99999',
      'CLOUD_PLATFORM=glacier',
      'ASPACE_API_URL=not a url',
      'ASPACE_PASSWORD=hunter2-archivesspace',
      'ASPACE_TIMEOUT_SECONDS=soon',
      'WEB_SESSION_SECRET=short',
      'ALCHEMIST_SCHEDULE=every minute',
      '',
    ].join('\n'),
  );
  const keys = err.problems.map((p) => p.key);
  expect(keys).toEqual(expect.arrayContaining([
    'LOSSLESS_PRESERVATION_FILES', 'STAGE_1_ORIGINAL_FILES', 'WEB_PORT', 'CLOUD_PLATFORM', 'ASPACE_API_URL', 'ASPACE_USERNAME',
    'ASPACE_TIMEOUT_SECONDS', 'WEB_SESSION_SECRET', 'ALCHEMIST_SCHEDULE',
  ]));
  expect(err.message).toMatch(/^\d+ problems in .*settings\.ini:/);
  expect(err.message).toContain('LOSSLESS_PRESERVATION_FILES is required but missing: add LOSSLESS_PRESERVATION_FILES=');
  expect(err.message).toContain('STAGE_1, STAGE_2 and STAGE_3_ORIGINAL_FILES must be three different folders');
  expect(err.message).toContain('WEB_PORT must be between 0 and 65535, but is 99999');
  expect(err.message).toContain('ASPACE_TIMEOUT_SECONDS must be a whole number');
  expect(err.message).toContain('ALCHEMIST_SCHEDULE is not a cron schedule');
  expect(err.message).not.toContain('hunter2');
});

test('environment variables DISTILLERY_<KEY> override the file, and messages say where a bad value came from', async () => {
  const file = await exampleWithSecrets();
  const s = await loadSettings(file, 'worker', { DISTILLERY_WEB_PORT: '8080', DISTILLERY_ASPACE_PASSWORD: 'from-vault' });
  expect(s.web.port).toBe(8080);
  expect(s.aspace.password).toBe('from-vault');
  const err = (await loadSettings(file, 'worker', { DISTILLERY_S3_PART_SIZE_MB: 'big' }).catch((e: unknown) => e)) as SettingsError;
  expect(err.message).toContain('S3_PART_SIZE_MB must be a whole number, but environment DISTILLERY_S3_PART_SIZE_MB has "big"');
});

test('the debug user is refused in production', async () => {
  const file = await exampleWithSecrets('WEB_IDENTITY=debug\n');
  const err = (await loadSettings(file, 'web', { NODE_ENV: 'production' }).catch((e: unknown) => e)) as SettingsError;
  expect(err).toBeInstanceOf(SettingsError);
  expect(err.message).toContain('WEB_IDENTITY is "debug" but NODE_ENV is production');
  await expect(loadSettings(file, 'web', {})).resolves.toMatchObject({ web: { identity: 'debug' } });
});

test('a missing file or a file without [settings] says how to make one', async () => {
  const missing = (await loadSettings(join(dir, 'nope.ini'), 'web', {}).catch((e: unknown) => e)) as SettingsError;
  expect(missing.message).toContain('copy example-settings.ini to settings.ini');
  const err = await problemsOf('STATUS_FILES=/srv/status\n');
  expect(err.message).toContain('[settings] section is missing');
});

test('a key nothing reads (a typo) is listed, so check can point at it', async () => {
  const s = await loadSettings(await exampleWithSecrets('ASPACE_PASWORD=oops\n'), 'worker', {});
  expect(s.reader.unreadKeys()).toEqual(['ASPACE_PASWORD']);
});

test("the original's settings.ini keys that are no longer needed load and are named as such, not as typos", async () => {
  const s = await loadSettings(await exampleWithSecrets('SHA512SUM_CMD=/usr/bin/sha512sum\nMAGICK_CMD=/usr/bin/convert\nTAPE_LTFS_CMD=/usr/bin/ltfs\n'), 'worker', {});
  expect(s.obsoleteKeys).toEqual(['MAGICK_CMD', 'SHA512SUM_CMD']);
  expect(s.tape?.ignoredKeys).toEqual(['TAPE_LTFS_CMD']);
  expect(s.reader.unreadKeys()).toEqual([]);
});

test('relative folders are relative to settings.ini, the tape catalogue included', async () => {
  const file = await exampleWithSecrets('STATUS_FILES=status\n');
  const s = await loadSettings(file, 'worker', {});
  expect(s.folders.statusFiles).toBe(join(dir, 'status'));
  expect(s.tape?.cataloguePath).toBe(join(dir, 'status', 'tape-catalogue.json'));
});

test("a settings.ini in the 2024 original's names (caltechlibrary/distillery d7d919f) loads: its key names are read as aliases, its tape NAS keys named as not needed", async () => {
  // Keys and comments as the original's settings.ini-example has them.
  const text = [
    '[settings]',
    'ASPACE_API_URL=https://archivesspace.example.org/staff/api',
    'ASPACE_PASSWORD=apiuserpass',
    'ASPACE_USERNAME=apiusername',
    'ASPACE_STAFF_URL=https://archivesspace.example.org/staff',
    'ASPACE_PUBLIC_URL=https://archivesspace.example.org/public',
    'DISTILLERY_AWS_ACCESS_KEY_ID=ACCESS_KEY',
    'DISTILLERY_AWS_SECRET_ACCESS_KEY=SECRET_KEY_VALUE',
    'DISTILLERY_AWS_REGION=us-east-1',
    'PRESERVATION_BUCKET=s3-bucket-name',
    'WORK_LOG_FILES=/srv/log',
    'INITIAL_ORIGINAL_FILES=/srv/initial',
    'STAGE_2_ORIGINAL_FILES=/srv/working',
    'STAGE_3_ORIGINAL_FILES=/srv/complete',
    'WORK_PRESERVATION_FILES=/srv/preservation',
    'WORK_EXIFTOOL_CMD=/usr/bin/exiftool',
    'WORK_MAGICK_CMD=/path/to/magick',
    'CLOUD_PLATFORM=s3',
    'ONSITE_MEDIUM=tape',
    'TAPE_CONTAINER_PROFILE_URI=/container_profiles/0',
    'TAPE_INDICATOR_PREFIX=LTO7',
    'TAPE_NAS_MOUNT_CMD=mount -t smbfs',
    'TAPE_NAS_USER=username',
    'TAPE_NAS_PASS=correct horse battery staple',
    'TAPE_NAS_ARCHIVES_MOUNTPOINT=/path/to/mountpoint',
    'WORK_SESSION_NOTE=unknown',
    'WEB_SESSION_SECRET=0123456789abcdef0123456789abcdef',
    '',
  ].join('\n');
  const file = join(dir, 'settings.ini');
  await writeFile(file, text);
  const s = await loadSettings(file, 'worker', {});
  expect(s.folders).toMatchObject({ statusFiles: '/srv/log', stage1: '/srv/initial', preservation: '/srv/preservation' });
  expect(s.s3).toMatchObject({ accessKeyId: 'ACCESS_KEY', secretAccessKey: 'SECRET_KEY_VALUE', region: 'us-east-1' });
  expect(s.images.exiftoolCmd).toBe('/usr/bin/exiftool');
  expect(s.reader.aliasesRead).toEqual(expect.arrayContaining([
    ['WORK_LOG_FILES', 'STATUS_FILES'], ['INITIAL_ORIGINAL_FILES', 'STAGE_1_ORIGINAL_FILES'], ['WORK_PRESERVATION_FILES', 'LOSSLESS_PRESERVATION_FILES'],
    ['DISTILLERY_AWS_ACCESS_KEY_ID', 'AWS_ACCESS_KEY'], ['DISTILLERY_AWS_SECRET_ACCESS_KEY', 'AWS_SECRET_KEY'], ['DISTILLERY_AWS_REGION', 'AWS_REGION'],
  ]));
  expect(s.obsoleteKeys).toEqual(['WORK_MAGICK_CMD']);
  expect(s.tape?.ignoredKeys).toEqual(['TAPE_NAS_MOUNT_CMD', 'TAPE_NAS_USER', 'TAPE_NAS_PASS', 'TAPE_NAS_ARCHIVES_MOUNTPOINT']);
  expect(s.secretKeys.has('TAPE_NAS_PASS')).toBe(true);
  expect(s.secretKeys.has('DISTILLERY_AWS_SECRET_ACCESS_KEY')).toBe(true);
  // Only a key no version of the original knew is left as unknown.
  expect(s.reader.unreadKeys()).toEqual(['WORK_SESSION_NOTE']);
});
