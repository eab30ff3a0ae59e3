/**
 * Onsite preservation to LTO tape with mt and tar. `deliver()` only collects the run's folders;
 * `finish()` writes ONE tar file per run (a table of contents, then every OCFL object version this
 * tape lacks, streamed by tar from the staging root to the drive), reads it back checking every
 * sha512 against the inventory, and only then records it: tape catalogue first, then ArchivesSpace
 * (a Tape top container with the tape's indicator, and `tape://<indicator>/<file>/<path>` file versions).
 *
 * Everything that touches the drive holds its lock (across hosts, src/fileLock.ts) for the whole of
 * it — identifying the tape, positioning, writing and reading back — with the catalogue re-read
 * under the lock and this tape's record merged into it when saved. Every mt and tar gets the run's
 * stop signal (and the lock's: a run that lost the lock stops writing at once).
 */
import { readInventory, stateOf } from '../../ocfl/index.js';
import { PermanentError, policies } from '../../policies.js';
import type { CheckResult, Destination, PreparedFolder, RunScope } from '../destination.js';
import { findTape, loadCatalogue, locationsOf, nextIndicator, saveTapeRecord, withDriveLock, type Catalogue, type TapeFileRecord, type TapeRecord } from './catalogue.js';
import { TapeCommandError, TapeDrive } from './drive.js';
import { TapeNotReadyError, TapeVerifyError } from './errors.js';
import { keepInventoryCopies } from './inventoryCopy.js';
import { readLabel } from './label.js';
import { formatBytes, isTokenStoreMember, planObjects, tocDigest, verifyRunFile, withScratch, writeRunFile, TOC_FORMAT, type PackageRef, type TableOfContents } from './runFile.js';
import type { TapeSettings } from './settings.js';

export interface TapeDestinationOptions extends Omit<TapeSettings, 'ignoredKeys'> {
  /** The local OCFL storage root the packages are in. */
  storageRoot: string;
  ignoredKeys?: string[];
}

export class TapeDestination implements Destination {
  readonly process = 'onsite' as const;
  readonly platform = 'tape';
  readonly drive: TapeDrive;
  private pending: PreparedFolder[] = [];

  constructor(readonly options: TapeDestinationOptions) {
    this.drive = new TapeDrive(options);
  }

  async check(): Promise<CheckResult> {
    let versions: { tar: string; mt: string };
    try {
      versions = await this.drive.versions();
    } catch (err) {
      return { ok: false, detail: `tape: ${(err as Error).message}` };
    }
    const tools = `${versions.tar}; ${versions.mt}`;
    try {
      const cat = await loadCatalogue(this.options.cataloguePath);
      // A run writing meanwhile keeps the drive: say so rather than wait or disturb it.
      const tape = await withDriveLock(this.options.cataloguePath, this.drive.device, (held) => this.identify(cat, this.drive.forRun(held, undefined, 0)), { waitMs: 0 });
      const obsolete = this.options.ignoredKeys?.length ? `; ${this.options.ignoredKeys.join(', ')} in settings.ini ${this.options.ignoredKeys.length === 1 ? 'is' : 'are'} no longer used (the drive is reached with mt and tar): remove ${this.options.ignoredKeys.length === 1 ? 'it' : 'them'}` : '';
      return { ok: true, detail: `tape: ${tools}; tape ${tape.indicator} loaded in ${this.drive.device} (${tape.files.length} tape files in the catalogue)${obsolete}` };
    } catch (err) {
      return { ok: false, detail: `tape: ${tools}; ${(err as Error).message}` };
    }
  }

  async begin(run: RunScope): Promise<void> {
    this.pending = [];
    // Fail before hours of image work if the drive is not ready, and say which tape is in it.
    const { cat, tape } = await this.withDrive(run, async (drive) => {
      const cat = await loadCatalogue(this.options.cataloguePath);
      return { cat, tape: await this.identify(cat, drive) };
    });
    if (tape.fullAt) throw this.fullError(cat, tape, `Tape ${tape.indicator} is full (since ${tape.fullAt}).`);
    run.reporter.line(`📼 Tape ${tape.indicator} is in ${this.drive.device}; this run's preservation packages go to it at the end of the run.`);
  }

