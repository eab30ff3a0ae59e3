/**
 * `distillery tape …`: label a tape, show what is on the loaded tape, rebuild the catalogue from
 * the tape alone. (`distillery tape standin …`, for demos and training, is the stand-in's own
 * command: src/destinations/tape/standin/cli.ts; nothing here loads the stand-in.)
 */
import { silentReporter, type Reporter } from '../../runs/reporter.js';
import { findTape, loadCatalogue, nextIndicator, updateCatalogue, withDriveLock } from './catalogue.js';
import { TapeCommandError, TapeDrive } from './drive.js';
import { INDICATOR_PATTERN, readLabel, writeLabel } from './label.js';
import { rebuildTapeRecord } from './rebuild.js';
import { formatBytes } from './runFile.js';
import type { TapeSettings } from './settings.js';

export interface TapeCliOptions {
  /** The tape settings; read from settings.ini (loadSettings) when absent. */
  settings?: Omit<TapeSettings, 'ignoredKeys'> & { ignoredKeys?: string[] };
  out?: (line: string) => void;
  err?: (line: string) => void;
}

const USAGE = `usage: distillery tape <command>
  label <indicator> [--force]   write the label (file 0) on the loaded tape; --force relabels a used tape (erases it)
  status                        the loaded tape's label and what the catalogue says is on it
  catalogue --rebuild           rebuild the loaded tape's catalogue entry by reading the whole tape
  standin …                     a stand-in tape library for demos and training (distillery tape standin help)`;

