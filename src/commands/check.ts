/**
 * `distillery check`: validates settings.ini (every problem at once), then reports which folders,
 * tools and services are usable, with versions. Secrets are shown only as "set". Exit 0 when
 * everything is usable, 1 otherwise, 2 when the settings themselves are invalid.
 */
import { access, constants, stat } from 'node:fs/promises';
import { imageToolVersions } from '../images/index.js';
import { loadSettings, SettingsError, settingsPath, type Settings } from '../settings/index.js';
import { archivesSpaceFrom, destinationFor, networkFor, storageRootOf } from '../wiring.js';
import { ObjectIdentity } from '../ocfl/index.js';
import { DESTINATION_ORDER } from '../destinations/destination.js';

type Row = { what: string; ok: boolean; detail: string };

export async function checkCommand(_args: string[]): Promise<number> {
  const file = settingsPath();
  let settings: Settings;
  try {
    settings = await loadSettings(file, 'worker');
  } catch (err) {
    if (err instanceof SettingsError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  console.log(`Settings: ${file} — valid.`);
  if (settings.secretKeys.size) {
    console.log(`Secrets (values never shown): ${[...settings.secretKeys].map((k) => `${k} ${settings.reader.has(k) ? 'set' : 'not set'}`).join(', ')}`);
  }
  const obsolete = [...settings.obsoleteKeys, ...(settings.tape?.ignoredKeys ?? [])];
  if (obsolete.length) console.log(`Not needed any more (the original's keys; they can be removed): ${obsolete.join(', ')}`);
  if (settings.reader.aliasesRead.length) {
    console.log(`Read under the original's 2024 names (they may stay, or be renamed): ${settings.reader.aliasesRead.map(([old, key]) => `${old} as ${key}`).join(', ')}`);
  }
  const unread = settings.reader.unreadKeys();
  if (unread.length) console.log(`Ignored (nothing reads them; a typo?): ${unread.join(', ')}`);
  const rows: Row[] = [];
  for (const [name, dir] of Object.entries({
    STATUS_FILES: settings.folders.statusFiles,
    STAGE_1_ORIGINAL_FILES: settings.folders.stage1,
    STAGE_2_ORIGINAL_FILES: settings.folders.stage2,
    STAGE_3_ORIGINAL_FILES: settings.folders.stage3,
    LOSSLESS_PRESERVATION_FILES: settings.folders.preservation,
  })) {
    rows.push(await folderRow(name, dir));
  }
  // Read only: check writes nothing, not even the namespace pin.
  rows.push(
    await ObjectIdentity.open(storageRootOf(settings), settings.ocfl.idNamespace, { readOnly: true }).then(
      async (identity) => ({ what: 'OCFL object ids', ok: true, detail: await identity.checkNote() }),
      (err: NodeJS.ErrnoException) => ({ what: 'OCFL object ids', ok: err.code === 'ENOENT', detail: err.code === 'ENOENT' ? 'no OCFL objects yet' : err.message }),
    ),
  );
  for (const tool of await imageToolVersions(settings.images)) {
    rows.push({ what: tool.name, ok: !tool.version.startsWith('unavailable'), detail: tool.version });
  }
  try {
    const c = await archivesSpaceFrom(settings).ping();
    rows.push({ what: 'ArchivesSpace', ok: true, detail: c });
  } catch (err) {
    rows.push({ what: 'ArchivesSpace', ok: false, detail: (err as Error).message });
  }
  for (const process of DESTINATION_ORDER) {
    const d = destinationFor(settings, process);
    if (typeof d === 'string') {
      rows.push({ what: process, ok: true, detail: `not configured (the form shows it as unavailable)` });
      continue;
    }
    const r = await d.check().catch((err: Error) => ({ ok: false, detail: err.message }));
    rows.push({ what: `${process} (${d.platform})`, ok: r.ok, detail: r.detail });
  }
  const network = networkFor(settings);
  if (network) {
    const r = await network.check();
    rows.push({ what: `network (${network.platform})`, ok: r.ok, detail: r.detail });
  } else rows.push({ what: 'network', ok: true, detail: 'not configured (NETWORK_INGEST_URL is empty)' });
  const width = Math.max(...rows.map((r) => r.what.length));
  for (const r of rows) console.log(`${r.ok ? '✅' : '❌'} ${r.what.padEnd(width)}  ${r.detail}`);
  const bad = rows.filter((r) => !r.ok).length;
  console.log(bad ? `${bad} problem${bad === 1 ? '' : 's'} found.` : 'Everything is ready.');
  return bad ? 1 : 0;
}

async function folderRow(name: string, dir: string): Promise<Row> {
  try {
    if (!(await stat(dir)).isDirectory()) return { what: name, ok: false, detail: `${dir} is not a folder` };
    await access(dir, constants.W_OK);
    return { what: name, ok: true, detail: dir };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { what: name, ok: false, detail: code === 'ENOENT' ? `${dir} does not exist: create it (and mount the share) first` : `${dir} is not writable (${code})` };
  }
}
