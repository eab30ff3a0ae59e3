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

/**
 * The example with its secrets filled in (the example leaves them empty, as it should). `extra`
 * lines replace the example's line for the same key (a key may be set once), or are added.
 */
async function exampleWithSecrets(extra = ''): Promise<string> {
  let text = (await readFile(EXAMPLE, 'utf8'))
    .replace(/^ASPACE_PASSWORD=$/m, 'ASPACE_PASSWORD=hunter2-archivesspace')
    .replace(/^AWS_ACCESS_KEY=$/m, 'AWS_ACCESS_KEY=AKIAEXAMPLE')
    .replace(/^AWS_SECRET_KEY=$/m, 'AWS_SECRET_KEY=wJalrXUtnFEMI-secret')
    .replace(/^WEB_SESSION_SECRET=$/m, 'WEB_SESSION_SECRET=0123456789abcdef0123456789abcdef')
    .replace(/^TAPE_CONTAINER_PROFILE_URI=$/m, 'TAPE_CONTAINER_PROFILE_URI=/container_profiles/5');
  const added: string[] = [];
  for (const line of extra.split('\n').filter(Boolean)) {
    const key = /^([A-Z][A-Z0-9_]*)=/.exec(line)?.[1];
    const existing = key ? new RegExp(`^${key}=.*$`, 'm') : undefined;
    if (existing?.test(text)) text = text.replace(existing, () => line);
    else added.push(line);
  }
  const file = join(dir, 'settings.ini');
  await writeFile(file, text + added.map((l) => `${l}\n`).join(''));
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
  expect(err.message).toContain('ASPACE_TIMEOUT_SECONDS must be a whole number in decimal digits');
  expect(err.message).toContain('ALCHEMIST_SCHEDULE is not a cron schedule');
  expect(err.message).not.toContain('hunter2');
});

test('environment variables DISTILLERY_<KEY> override the file, and messages say where a bad value came from', async () => {
  const file = await exampleWithSecrets();
  const s = await loadSettings(file, 'worker', { DISTILLERY_WEB_PORT: '8080', DISTILLERY_ASPACE_PASSWORD: 'from-vault' });
  expect(s.web.port).toBe(8080);
  expect(s.aspace.password).toBe('from-vault');
  const err = (await loadSettings(file, 'worker', { DISTILLERY_S3_PART_SIZE_MB: 'big' }).catch((e: unknown) => e)) as SettingsError;
  expect(err.message).toContain('S3_PART_SIZE_MB must be a whole number in decimal digits, but environment DISTILLERY_S3_PART_SIZE_MB has "big"');
});

test('the debug user needs NODE_ENV=development exactly and a loopback WEB_HOST', async () => {
  const file = await exampleWithSecrets('WEB_IDENTITY=debug\n');
  for (const nodeEnv of ['production', 'Production', 'production ', 'prod', 'test', undefined]) {
    const err = (await loadSettings(file, 'web', nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv }).catch((e: unknown) => e)) as SettingsError;
    expect(err, String(nodeEnv)).toBeInstanceOf(SettingsError);
    expect(err.message).toContain('WEB_IDENTITY is "debug", which signs everyone in as the development user, but NODE_ENV is');
  }
  await expect(loadSettings(file, 'web', { NODE_ENV: 'development' })).resolves.toMatchObject({ web: { identity: 'debug' } });
  for (const host of ['0.0.0.0', '::', '192.168.1.20', 'distillery.example.edu']) {
    const open = await exampleWithSecrets(`WEB_IDENTITY=debug\nWEB_HOST=${host}\n`);
    const err = (await loadSettings(open, 'web', { NODE_ENV: 'development' }).catch((e: unknown) => e)) as SettingsError;
    expect(err, host).toBeInstanceOf(SettingsError);
    expect(err.message).toContain(`WEB_HOST is "${host}", which other machines can reach`);
  }
  for (const host of ['localhost', '::1', '127.0.0.2']) {
    await expect(loadSettings(await exampleWithSecrets(`WEB_IDENTITY=debug\nWEB_HOST=${host}\n`), 'web', { NODE_ENV: 'development' })).resolves.toMatchObject({ web: { host } });
  }
});