  async deliver(run: RunScope, folder: PreparedFolder): Promise<void> {
    if (!folder.package) {
      throw new PermanentError(`${folder.name} has no preservation package (OCFL object): onsite needs it; check the packaging step's messages above and run again.`);
    }
    if (!this.pending.some((f) => f.package?.objectId === folder.package!.objectId && f.package.version === folder.package!.version)) this.pending.push(folder);
    run.reporter.line(`📼 ${folder.name} (${folder.package.objectId} ${folder.package.version}) will be written to tape and verified at the end of the run.`);
    run.reporter.folder?.({ folder: folder.name, state: 'waiting', why: 'written to tape and read back at the end of the run' });
  }

  async finish(run: RunScope): Promise<void> {
    const folders = this.pending;
    if (folders.length === 0) return;
    const reporter = run.reporter;
    await this.withDrive(run, async (drive) => {
      // Re-read under the lock: another host may have written to this tape since begin().
      const cat = await loadCatalogue(this.options.cataloguePath);
      const tape = await this.identify(cat, drive);
      if (tape.fullAt) throw this.fullError(cat, tape, `Tape ${tape.indicator} is full (since ${tape.fullAt}).`);
      const todo: PackageRef[] = [];
      for (const f of folders) {
        const p = f.package!;
        const where = locationsOf(cat, p.objectId, p.version);
        if (where.length) reporter.line(`↩️ ${f.name}: ${p.objectId} ${p.version} is already on tape ${where[0].tape.indicator} (file ${where[0].file.number}), verified; not written again.`);
        else todo.push({ storageRoot: p.storageRoot || this.options.storageRoot, objectId: p.objectId, objectPath: p.objectPath, version: p.version });
      }
      if (todo.length) {
        await run.fence?.('writing the tape file');
        await this.writeAndVerify(run, drive, cat, tape, todo);
      }
    });
    await this.recordInArchivesSpace(run, await loadCatalogue(this.options.cataloguePath), folders);
    this.pending = [];
  }

  /**
   * Runs `fn` holding the drive's lock, with a drive that stops on the run's signal or a lost lock.
   * Holding the lock does not mean the drive is free: a holder whose stale lock was taken over may
   * still have it open (paused, not dead). The drive then refuses to open (EBUSY) — mt and tar are
   * tried again up to TAPE_DRIVE_LOCK_TIMEOUT, and then the run fails naming the likely holder;
   * nothing is written meanwhile.
   */
  private async withDrive<T>(run: RunScope, fn: (drive: TapeDrive) => Promise<T>): Promise<T> {
    const device = this.drive.device;
    let previous: string | undefined;
    let told = false;
    const likely = (): string => previous
      ? `likely ${previous}, whose lock this run took over as stale`
      : 'no other Distillery process holds its lock, so likely a program outside Distillery (an mt or tar run by hand, a backup tool)';
    const onBusy = (output: string): void => {
      if (told) return;
      told = true;
      run.reporter.line(`⏳ The tape drive ${device} refuses to open (${output}): another process still has it open — ${likely()}. Waiting for it to let go; nothing is written meanwhile.`);
    };
    try {
      return await withDriveLock(this.options.cataloguePath, device, (held) => fn(this.drive.forRun(run.signal ? AbortSignal.any([run.signal, held]) : held, onBusy)), {
        signal: run.signal,
        onWait: (holder) => run.reporter.line(`⏳ The tape drive ${device} is in use by ${holder}; waiting for it to finish.`),
        onTakeOver: (p) => {
          previous = p;
          run.reporter.line(`⚠️ The tape drive ${device}'s lock, held by ${p}, was not renewed for too long (its holder paused or gone): taken over.`);
        },
      });
    } catch (err) {
      if (!(err instanceof TapeCommandError) || err.kind !== 'busy') throw err;
      throw new TapeNotReadyError(
        `The tape drive ${device} stayed busy (${err.output}) for ${Math.round(policies.tapeDriveLock.timeoutMs / 1000)} s: another process still has it open — ${likely()}. Nothing was written to the tape by this run. ` +
          `End that process (on its host; \`fuser -v ${device.slice(device.indexOf(':') + 1)}\` on the tape server shows who has the drive open), then run again; raise TAPE_DRIVE_LOCK_TIMEOUT in settings.ini to wait longer.`,
        'drive',
      );
    }
  }

