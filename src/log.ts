/**
 * Structured logs (pino): every line carries the run, collection and step it belongs to, via
 * child loggers. Secrets are redacted by key name wherever they appear.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACT = [
  'password', '*.password', 'secret', '*.secret', 'secretAccessKey', '*.secretAccessKey', 'sessionSecret', '*.sessionSecret',
  'token', '*.token', 'headers.authorization', 'headers["x-archivesspace-session"]', '*.headers["x-archivesspace-session"]',
];

/** `level` is the LOG_LEVEL setting (settings.logLevel); info when not given. */
export function createLogger(opts: { file?: string; level?: string; name?: string } = {}): Logger {
  const level = opts.level ?? 'info';
  const base = { name: opts.name ?? 'distillery', level, redact: { paths: REDACT, censor: '[secret]' } };
  if (opts.file) return pino(base, pino.destination({ dest: opts.file, mkdir: true, sync: false }));
  return pino(base);
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = pino({ level: 'silent' });
