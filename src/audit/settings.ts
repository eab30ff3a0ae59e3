/**
 * Settings of the audits: when they run, how fast they may read, how the tape cycle is spread
 * over the nights, and who is told when one fails.
 */
import cron from 'node-cron';
import type { SettingsReader } from '../settings/reader.js';

export interface AuditSettings {
  /** AUDIT_SCHEDULE: node-cron expression for `audit --all`; empty turns scheduled audits off. */
  schedule?: string;
  /** AUDIT_RATE_MB_PER_S: local payload read at most this fast (MB/s), so audits never starve runs; 0 = no limit. */
  rateMBps: number;
  /** AUDIT_TAPE_CYCLE_DAYS: every verified tape file is read back once within this many scheduled audits (nights). */
  tapeCycleDays: number;
  /** AUDIT_TAPE_FILES_PER_NIGHT: never read back more tape files than this in one audit. */
  tapeFilesPerNight: number;
  /** AUDIT_NOTIFY_CMD: run with the status file and a one-line summary as its arguments when an audit fails. */
  notifyCommand?: string;
}

export function readAuditSettings(r: SettingsReader): AuditSettings {
  const schedule = r.string('AUDIT_SCHEDULE', { help: 'e.g. "30 1 * * *" for every night at 01:30; empty: no scheduled audits' }) || undefined;
  if (schedule && !cron.validate(schedule)) {
    r.problem('AUDIT_SCHEDULE', `is not a cron schedule: "${schedule}". Use five fields (minute hour day month weekday), e.g. "30 1 * * *" for every night at 01:30, or leave it empty.`);
  }
  return {
    schedule,
    rateMBps: r.int('AUDIT_RATE_MB_PER_S', { default: 50, min: 0, max: 100_000, help: 'how fast an audit may read local payload; 0 for no limit' }),
    tapeCycleDays: r.int('AUDIT_TAPE_CYCLE_DAYS', { default: 90, min: 1, max: 3650, help: 'every tape file is read back once in this many nights' }),
    tapeFilesPerNight: r.int('AUDIT_TAPE_FILES_PER_NIGHT', { default: 4, min: 0, max: 1000, help: 'the most tape files one audit reads back' }),
    notifyCommand: r.string('AUDIT_NOTIFY_CMD', { help: 'a program run when an audit fails, with the status file and a summary as arguments' }) || undefined,
  };
}