  /**
   * Saves this tape's record into the catalogue as it is on disk now (merged, under its lock) —
   * only while this run still holds the drive and the run: a process that lost the drive's lock
   * (paused past its staleness, the drive taken over) or its claim records nothing, lest its copy
   * of the tape's record replace the new holder's.
   */
  private async save(drive: TapeDrive, tape: TapeRecord): Promise<void> {
    if (drive.signal?.aborted) {
      const why = drive.signal.reason instanceof Error ? drive.signal.reason.message : String(drive.signal.reason);
      throw new TapeVerifyError(`Stopped before recording tape ${tape.indicator} in the catalogue (${why}); nothing more is recorded by this run.`);
    }
    await saveTapeRecord(this.options.cataloguePath, tape);
  }

  /** Positions at the end of data, writes the run file, reads it back; records it in the catalogue. */
  private async writeAndVerify(run: RunScope, drive: TapeDrive, cat: Catalogue, tape: TapeRecord, todo: PackageRef[]): Promise<void> {
    const reporter = run.reporter;
    const planned = await planObjects(tape, todo);
    const objects = planned.map((p) => p.object);
    const bytes = objects.reduce((s, o) => s + o.files.reduce((t, f) => t + f.bytes, 0), 0);
    const number = await this.positionAtEnd(drive, tape, run);
    const record: TapeFileRecord = { number, kind: 'run', state: 'failed', runId: run.runId, collectionId: run.collectionId, writtenAt: new Date().toISOString(), bytes, objects };
    const toc: TableOfContents = {
      format: TOC_FORMAT, indicator: tape.indicator, fileNumber: number, runId: run.runId, collectionId: run.collectionId,
      writtenAt: record.writtenAt!, objects, tape: structuredClone(tape),
    };
    await withScratch(async (scratch) => {
      reporter.line(`📼 Writing tape file ${number} to ${tape.indicator}: ${objects.length} object(s), ${objects.reduce((s, o) => s + o.files.length, 0)} files, ${formatBytes(bytes)}.`);
      let tocSha512: string;
      /** Set when tar's write ended with an error after which the file may still be whole on the tape (a lost answer). */
      let writeProblem: string | undefined;
      try {
        tocSha512 = await writeRunFile(drive, scratch, toc, planned, reporter);
      } catch (err) {
        // A drive that stayed busy was never opened: nothing reached the tape, nothing is recorded.
        if (!(err instanceof TapeCommandError) || err.kind === 'busy') throw err;
        if (err.kind === 'write-protected') throw new TapeNotReadyError(`Tape ${tape.indicator} in ${this.drive.device} is write-protected (${err.output}): slide its write-protect tab to "write" or load another labelled tape, then run again.`, 'write-protected');
        if (err.kind === 'no-tape') throw await this.noTapeError(cat, err);
        // Stopped (the run was stopped, its claim or the drive's lock was lost): this process records
        // nothing more — it may no longer own the run or the drive. Whatever tar got onto the tape
        // is found by the next writer's positioning, kept and recorded as an unknown file.
        if (err.kind === 'stopped') throw new TapeVerifyError(`Writing tape file ${number} on ${tape.indicator} was stopped; nothing from this run is marked as on tape. ${err.message}`);
        if (err.kind === 'end-of-tape') {
          tape.files.push({ ...record, state: 'incomplete', problem: err.output });
          tape.fullAt = new Date().toISOString();
          await this.save(drive, tape);
          throw this.fullError(cat, tape, `Tape ${tape.indicator} ran out of space while writing tape file ${number} (${formatBytes(bytes)} to write): ${err.output}.`);
        }
        // The answer was lost (the connection to the drive dropped, a time-out): tar may have written
        // the whole file. Read it back before writing everything a second time.
        writeProblem = `writing it ended with an error (${err.message})`;
        tocSha512 = await tocDigest(scratch);
        reporter.line(`⚠️ Tape file ${number} on ${tape.indicator}: ${writeProblem}; reading it back to see whether it is whole.`);
      }

      reporter.line(`🔎 Reading tape file ${number} back from ${tape.indicator} to check every file's SHA-512…`);
      let lastMember = '(the start of the file)';
      let result;
      try {
        result = await verifyRunFile(drive, scratch, number, { tocSha512, objects }, reporter, (p) => { lastMember = p; });
      } catch (err) {
        if (!(err instanceof TapeCommandError) || err.kind === 'busy') throw err;
        if (err.kind === 'stopped') throw new TapeVerifyError(`Reading tape file ${number} back from ${tape.indicator} was stopped; nothing from this run is marked as on tape. ${err.message}`);
        // tar reads members in the order they were written: the failure is in the one after the last read.
        const members = objects.flatMap((o) => o.files.map((f) => ({ path: f.path, objectId: o.objectId })));
        const order = [...members.filter((m) => isTokenStoreMember(m.path)), ...members.filter((m) => !isTokenStoreMember(m.path))]; // token stores go right after the TOC
        const object = (order[order.findIndex((x) => x.path === lastMember) + 1] ?? order[order.length - 1])?.objectId;
        tape.files.push({ ...record, problem: `${writeProblem ? `${writeProblem}; ` : ''}read back failed after ${lastMember}: ${err.output}` });
        await this.save(drive, tape);
        throw new TapeVerifyError(`Tape ${tape.indicator}, file ${number} could not be read back (${err.output}) after ${lastMember}, in object ${object}${writeProblem ? `; ${writeProblem}` : ''}: nothing from this run is marked as on tape. Run again to write it anew after this file; if it happens again, clean the drive or use another tape.`);
      }
      if (result.problems.length) {
        tape.files.push({ ...record, problem: `${writeProblem ? `${writeProblem}; ` : ''}${result.problems.map((p) => `${p.path}: ${p.why}`).join('; ')}` });
        await this.save(drive, tape);
        for (const p of result.problems) reporter.file({ path: p.path, outcome: 'failed', why: `tape ${tape.indicator} file ${number}: ${p.why}` });
        const names = result.problems.slice(0, 5).map((p) => `${p.path}${p.objectId ? ` (object ${p.objectId})` : ''}: ${p.why}`).join('; ');
        throw new TapeVerifyError(`Tape ${tape.indicator}, file ${number} did not verify${writeProblem ? ` (${writeProblem})` : ''}: ${result.problems.length} file(s) differ from the OCFL inventory — ${names}${result.problems.length > 5 ? '; …' : ''}. Nothing from this run is marked as on tape. Run again to write it anew; if it happens again, use another tape.`);
      }
      if (writeProblem) reporter.line(`✔️ Tape file ${number} on ${tape.indicator} read back whole although ${writeProblem}: it is kept, not written again.`);
      tape.files.push({ ...record, state: 'verified', verifiedAt: new Date().toISOString() });
      await this.save(drive, tape);
      // The catalogue's copy of the inventories and token stores, for a next version without the tape.
      for (const p of planned) {
        await keepInventoryCopies(this.options.cataloguePath, p.storageRoot, [p.object], reporter).catch((err: Error) =>
          reporter.line(`⚠️ The tape catalogue could not keep a copy of the inventories of ${p.object.objectId} (${err.message}); tape file ${number} holds them.`),
        );
      }
      for (const o of objects) for (const f of o.files) reporter.file({ path: f.path, outcome: 'done', why: `on tape ${tape.indicator} file ${number}, verified` });
      reporter.line(`✅ Tape file ${number} on ${tape.indicator} verified: ${objects.length} object(s), ${formatBytes(bytes)}.`);
    });
  }