test('# and ; inside a value are part of it, as in the original (configparser): only a whole line is a comment', async () => {
  const file = await exampleWithSecrets('; a comment line\n  # an indented comment line\n');
  const text = (await readFile(file, 'utf8'))
    .replace(/^ASPACE_PASSWORD=.*$/m, 'ASPACE_PASSWORD=admin#2024;x')
    .replace(/^WEB_SESSION_SECRET=.*$/m, 'WEB_SESSION_SECRET=0123456789abcdef#0123456789;abcdef')
    .replace(/^AWS_SECRET_KEY=.*$/m, 'AWS_SECRET_KEY = "quoted; kept" ');
  await writeFile(file, text);
  const s = await loadSettings(file, 'worker', {});
  expect(s.aspace.password).toBe('admin#2024;x');
  expect(s.web.sessionSecret).toBe('0123456789abcdef#0123456789;abcdef');
  expect(s.s3?.secretAccessKey).toBe('"quoted; kept"');
  // configparser's other delimiter, and key names in any case, as the original read them.
  await writeFile(file, text.replace(/^WEB_PORT=.*$/m, 'web_port: 8081'));
  expect((await loadSettings(file, 'worker', {})).web.port).toBe(8081);
});

test('a byte-order mark (as Notepad writes) is accepted', async () => {
  // [settings] on the very first line, right after the mark.
  const file = await exampleWithSecrets();
  const text = (await readFile(file, 'utf8')).split('\n').filter((l) => !l.startsWith(';') && l.trim() !== '').join('\n');
  expect(text.startsWith('[settings]')).toBe(true);
  await writeFile(file, '\uFEFF' + text);
  expect((await loadSettings(file, 'worker', {})).folders.statusFiles).toBe('/mnt/distillery/status');
});

test('a key set twice is refused with both lines, not silently the last one', async () => {
  const file = await exampleWithSecrets();
  const text = await readFile(file, 'utf8');
  const first = text.split('\n').findIndex((l) => l.startsWith('WEB_PORT=')) + 1;
  await writeFile(file, text.replace(/^WEB_PORT=.*$/m, (l) => `${l}\nweb_port=8080`));
  const err = (await loadSettings(file, 'worker', {}).catch((e: unknown) => e)) as SettingsError;
  expect(err).toBeInstanceOf(SettingsError);
  expect(err.message).toContain(`WEB_PORT is set twice in [settings] of ${file} (lines ${first} and ${first + 1}): keep one.`);
  await writeFile(file, text + '\n[settings]\nLOG_FILE=/tmp/x.log\n');
  expect(((await loadSettings(file, 'worker', {}).catch((e: unknown) => e)) as SettingsError).message).toContain('[settings] appears twice');
});

test('a line that is not KEY=value is refused by its number, without repeating it (it may hold a secret)', async () => {
  const file = await exampleWithSecrets('ASPACE_PASSWORD hunter3-secret\n');
  const err = (await loadSettings(file, 'worker', {}).catch((e: unknown) => e)) as SettingsError;
  expect(err).toBeInstanceOf(SettingsError);
  expect(err.message).toMatch(/line \d+ of .* is not a KEY=value line/);
  expect(err.message).not.toContain('hunter3');
});

