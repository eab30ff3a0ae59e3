/**
 * Tape read-back: a bounded number of tape files per audit, in catalogue order, continuing where
 * the last audit stopped, so that every verified tape file is read within AUDIT_TAPE_CYCLE_DAYS
 * nightly audits. Each file is read with tar and every member's sha512 compared with the catalogue
 * (which holds the inventory's digests); nothing is written to disk.
 */
import { loadCatalogue, TapeCommandError, type TapeDestination, type TapeDrive, type TapeFileRecord, type TapeRecord } from '../destinations/tape/index.js';
import { withDriveLock } from '../destinations/tape/catalogue.js';
import { verifyRunFile, withScratch } from '../destinations/tape/runFile.js';
import { silentReporter } from '../runs/reporter.js';
import { emptyResult, type CopyResult } from './copies.js';
import { readTapeCursor, saveTapeCursor } from './records.js';
import type { AuditSettings } from './settings.js';

export interface TapeAuditResult {
  /** Per collection (the tape file's collection). */
  byCollection: Map<string, CopyResult>;
  /** Tape files read back, in order. */
  read: { indicator: string; file: number }[];
  /** Said once, not per collection: e.g. which tape to load. */
  notes: string[];
}

interface Entry {
  tape: TapeRecord;
  file: TapeFileRecord;
}

/** Every verified run file on every tape still in use, in catalogue order. */
function catalogueOrder(tapes: TapeRecord[]): Entry[] {
  return tapes.filter((t) => !t.erasedAt).flatMap((tape) => tape.files.filter((f) => f.kind === 'run' && f.state === 'verified').map((file) => ({ tape, file })));
}

/** How many tape files one audit reads: enough to finish the cycle in time, never more than the bound. */
export function filesPerAudit(total: number, s: Pick<AuditSettings, 'tapeCycleDays' | 'tapeFilesPerNight'>): { count: number; note?: string } {
  const needed = Math.ceil(total / s.tapeCycleDays);
  if (needed > s.tapeFilesPerNight) {
    return {
      count: s.tapeFilesPerNight,
      note: `${total} tape files cannot all be read within ${s.tapeCycleDays} nights at ${s.tapeFilesPerNight} per night: raise AUDIT_TAPE_FILES_PER_NIGHT to ${needed} or AUDIT_TAPE_CYCLE_DAYS to ${Math.ceil(total / Math.max(1, s.tapeFilesPerNight))}.`,
    };
  }
  return { count: Math.min(total, Math.max(1, needed)) };
}

/**
 * `collectionId` set: that collection's tape files, from the first, up to the bound (the cursor is
 * left alone). Unset: the nightly cycle, continuing after the cursor.
 */
export async function auditTape(tape: TapeDestination, statusDir: string, settings: AuditSettings, collectionId?: string): Promise<TapeAuditResult> {
  const out: TapeAuditResult = { byCollection: new Map(), read: [], notes: [] };
  const cat = await loadCatalogue(tape.options.cataloguePath);
  let entries = catalogueOrder(cat.tapes);
  if (collectionId !== undefined) entries = entries.filter((e) => e.file.collectionId === collectionId);
  if (entries.length === 0) return out;
  const { count, note } = filesPerAudit(entries.length, settings);
  if (note) out.notes.push(note);
  let start = 0;
  if (collectionId === undefined) {
    const cursor = await readTapeCursor(statusDir);
    const at = cursor ? entries.findIndex((e) => e.tape.indicator === cursor.indicator && e.file.number === cursor.file) : -1;
    start = at + 1;
  }
  const chosen = Array.from({ length: count }, (_, i) => entries[(start + i) % entries.length]);

  // The drive is shared with runs: an audit never waits for it or disturbs a run that holds it.
  let inLock = false;
  try {
    await withDriveLock(tape.options.cataloguePath, tape.drive.device, async (held) => {
      inLock = true;
      const drive: TapeDrive = tape.drive.forRun(held);
      let loaded: TapeRecord;
      try {
        loaded = await tape.identify(cat, drive);
      } catch (err) {
        out.notes.push(`Tape files were not read back: ${(err as Error).message}`);
        return;
      }
      await withScratch(async (scratch) => {
        for (const { tape: t, file } of chosen) {
          if (t.indicator !== loaded.indicator) {
            out.notes.push(`The next tape file to read back is file ${file.number} on tape ${t.indicator}, but tape ${loaded.indicator} is in ${tape.drive.device}: load tape ${t.indicator} before the next audit.`);
            break;
          }
          await readBack(drive, scratch, t, file, out);
          if (collectionId === undefined) await saveTapeCursor(statusDir, { indicator: t.indicator, file: file.number, at: new Date().toISOString() });
        }
      });
    }, { waitMs: 0 });
  } catch (err) {
    if (inLock) throw err;
    out.notes.push(`Tape files were not read back: the drive is in use (${(err as Error).message}); the next audit reads them.`);
  }
  return out;
}

/** Reads one tape file back and adds what it found to its collection's result. */
async function readBack(drive: TapeDrive, scratch: string, t: TapeRecord, file: TapeFileRecord, out: TapeAuditResult): Promise<void> {
  const collection = file.collectionId ?? '(none)';
  const r = out.byCollection.get(collection) ?? emptyResult('tape');
  out.byCollection.set(collection, r);
  const where = `tape ${t.indicator} file ${file.number}`;
  try {
    const { problems } = await verifyRunFile(drive, scratch, file.number, { objects: file.objects }, silentReporter);
    for (const o of file.objects) {
      for (const f of o.files) {
        r.checked++;
        const p = problems.find((x) => x.path === f.path);
        if (!p) {
          r.intact++;
          continue;
        }
        r.findings.push({
          copy: 'tape', objectId: o.objectId, path: f.path, state: p.why.startsWith('missing') ? 'missing' : 'corrupt',
          message: `${f.path} on ${where}: ${p.why}. The tape copy of this file is damaged: keep the tape, tell the tape administrator, and write ${o.objectId} to a new tape; the local and S3 copies are audited separately.`,
        });
      }
    }
  } catch (err) {
    if (!(err instanceof TapeCommandError)) throw err;
    for (const o of file.objects) {
      r.checked += o.files.length;
      r.findings.push({
        copy: 'tape', objectId: o.objectId, path: where, state: 'unreadable',
        message: `${where} could not be read back (${err.output || err.message}); it holds ${o.files.length} file(s) of ${o.objectId}. Clean the drive and audit collection ${collection} again; if it fails again, the copy on this tape is lost: tell the tape administrator and write the object to a new tape.`,
      });
    }
  }
  out.read.push({ indicator: t.indicator, file: file.number });
}
