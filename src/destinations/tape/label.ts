/**
 * Tape identity: file 0 of every tape is a small tar file holding one member,
 * `DISTILLERY-TAPE-LABEL.json` ({ indicator, labelledAt, … }), so plain `tar -xf /dev/nst0` on a
 * rewound tape shows which tape it is.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policies } from '../../policies.js';
import { TapeCommandError, type TapeDrive } from './drive.js';

export const LABEL_MEMBER = 'DISTILLERY-TAPE-LABEL.json';
export const LABEL_FORMAT = 'distillery-tape-label/1';

export interface TapeLabel {
  format: typeof LABEL_FORMAT;
  indicator: string;
  labelledAt: string;
  blockingFactor: number;
}

export type LabelRead =
  | { kind: 'labelled'; label: TapeLabel }
  /** Blank, or a tape with something else on it: `detail` says what tar saw. */
  | { kind: 'unlabelled'; blank: boolean; detail: string };

export const INDICATOR_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Rewinds and reads the label. Throws TapeCommandError for a drive fault (no tape, mt failure). */
export async function readLabel(drive: TapeDrive): Promise<LabelRead> {
  await drive.rewind();
  let stdout: string;
  try {
    stdout = (await drive.tar('read label', ['--extract', '--to-stdout', '--occurrence=1', LABEL_MEMBER], { policy: policies.tapePosition })).stdout;
  } catch (err) {
    if (err instanceof TapeCommandError && (err.kind === 'busy' || err.kind === 'no-tape' || err.kind === 'not-found' || err.kind === 'timeout' || err.kind === 'stopped')) throw err;
    if (err instanceof TapeCommandError) {
      const blank = err.kind === 'media';
      return { kind: 'unlabelled', blank, detail: blank ? 'blank (nothing could be read at the start of the tape)' : `not labelled by Distillery (tar: ${err.output.split('\n')[0]})` };
    }
    throw err;
  }
  try {
    const label = JSON.parse(stdout) as TapeLabel;
    if (label.format !== LABEL_FORMAT || typeof label.indicator !== 'string') throw new Error('unknown format');
    return { kind: 'labelled', label };
  } catch {
    return { kind: 'unlabelled', blank: false, detail: `not labelled by Distillery (its ${LABEL_MEMBER} is not a Distillery label)` };
  }
}

/** Rewinds and writes the label as file 0 (everything after it on the tape is gone), then reads it back. */
export async function writeLabel(drive: TapeDrive, indicator: string, now = new Date()): Promise<TapeLabel> {
  const label: TapeLabel = { format: LABEL_FORMAT, indicator, labelledAt: now.toISOString(), blockingFactor: drive.options.blockingFactor };
  const dir = await mkdtemp(join(tmpdir(), 'distillery-tape-label-'));
  try {
    await writeFile(join(dir, LABEL_MEMBER), `${JSON.stringify(label, null, 2)}\n`);
    await drive.rewind();
    await drive.tar('write label', ['--create', '--format=posix', `--directory=${dir}`, LABEL_MEMBER]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const back = await readLabel(drive);
  if (back.kind !== 'labelled' || back.label.indicator !== indicator) {
    throw new Error(`The label ${indicator} did not read back from the tape in ${drive.device} (${back.kind === 'unlabelled' ? back.detail : back.label.indicator}): the tape or drive may be faulty; try another tape.`);
  }
  return label;
}