test('ports and other numbers are decimal only: 0x10, 1e3 and 0b1 are refused, not read as 16, 1000, 1', async () => {
  for (const v of ['0x10', '1e3', '0b1', '12.0', '8080abc']) {
    const err = (await loadSettings(await exampleWithSecrets(`WEB_PORT=${v}\n`), 'worker', {}).catch((e: unknown) => e)) as SettingsError;
    expect(err, v).toBeInstanceOf(SettingsError);
    expect(err.message).toContain(`WEB_PORT must be a whole number in decimal digits, but ${dir}/settings.ini has "${v}"`);
  }
  const rate = (await loadSettings(await exampleWithSecrets('ISLANDORA_JP2_RATE=0x1\n'), 'worker', {}).catch((e: unknown) => e)) as SettingsError;
  expect(rate.message).toContain('ISLANDORA_JP2_RATE must be bits per pixel between 0 and 24 (e.g. 0.5), but is "0x1"');
  expect((await loadSettings(await exampleWithSecrets('ISLANDORA_JP2_RATE=.75\n'), 'worker', {})).islandora?.jp2BitsPerPixel).toBe(0.75);
});

test('WEB_TRUSTED_PROXIES is read strictly: a slip cannot trust every address', async () => {
  const cases: [string, string][] = [
    ['10.20.30.40/', '"10.20.30.40/" has no valid prefix length after "/"'],
    ['::/', '"::/" has no valid prefix length'],
    ['10.0.0.0/abc', '"10.0.0.0/abc" has no valid prefix length'],
    ['10.0.0.0/33', '"10.0.0.0/33" has no valid prefix length after "/": write a number from 1 to 32'],
    ['10.0.0.0/0', '"10.0.0.0/0" is every IPv4 address'],
    ['::/0', '"::/0" is every IPv6 address'],
    ['127.0.0.1, proxy.example.edu', '"proxy.example.edu" is not an IP address or CIDR range'],
  ];
  for (const [value, message] of cases) {
    const err = (await loadSettings(await exampleWithSecrets(`WEB_TRUSTED_PROXIES=${value}\n`), 'web', {}).catch((e: unknown) => e)) as SettingsError;
    expect(err, value).toBeInstanceOf(SettingsError);
    expect(err.problems.map((p) => p.key), value).toEqual(['WEB_TRUSTED_PROXIES']);
    expect(err.message).toContain(`WEB_TRUSTED_PROXIES ${message}`);
  }
  const s = await loadSettings(await exampleWithSecrets('WEB_TRUSTED_PROXIES=10.1.0.0/16, fd00::/8, 192.0.2.7\n'), 'web', {});
  expect(s.web.trustedProxies).toEqual(['10.1.0.0/16', 'fd00::/8', '192.0.2.7']);
});

test('an identity header name with a space (nobody could sign in) is refused', async () => {
  const err = (await loadSettings(await exampleWithSecrets('WEB_IDENTITY_HEADER=X Remote User\n'), 'web', {}).catch((e: unknown) => e)) as SettingsError;
  expect(err).toBeInstanceOf(SettingsError);
  expect(err.message).toContain('WEB_IDENTITY_HEADER is "X Remote User", which is not an HTTP header name');
});

