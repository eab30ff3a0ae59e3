/**
 * Rebuilds a tape's catalogue entry from the tape alone: the label (file 0), then for every later
 * file its table of contents, and a full read-back that checks every member's sha512 against it.
 */
import type { Reporter } from '../../runs/reporter.js';
import { type TapeFileRecord, type TapeRecord } from './catalogue.js';
import { policies } from '../../policies.js';
import { TapeCommandError, type TapeDrive } from './drive.js';
import { readLabel } from './label.js';
import { TOC_FORMAT, TOC_MEMBER, verifyRunFile, withScratch, type TableOfContents } from './runFile.js';

export async function rebuildTapeRecord(drive: TapeDrive, reporter: Reporter): Promise<TapeRecord> {
  const read = await readLabel(drive);
  if (read.kind === 'unlabelled') throw new Error(`The tape in ${drive.device} is ${read.detail}: there is no Distillery catalogue to rebuild.`);
  const tape: TapeRecord = {
    indicator: read.label.indicator,
    labelledAt: read.label.labelledAt,
    blockingFactor: read.label.blockingFactor,
    files: [{ number: 0, kind: 'label', state: 'verified', bytes: 0, objects: [], writtenAt: read.label.labelledAt }],
  };
  reporter.line(`📼 Rebuilding the catalogue of tape ${tape.indicator} from the tape…`);
  await withScratch(async (scratch) => {
    for (let n = 1; ; n++) {
      try {
        await drive.seekFile(n);
      } catch (err) {
        if (err instanceof TapeCommandError && err.kind === 'media') break; // past the end of data
        throw err;
      }
      let toc: TableOfContents;
      try {
        const out = await drive.tar(`read table of contents of file ${n}`, ['--extract', '--to-stdout', '--occurrence=1', TOC_MEMBER], { policy: policies.tapePosition });
        toc = JSON.parse(out.stdout) as TableOfContents;
        if (toc.format !== TOC_FORMAT) throw new Error(`unknown table of contents format ${String(toc.format)}`);
      } catch (err) {
        if (err instanceof TapeCommandError && err.kind === 'media' && /Cannot read|Input\/output/.test(err.output) && !(await hasFile(drive, n))) break;
        tape.files.push({ number: n, kind: 'unknown', state: 'unknown', bytes: 0, objects: [], problem: `no Distillery table of contents: ${(err as Error).message.split('\n')[0]}` });
        reporter.line(`⚠️ Tape file ${n}: no Distillery table of contents.`);
        continue;
      }
      const record: TapeFileRecord = {
        number: n, kind: 'run', state: 'verified', runId: toc.runId, collectionId: toc.collectionId, writtenAt: toc.writtenAt,
        bytes: toc.objects.reduce((s, o) => s + o.files.reduce((t, f) => t + f.bytes, 0), 0), objects: toc.objects,
      };
      try {
        const { problems } = await verifyRunFile(drive, scratch, n, { objects: toc.objects }, reporter);
        if (problems.length) {
          record.state = 'failed';
          record.problem = problems.map((p) => `${p.path}: ${p.why}`).join('; ');
        } else record.verifiedAt = new Date().toISOString();
      } catch (err) {
        record.state = err instanceof TapeCommandError && /Unexpected EOF|No space/i.test(err.output) ? 'incomplete' : 'failed';
        record.problem = (err as Error).message;
      }
      tape.files.push(record);
      reporter.line(`${record.state === 'verified' ? '✅' : '❌'} Tape file ${n}: ${toc.collectionId} run ${toc.runId}, ${toc.objects.length} object(s), ${record.state}${record.problem ? ` (${record.problem})` : ''}.`);
    }
  });
  return tape;
}

/** After a failed read at file n: is there a file there at all? (spacing over it succeeds). */
async function hasFile(drive: TapeDrive, n: number): Promise<boolean> {
  try {
    await drive.seekFile(n + 1);
    return true;
  } catch {
    return false;
  }
}