  /**
   * Positions at the end of data, reconciling the catalogue with the tape first: files beyond the
   * catalogue's (a crash after a write) are kept, recorded as unknown, and written after — never
   * overwritten; records at the end of the catalogue of files that never reached the tape (a writer
   * stopped or timed out before tar wrote its first block) are dropped, as long as none of them was
   * verified. A verified file missing from the tape means the wrong tape (or a lost one): refused.
   */
  private async positionAtEnd(drive: TapeDrive, tape: TapeRecord, run: RunScope): Promise<number> {
    const known = tape.files.length;
    let atLeast = 0;
    tape.files.forEach((f, i) => {
      if (f.state === 'verified') atLeast = i + 1;
    });
    try {
      await drive.seekFile(atLeast);
    } catch (err) {
      if (err instanceof TapeCommandError && err.kind === 'media') {
        throw new TapeNotReadyError(`Tape ${tape.indicator} has fewer files than the catalogue records as verified (${atLeast}): is this the right tape? If it is, rebuild its catalogue entry with \`distillery tape catalogue --rebuild\` and run again. (${err.output})`, 'wrong-tape');
      }
      throw err;
    }
    // Count the files after the last verified one, one filemark at a time, up to the end of data.
    let onTape = atLeast;
    for (;;) {
      try {
        await drive.mt('fsf', 1);
        onTape++;
      } catch (err) {
        if (err instanceof TapeCommandError && err.kind === 'media') break; // end of data
        throw err;
      }
    }
    if (onTape < known) {
      const gone = tape.files.splice(onTape);
      await this.save(drive, tape);
      run.reporter.line(`⚠️ Tape ${tape.indicator} ends after file ${onTape - 1}: the catalogue's record${gone.length === 1 ? '' : 's'} of file${gone.length === 1 ? '' : 's'} ${gone.map((f) => f.number).join(', ')} (${gone.map((f) => f.state).join(', ')}, never verified) ${gone.length === 1 ? 'is' : 'are'} of a write that stopped before anything reached the tape; dropped, and this run's file is ${onTape}.`);
    } else if (onTape > known) {
      const extra = onTape - known;
      for (let i = 0; i < extra; i++) tape.files.push({ number: known + i, kind: 'unknown', state: 'unknown', bytes: 0, objects: [], problem: 'on the tape but not in the catalogue' });
      await this.save(drive, tape);
      run.reporter.line(`⚠️ Tape ${tape.indicator} holds ${extra} file(s) the catalogue did not know (after file ${known - 1}); they are kept and this run's file goes after them. \`distillery tape catalogue --rebuild\` reads what they are.`);
    }
    // Where a failed space-forward leaves the tape differs between drives: position exactly.
    if (onTape !== atLeast) await drive.seekFile(onTape);
    return onTape;
  }