test('the status folder may not be the stage-1 folder, nor inside it or around it', async () => {
  for (const status of ['/mnt/distillery/stage1-initial', '/mnt/distillery/stage1-initial/status', '/mnt/distillery']) {
    const err = (await loadSettings(await exampleWithSecrets(`STATUS_FILES=${status}\n`), 'web', {}).catch((e: unknown) => e)) as SettingsError;
    expect(err, status).toBeInstanceOf(SettingsError);
    expect(err.problems.map((p) => p.key), status).toContain('STATUS_FILES');
  }
  const same = (await loadSettings(await exampleWithSecrets('STATUS_FILES=/mnt/distillery/stage1-initial\n'), 'web', {}).catch((e: unknown) => e)) as SettingsError;
  expect(same.message).toContain('STATUS_FILES is the same folder as STAGE_1_ORIGINAL_FILES (/mnt/distillery/stage1-initial)');
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

test('the worker name and a stale threshold in minutes with decimals; bad values named', async () => {
  const file = await exampleWithSecrets();
  const s = await loadSettings(file, 'worker', { DISTILLERY_ALCHEMIST_WORKER_NAME: 'worker-2.archives', DISTILLERY_ALCHEMIST_STALE_CLAIM_MINUTES: '0.15' });
  expect(s.alchemist).toMatchObject({ workerName: 'worker-2.archives', staleClaimMinutes: 0.15 });
  expect((await loadSettings(file, 'worker', {})).alchemist).toMatchObject({ workerName: undefined, staleClaimMinutes: 10 });
  const err = (await loadSettings(file, 'worker', { DISTILLERY_ALCHEMIST_WORKER_NAME: 'two words', DISTILLERY_ALCHEMIST_STALE_CLAIM_MINUTES: '0' }).catch((e: unknown) => e)) as SettingsError;
  expect(err.message).toContain('ALCHEMIST_WORKER_NAME may contain only letters, digits and . _ - (at most 64), but is "two words".');
  expect(err.message).toContain('ALCHEMIST_STALE_CLAIM_MINUTES must be a number of minutes between 0.05 and 1440 (decimals allowed), but is "0".');
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

test('LOG_LEVEL is a setting: DISTILLERY_LOG_LEVEL overrides it like any key, and a wrong level is named', async () => {
  const file = await exampleWithSecrets();
  expect((await loadSettings(file, 'worker', {})).logLevel).toBe('info');
  expect((await loadSettings(file, 'web', { DISTILLERY_LOG_LEVEL: 'debug' })).logLevel).toBe('debug');
  // Read by the settings object, so `check` no longer lists it as a key nothing reads.
  expect((await loadSettings(file, 'worker', { DISTILLERY_LOG_LEVEL: 'warn' })).reader.unreadKeys()).not.toContain('LOG_LEVEL');
  const err = (await loadSettings(file, 'worker', { DISTILLERY_LOG_LEVEL: 'loud' }).catch((e: unknown) => e)) as SettingsError;
  expect(err).toBeInstanceOf(SettingsError);
  expect(err.message).toContain('LOG_LEVEL');
});

test("the web's settings have only the web's sections, and the type says so", async () => {
  const file = await exampleWithSecrets('ACCESS_PLATFORM=iiif\nIIIF_PUBLISH_TO=iiif-out\nIIIF_BASE_URL=https://iiif.example.edu/iiif\n');
  const web = await loadSettings(file, 'web', {});
  // The type check (tsc over test/) fails if a worker section is typed as present for the web.
  // @ts-expect-error the web process has no ArchivesSpace section
  expect(web.aspace).toBeUndefined();
  // @ts-expect-error nor the images section
  expect(web.images).toBeUndefined();
  expect(Object.keys(web)).not.toContain('aspace');
  expect(web.iiif?.publishTo).toEqual({ kind: 'folder', path: join(dir, 'iiif-out') });
});

test('settings are settled when loaded: frozen, with derived values already in place', async () => {
  const file = await exampleWithSecrets('ONSITE_MEDIUM=tape\nTAPE_CATALOGUE=tape/catalogue.sqlite\nACCESS_PLATFORM=iiif\nIIIF_PUBLISH_TO=iiif-out\nIIIF_BASE_URL=https://iiif.example.edu/iiif\nASPACE_PUBLIC_URL=https://archives.example.edu/\n');
  const s = await loadSettings(file, 'worker', {});
  expect(s.tape?.cataloguePath).toBe(join(dir, 'tape/catalogue.sqlite'));
  expect(s.iiif?.recordLinkBase).toBe('https://archives.example.edu');
  expect(Object.isFrozen(s)).toBe(true);
  expect(() => {
    (s.web as { port: number }).port = 9999;
  }).toThrow(TypeError);
  expect(() => {
    (s.folders.junkFiles as string[]).push('*.tmp');
  }).toThrow(TypeError);
  expect(s.web.port).not.toBe(9999);
});
