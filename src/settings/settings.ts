/**
 * One typed settings object, read once at start-up from `settings.ini` (the original's format: a
 * `[settings]` section of KEY=value lines) with environment overrides (`DISTILLERY_<KEY>`), and
 * validated as a whole: every problem is reported at once, by key, with what to do.
 */
import cron from 'node-cron';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve, dirname, isAbsolute, sep } from 'node:path';
import { isLoopbackHost, proxyEntriesProblems } from '../web/trustedProxies.js';
import { parseIniText } from './iniFile.js';
import { configureTimeouts, timeoutSettings } from '../policies.js';
import { DEFAULT_JUNK_FILES } from '../collection/discover.js';
import { KEY_ALIASES, OBSOLETE_2024_KEYS, SECRET_ALIASES } from './aliases.js';
import { SettingsReader, type SettingsProblem } from './reader.js';

export const ENV_PREFIX = 'DISTILLERY_';

export interface FolderSettings {
  /** Status files shared by the web server and the workers (`STATUS_FILES`, formerly `PROCESSING_FILES`). */
  statusFiles: string;
  /** Where scanning staff put collection folders (STAGE_1_ORIGINAL_FILES). */
  stage1: string;
  /** Where a collection is while it is processed (STAGE_2_ORIGINAL_FILES). */
  stage2: string;
  /** Where it goes once every chosen destination holds a verified copy (STAGE_3_ORIGINAL_FILES). */
  stage3: string;
  /** Local preservation staging: converted images and the OCFL storage root (LOSSLESS_PRESERVATION_FILES). */
  preservation: string;
  /** Structured log file (LOG_FILE); empty logs to standard output only. */
  logFile?: string;
  /** JUNK_FILES: file names (with `*`) that are system junk, skipped with a note instead of preserved. */
  junkFiles: string[];
}

export interface ModuleSettings {
  cloud?: string;
  onsite?: string;
  access?: string;
}

export interface WebSettings {
  host: string;
  port: number;
  usersFile: string;
  /** How the signed-in identity reaches us: a header set by the web server in front, or the debug user. */
  identity: 'header' | 'debug';
  /** Header carrying the identity (Shibboleth REMOTE_USER passed on by the proxy). */
  identityHeader: string;
  /** Requests may carry the identity header only from these addresses (the proxy). */
  trustedProxies: string[];
  sessionSecret: string;
  logoutUrl: string;
  /** Whether the session cookie needs HTTPS (true behind the TLS proxy). */
  secureCookies: boolean;
  /** How many runs one person may ask for in an hour (WEB_RUN_REQUESTS_PER_HOUR, default 20); 0 is no limit. */
  runRequestsPerHour?: number;
}

export interface AlchemistSettings {
  /** node-cron expression; the original ran every minute from cron. */
  schedule: string;
  /** A claim whose heartbeat is older than this is taken to belong to a dead worker on another host (decimals allowed). */
  staleClaimMinutes: number;
  /** The name this worker goes by in claims and pass heartbeats; empty: the host name. */
  workerName?: string;
  /** Archived run logs, records and file results older than this many days are deleted; 0 keeps them all. */
  runLogRetentionDays: number;
}

export interface CoreSettings {
  /** The file the settings came from (for messages). */
  file: string;
  folders: FolderSettings;
  modules: ModuleSettings;
  web: WebSettings;
  alchemist: AlchemistSettings;
  /** Each named policy's time-out in seconds, by its settings key (src/policies.ts); applied when read. */
  timeouts: Record<string, number>;
  /** The original's keys found in settings.ini that Distillery no longer needs (reported by check). */
  obsoleteKeys: string[];
  /** Keys whose values are secret (never printed). */
  secretKeys: ReadonlySet<string>;
  /** Every key's value as read, for feature sections. */
  reader: SettingsReader;
}

/**
 * The original's tools Distillery no longer runs: it hashes in-process (SHA512SUM_CMD, CUT_CMD),
 * makes derivatives with sharp and OpenJPEG (MAGICK_CMD) and logs in one place (ISLANDORA_LOG_FILE).
 */