export async function tapeCommand(args: string[], options: TapeCliOptions = {}): Promise<number> {
  const out = options.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const err = options.err ?? ((l: string) => process.stderr.write(`${l}\n`));
  const [cmd, ...rest] = args;
  try {
    switch (cmd) {
      case 'label':
      case 'status':
      case 'catalogue': {
        const settings = options.settings ?? (await settingsFromFile());
        if (cmd === 'catalogue' && !rest.includes('--rebuild')) {
          err(USAGE);
          return 2;
        }
        // Nothing else uses the drive meanwhile (a run on any host waits, and this waits for a run).
        return await withDriveLock(settings.cataloguePath, settings.device, async (held) => {
          const drive = new TapeDrive(settings, held);
          if (cmd === 'label') return label(drive, settings, rest, out, err);
          if (cmd === 'status') return status(drive, settings, out, err);
          return rebuild(drive, settings, out);
        }, { onWait: (holder) => out(`⏳ The tape drive ${settings.device} is in use by ${holder}; waiting for it…`) });
      }
      case undefined:
      case 'help':
      case '--help':
        out(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        err(`unknown tape command "${cmd}"\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    err(`❌ ${(e as Error).message}`);
    return 1;
  }
}

async function settingsFromFile(): Promise<TapeSettings> {
  const { loadSettings } = await import('../../settings/index.js');
  const s = await loadSettings();
  if (!s.tape) throw new Error('ONSITE_MEDIUM is not "tape" in settings.ini: set ONSITE_MEDIUM=tape and the TAPE_ keys (see docs/tape.md).');
  return s.tape;
}

async function label(drive: TapeDrive, settings: NonNullable<TapeCliOptions['settings']>, args: string[], out: (l: string) => void, err: (l: string) => void): Promise<number> {
  const force = args.includes('--force');
  const indicator = args.find((a) => !a.startsWith('--'));
  const cat = await loadCatalogue(settings.cataloguePath);
  if (!indicator || !INDICATOR_PATTERN.test(indicator)) {
    err(`Give the tape's indicator (letters, digits, . _ -), e.g. distillery tape label ${nextIndicator(cat, settings.indicatorPrefix)}`);
    return 2;
  }
  const existing = await readLabel(drive);
  if (!force) {
    if (existing.kind === 'labelled') {
      const rec = findTape(cat, existing.label.indicator);
      err(`❌ The tape in ${drive.device} is already labelled ${existing.label.indicator} (labelled ${existing.label.labelledAt}${rec ? `, ${rec.files.length} tape files in the catalogue` : ''}). Relabelling erases everything on it: add --force only if nothing on it is needed any more.`);
      return 1;
    }
    if (!existing.blank) {
      err(`❌ The tape in ${drive.device} is not blank: it is ${existing.detail}. Labelling erases it: add --force only if nothing on it is needed.`);
      return 1;
    }
    if (findTape(cat, indicator)) {
      err(`❌ The catalogue already has a tape labelled ${indicator}: each tape needs its own indicator; try ${nextIndicator(cat, settings.indicatorPrefix)}.`);
      return 1;
    }
  }
  if (settings.indicatorPrefix && !indicator.startsWith(settings.indicatorPrefix)) {
    out(`⚠️ ${indicator} does not start with TAPE_INDICATOR_PREFIX "${settings.indicatorPrefix}".`);
  }
  const written = await writeLabel(drive, indicator);
  const now = new Date().toISOString();
  await updateCatalogue(settings.cataloguePath, (fresh) => {
    for (const t of fresh.tapes) {
      if (!t.erasedAt && (t.indicator === indicator || (existing.kind === 'labelled' && t.indicator === existing.label.indicator))) t.erasedAt = now;
    }
    fresh.tapes.push({ indicator, labelledAt: written.labelledAt, blockingFactor: written.blockingFactor, files: [{ number: 0, kind: 'label', state: 'verified', bytes: 0, objects: [], writtenAt: written.labelledAt }] });
  });
  out(`✅ Labelled the tape in ${drive.device} ${indicator}${existing.kind === 'labelled' ? ` (it was ${existing.label.indicator}; its catalogue entry is marked erased)` : ''}. Write the indicator on the cartridge's label too.`);
  return 0;
}

async function status(drive: TapeDrive, settings: NonNullable<TapeCliOptions['settings']>, out: (l: string) => void, err: (l: string) => void): Promise<number> {
  const cat = await loadCatalogue(settings.cataloguePath);
  let read;
  try {
    read = await readLabel(drive);
  } catch (e) {
    if (e instanceof TapeCommandError && e.kind === 'no-tape') {
      err(`❌ No tape in ${drive.device} (${e.output}).`);
      return 1;
    }
    throw e;
  }
  if (read.kind === 'unlabelled') {
    out(`The tape in ${drive.device} is ${read.detail}. Label it with: distillery tape label ${nextIndicator(cat, settings.indicatorPrefix)}`);
    return 1;
  }
  const tape = findTape(cat, read.label.indicator);
  out(`Tape ${read.label.indicator} in ${drive.device}, labelled ${read.label.labelledAt}.`);
  if (!tape) {
    out(`The catalogue (${settings.cataloguePath}) does not know this tape: run \`distillery tape catalogue --rebuild\` to read its contents from the tape.`);
    return 0;
  }
  const verified = tape.files.filter((f) => f.state === 'verified');
  out(`${tape.files.length} tape file(s); ${formatBytes(verified.reduce((s, f) => s + f.bytes, 0))} verified${tape.fullAt ? `; FULL since ${tape.fullAt}` : ''}.`);
  for (const f of tape.files) {
    if (f.kind === 'label') {
      out(`  file ${f.number}: label`);
      continue;
    }
    out(`  file ${f.number}: ${f.state}${f.collectionId ? ` — collection ${f.collectionId}, run ${f.runId}` : ''}${f.writtenAt ? `, written ${f.writtenAt}` : ''}, ${formatBytes(f.bytes)}${f.problem ? ` (${f.problem})` : ''}`);
    for (const o of f.objects) out(`      ${o.objectId} ${o.versions.join(',')} (${o.files.length} files, ${o.objectPath})`);
  }
  return 0;
}

async function rebuild(drive: TapeDrive, settings: NonNullable<TapeCliOptions['settings']>, out: (l: string) => void): Promise<number> {
  const reporter: Reporter = { ...silentReporter, line: out };
  const tape = await rebuildTapeRecord(drive, reporter);
  await updateCatalogue(settings.cataloguePath, (cat) => {
    const old = findTape(cat, tape.indicator);
    if (old) cat.tapes.splice(cat.tapes.indexOf(old), 1);
    if (old?.fullAt || tape.files.some((f) => f.state === 'incomplete')) tape.fullAt = old?.fullAt ?? new Date().toISOString();
    cat.tapes.push(tape);
  });
  const bad = tape.files.filter((f) => f.state !== 'verified').length;
  out(`✅ Catalogue of tape ${tape.indicator} rebuilt from the tape: ${tape.files.length} tape file(s)${bad ? `, ${bad} not verified` : ''}.`);
  return bad ? 1 : 0;
}