  /** Top container per tape (once per archival object), a tape:// file version per image. */
  private async recordInArchivesSpace(run: RunScope, cat: Catalogue, folders: PreparedFolder[]): Promise<void> {
    for (const folder of folders) {
      const p = folder.package!;
      const where = locationsOf(cat, p.objectId, p.version);
      if (!where.length) continue;
      const newest = where[where.length - 1];
      const tape = newest.tape;
      await run.aspace.ensureTapeContainer(folder.record.archivalObjectUri, tape.indicator, this.options.containerProfileUri);
      const inv = await readInventory(p.storageRoot || this.options.storageRoot, p.objectId);
      if (!inv) throw new PermanentError(`There is no OCFL object ${p.objectId} in ${p.storageRoot}.`);
      const state = stateOf(inv, p.version);
      for (const image of folder.images) {
        const digest = state.get(image.logicalPath);
        const contentPaths = digest ? Object.entries(inv.manifest).find(([d]) => d.toLowerCase() === digest)?.[1] ?? [] : [];
        const found = findOnTape(cat, tape, contentPaths.map((c) => `${p.objectPath}/${c}`));
        if (!found) {
          run.reporter.file({ path: image.jp2Path, outcome: 'failed', why: `not found on any verified tape file (logical path ${image.logicalPath})` });
          throw new PermanentError(`Image ${image.sequence} of ${folder.name} (${image.logicalPath}) is not in any verified tape file of ${p.objectId}: rebuild the tape catalogue with \`distillery tape catalogue --rebuild\` and run again.`);
        }
        await run.aspace.upsertFileVersions(image.componentUri, [{
          file_uri: `tape://${found.indicator}/${found.fileNumber}/${found.path}`,
          checksum: image.digests.sha512.toLowerCase(),
          checksum_method: 'sha-512',
          file_size_bytes: image.bytes,
          file_format_name: 'JPEG 2000',
          file_format_version: image.technical.fileFormatVersion,
          caption: image.technical.caption,
          use_statement: 'image-master',
          publish: false,
        }]);
      }
      // Files preserved as they are (PDF, audio…) are recorded the same way, with their own format.
      for (const file of folder.files ?? []) {
        const digest = state.get(file.logicalPath);
        const contentPaths = digest ? Object.entries(inv.manifest).find(([d]) => d.toLowerCase() === digest)?.[1] ?? [] : [];
        const found = findOnTape(cat, tape, contentPaths.map((c) => `${p.objectPath}/${c}`));
        if (!found) throw new PermanentError(`${file.name} of ${folder.name} (${file.logicalPath}) is not in any verified tape file of ${p.objectId}: rebuild the tape catalogue with \`distillery tape catalogue --rebuild\` and run again.`);
        await run.aspace.upsertFileVersions(file.componentUri, [{
          file_uri: `tape://${found.indicator}/${found.fileNumber}/${found.path}`,
          checksum: file.digests.sha512.toLowerCase(),
          checksum_method: 'sha-512',
          file_size_bytes: file.bytes,
          ...(file.format.name ? { file_format_name: file.format.name } : {}),
          file_format_version: file.format.version,
          ...(file.format.caption ? { caption: file.format.caption } : {}),
          use_statement: file.format.useStatement,
          publish: false,
        }]);
      }
      run.reporter.line(`📝 Recorded ${folder.name} on tape ${tape.indicator} (file ${newest.file.number}) in ArchivesSpace: ${run.aspace.staffUrl(folder.record.archivalObjectUri)}`);
      run.reporter.folder?.({ folder: folder.name, state: 'done', counts: { images: folder.images.length }, where: { tape: { indicator: tape.indicator, file: newest.file.number } } });
    }
  }