const OBSOLETE_KEYS = ['CUT_CMD', 'MAGICK_CMD', 'SHA512SUM_CMD', 'ISLANDORA_LOG_FILE'];

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  constructor(
    readonly file: string,
    readonly problems: SettingsProblem[],
  ) {
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${file}:\n` +
        problems.map((p) => `  - ${p.key} ${p.message}`).join('\n'),
    );
  }
}

/** Where settings.ini is: DISTILLERY_SETTINGS, else ./settings.ini. */
export function settingsPath(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.DISTILLERY_SETTINGS ?? 'settings.ini');
}

/** True when no settings file is there: `start` then runs the demo. */
export function noSettingsFile(env: NodeJS.ProcessEnv = process.env): boolean {
  return !env.DISTILLERY_SETTINGS && !existsSync(settingsPath(env));
}

/** Reads the `[settings]` section and applies environment overrides. */
export async function readSettingsValues(file: string, env: NodeJS.ProcessEnv = process.env): Promise<{ values: Record<string, string>; sourceOf: (key: string) => string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new SettingsError(file, [{ key: 'settings.ini', message: `not found at ${file}: copy example-settings.ini to settings.ini and fill it in, or set DISTILLERY_SETTINGS to its path.` }]);
    }
    throw err;
  }
  const { sections, problems } = parseIniText(text, file);
  const section = sections.get('settings');
  if (!section) {
    problems.push({ key: '[settings]', message: 'section is missing: the file must start with a [settings] line followed by KEY=value lines, as in example-settings.ini.' });
  }
  if (problems.length) throw new SettingsError(file, problems);
  const values: Record<string, string> = {};
  const fromEnv = new Set<string>();
  for (const [k, v] of section!) values[k] = v.value;
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith(ENV_PREFIX) && k !== 'DISTILLERY_SETTINGS' && v !== undefined) {
      values[k.slice(ENV_PREFIX.length)] = v;
      fromEnv.add(k.slice(ENV_PREFIX.length));
    }
  }
  return { values, sourceOf: (key) => (fromEnv.has(key) ? `environment ${ENV_PREFIX}${key}` : file) };
}

/** Reads the sections every process needs. Feature sections are read by `loadSettings`. */
export function readCoreSettings(file: string, r: SettingsReader, env: NodeJS.ProcessEnv = process.env): Omit<CoreSettings, 'secretKeys' | 'reader' | 'file'> {
  const base = dirname(file);
  const folder = (key: string, opts: { required?: boolean; alias?: string; help: string }): string => {
    const raw = r.raw(key) ?? (opts.alias ? r.raw(opts.alias) : undefined);
    if (raw === undefined) {
      if (opts.required) r.problem(key, `is required but missing: add ${key}=/path/to/folder to settings.ini (${opts.help}).`);
      return '';
    }
    return isAbsolute(raw) ? raw : resolve(base, raw);
  };
  const folders: FolderSettings = {
    statusFiles: folder('STATUS_FILES', { required: true, help: 'the shared status folder; PROCESSING_FILES and WORK_LOG_FILES are accepted as its old names' }),
    stage1: folder('STAGE_1_ORIGINAL_FILES', { required: true, help: 'where scanned collection folders arrive' }),
    stage2: folder('STAGE_2_ORIGINAL_FILES', { required: true, help: 'where collections wait while they are processed' }),
    stage3: folder('STAGE_3_ORIGINAL_FILES', { required: true, help: 'where collections go when every destination holds a verified copy' }),
    preservation: folder('LOSSLESS_PRESERVATION_FILES', { required: true, help: 'local staging for preservation files and the OCFL storage root' }),
    logFile: r.raw('LOG_FILE') ? folder('LOG_FILE', { help: 'structured log file' }) : undefined,
    junkFiles: r.string('JUNK_FILES', { default: DEFAULT_JUNK_FILES.join(','), help: 'comma-separated file names left by file browsers; * matches any characters' }).split(',').map((x) => x.trim()).filter(Boolean),
  };
  const stages = [folders.stage1, folders.stage2, folders.stage3].filter(Boolean);
  if (new Set(stages).size !== stages.length) {
    r.problem('STAGE_1_ORIGINAL_FILES', 'STAGE_1, STAGE_2 and STAGE_3_ORIGINAL_FILES must be three different folders.');
  }
  statusFolderProblem(folders, r);
  const modules: ModuleSettings = {
    cloud: r.oneOf('CLOUD_PLATFORM', ['s3'] as const, { help: 'the module for the cloud process; empty turns cloud off' }),
    onsite: r.oneOf('ONSITE_MEDIUM', ['tape'] as const, { help: 'the module for the onsite process; empty turns onsite off' }),
    access: r.oneOf('ACCESS_PLATFORM', ['islandora', 'iiif'] as const, { help: 'the module for the access process; empty turns access off' }),
  };
  const identity = r.oneOf('WEB_IDENTITY', ['header', 'debug'] as const, { default: 'header', help: 'header: trust the web server in front; debug: a fixed development user' })!;
  const host = r.string('WEB_HOST', { default: '127.0.0.1' });
  const debugProblem = identity === 'debug' ? debugIdentityProblem(host, env) : undefined;
  if (debugProblem) r.problem('WEB_IDENTITY', debugProblem);
  const sessionSecret = r.secret('WEB_SESSION_SECRET', { required: identity === 'header', help: 'a long random string, e.g. from `openssl rand -hex 32`' });
  if (sessionSecret !== undefined && sessionSecret.length < 16) {
    r.problem('WEB_SESSION_SECRET', 'is too short: use at least 16 random characters (e.g. `openssl rand -hex 32`).');
  }
  const web: WebSettings = {
    host,
    port: r.int('WEB_PORT', { default: 1234, min: 0, max: 65535 }),
    usersFile: resolve(base, r.string('USERS_FILE', { default: 'users.csv' })),
    identity,
    identityHeader: headerName(r),
    trustedProxies: trustedProxies(r),
    sessionSecret: sessionSecret ?? 'development-only-session-secret',
    logoutUrl: r.string('WEB_LOGOUT_URL', { default: '/Shibboleth.sso/Logout' }),
    secureCookies: r.bool('WEB_SECURE_COOKIES', { default: identity === 'header' }),
    runRequestsPerHour: r.int('WEB_RUN_REQUESTS_PER_HOUR', { default: 20, min: 0, max: 100_000, help: 'how many runs one person may ask for in an hour; 0 is no limit' }),
  };
  const schedule = r.string('ALCHEMIST_SCHEDULE', { default: '* * * * *' });
  if (!cron.validate(schedule)) {
    r.problem('ALCHEMIST_SCHEDULE', `is not a cron schedule: "${schedule}". Use five fields (minute hour day month weekday), e.g. "* * * * *" for every minute.`);
  }
  const alchemist: AlchemistSettings = {
    schedule,
    staleClaimMinutes: staleMinutes(r),
    workerName: r.string('ALCHEMIST_WORKER_NAME') || undefined,
    runLogRetentionDays: r.int('RUN_LOG_RETENTION_DAYS', { default: 0, min: 0, max: 100 * 366 }),
  };
  if (alchemist.workerName && !/^[a-zA-Z0-9._-]{1,64}$/.test(alchemist.workerName)) {
    r.problem('ALCHEMIST_WORKER_NAME', `may contain only letters, digits and . _ - (at most 64), but is "${alchemist.workerName.slice(0, 80)}".`);
  }
  const obsoleteKeys = [...OBSOLETE_KEYS, ...OBSOLETE_2024_KEYS].filter((k) => r.has(k));
  for (const k of SECRET_ALIASES) if (r.has(k)) r.secretKeys.add(k);
  const timeouts: Record<string, number> = {};
  for (const t of timeoutSettings()) {
    timeouts[t.key] = r.int(t.key, { default: t.defaultSeconds, min: 1, max: 7 * 24 * 3600, help: `seconds before ${t.policies.join(', ')} ${t.policies.length === 1 ? 'is' : 'are'} stopped` });
  }
  configureTimeouts(timeouts);
  return { folders, modules, web, alchemist, timeouts, obsoleteKeys };
}

/**
 * Why the debug identity (everyone signed in as one user) may not be used here, or undefined. It
 * needs both an explicit development mode (NODE_ENV=development, exactly) and a web server that
 * listens on this machine only, so no slip of NODE_ENV or WEB_HOST opens it to the network.
 */
export function debugIdentityProblem(host: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const why: string[] = [];
  if (env.NODE_ENV !== 'development') {
    why.push(`NODE_ENV is ${env.NODE_ENV === undefined ? 'not set' : `"${env.NODE_ENV}"`} (it must be exactly "development")`);
  }
  if (!isLoopbackHost(host)) why.push(`WEB_HOST is "${host}", which other machines can reach (it must be 127.0.0.1, ::1 or localhost)`);
  if (!why.length) return undefined;
  return `is "debug", which signs everyone in as the development user, but ${why.join(' and ')}. Use WEB_IDENTITY=header behind Shibboleth; keep debug for a development machine.`;
}

/** The identity header's name: an HTTP header name (letters, digits, -), lower case. */
function headerName(r: SettingsReader): string {
  const name = r.string('WEB_IDENTITY_HEADER', { default: 'X-Remote-User' });
  if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
    r.problem('WEB_IDENTITY_HEADER', `is "${name}", which is not an HTTP header name (no spaces, colons or other punctuation): no request could carry it, so nobody could sign in. Use e.g. X-Remote-User.`);
  }
  return name.toLowerCase();
}

function trustedProxies(r: SettingsReader): string[] {
  const entries = r.string('WEB_TRUSTED_PROXIES', { default: '127.0.0.1,::1,::ffff:127.0.0.1' }).split(',').map((s) => s.trim()).filter(Boolean);
  const bad = proxyEntriesProblems(entries);
  if (bad.length) r.problem('WEB_TRUSTED_PROXIES', `${bad.join('; ')}.`);
  return bad.length ? [] : entries;
}

/** The status folder must not be (or be inside, or contain) the folder scanning staff fill. */
function statusFolderProblem(folders: FolderSettings, r: SettingsReader): void {
  const status = folders.statusFiles;
  if (!status) return;
  const inside = (a: string, b: string) => a === b || a.startsWith(b.endsWith(sep) ? b : b + sep);
  for (const [key, dir] of [['STAGE_1_ORIGINAL_FILES', folders.stage1], ['STAGE_2_ORIGINAL_FILES', folders.stage2], ['STAGE_3_ORIGINAL_FILES', folders.stage3]] as const) {
    if (!dir) continue;
    if (status === dir) r.problem('STATUS_FILES', `is the same folder as ${key} (${dir}): status files would be taken for collection folders. Use a folder of its own.`);
    else if (key === 'STAGE_1_ORIGINAL_FILES' && (inside(status, dir) || inside(dir, status))) {
      r.problem('STATUS_FILES', `(${status}) and ${key} (${dir}) are inside one another: status files would be taken for collection folders, or collections for status files. Use separate folders.`);
    }
  }
}

/** Reads and validates the core settings; throws SettingsError listing every problem. */
export async function loadCoreSettings(file = settingsPath(), env: NodeJS.ProcessEnv = process.env): Promise<CoreSettings> {
  const { values, sourceOf } = await readSettingsValues(file, env);
  const reader = new SettingsReader(values, sourceOf, KEY_ALIASES);
  const core = readCoreSettings(file, reader, env);
  if (reader.problems.length) throw new SettingsError(file, reader.problems);
  return { file, ...core, secretKeys: reader.secretKeys, reader };
}

/** ALCHEMIST_STALE_CLAIM_MINUTES: minutes, decimals allowed (0.1 = 6 seconds, for trials), 0.05 to a day. */
function staleMinutes(r: SettingsReader): number {
  const v = r.string('ALCHEMIST_STALE_CLAIM_MINUTES', { default: '10' });
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0.05 || n > 24 * 60) {
    r.problem('ALCHEMIST_STALE_CLAIM_MINUTES', `must be a number of minutes between 0.05 and 1440 (decimals allowed), but is "${v}".`);
    return 10;
  }
  return n;
}