  /** Reads the label and finds (or adopts) the tape's catalogue record. */
  async identify(cat: Catalogue, drive: TapeDrive): Promise<TapeRecord> {
    let read;
    try {
      read = await readLabel(drive);
    } catch (err) {
      if (err instanceof TapeCommandError && err.kind === 'no-tape') throw await this.noTapeError(cat, err);
      if (err instanceof TapeCommandError && err.kind === 'busy') throw err; // said by withDrive, with the likely holder
      if (err instanceof TapeCommandError) throw new TapeNotReadyError(`The tape drive ${this.drive.device} is not ready: ${err.message}`, 'drive');
      throw err;
    }
    if (read.kind === 'unlabelled') {
      throw new TapeNotReadyError(`The tape in ${this.drive.device} is ${read.detail}: label it with \`distillery tape label ${nextIndicator(cat, this.options.indicatorPrefix)}\` (if it may be reused), or load a labelled tape, then run again.`, 'unlabelled');
    }
    let tape = findTape(cat, read.label.indicator);
    if (!tape) {
      // Labelled elsewhere or the catalogue was lost: adopt it; unknown files are found when positioning.
      tape = { indicator: read.label.indicator, labelledAt: read.label.labelledAt, blockingFactor: read.label.blockingFactor, files: [{ number: 0, kind: 'label', state: 'verified', bytes: 0, objects: [], writtenAt: read.label.labelledAt }] };
      cat.tapes.push(tape);
    }
    return tape;
  }

  private async noTapeError(cat: Catalogue, err: TapeCommandError): Promise<TapeNotReadyError> {
    return new TapeNotReadyError(`No tape in ${this.drive.device} (${err.output}): ${loadAdvice(cat, this.options.indicatorPrefix)}, then run again.`, 'no-tape');
  }

  private fullError(cat: Catalogue, tape: TapeRecord, what: string): TapeNotReadyError {
    return new TapeNotReadyError(`${what} Nothing from this run is recorded on it. Load a new tape and label it with \`distillery tape label ${nextIndicator(cat, this.options.indicatorPrefix, tape.indicator)}\`, then run again: the run continues with what is not yet on tape.`, 'full');
  }
}

/** Which tape to load: the last one with room, else a new one. */
export function loadAdvice(cat: Catalogue, prefix: string): string {
  const open = cat.tapes.filter((t) => !t.fullAt && !t.erasedAt).pop();
  return open ? `load tape ${open.indicator}` : `load a blank tape and label it with \`distillery tape label ${nextIndicator(cat, prefix)}\``;
}

/** The tape file holding one of these paths, on this tape first, then on any tape. */
function findOnTape(cat: Catalogue, preferred: TapeRecord, paths: string[]): { indicator: string; fileNumber: number; path: string } | undefined {
  const tapes = [preferred, ...cat.tapes.filter((t) => t !== preferred && !t.erasedAt)];
  for (const t of tapes) {
    for (const f of [...t.files].reverse()) {
      if (f.state !== 'verified') continue;
      for (const o of f.objects) for (const file of o.files) if (paths.includes(file.path)) return { indicator: t.indicator, fileNumber: f.number, path: file.path };
    }
  }
  return undefined;
}
