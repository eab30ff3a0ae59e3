/**
 * `distillery tape label | status | catalogue --rebuild` through tapeCommand: real GNU tar and GNU mt
 * (mt-gnu) through rmt to the project's tape stand-in (or a real drive with TAPE_TEST_DEVICE; the
 * tests that need a blank or a second tape are then skipped), real OCFL objects.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, expect, test, vi } from 'vitest';
import { loadCatalogue, tapeCommand, TapeDestination } from '../../../src/destinations/tape/index.js';
import { tapeCommand as distilleryTape } from '../../../src/commands/tape.js';
import { loadTape } from '../../../src/destinations/tape/standin/rmt-standin.js';
import { cliIo, makeFolder, RecordingArchivesSpace, REAL_DEVICE, runScope, tapeEnv, type TapeEnv } from './fixture.js';

let env: TapeEnv;
afterEach(async () => {
  vi.unstubAllEnvs();
  await env?.cleanup();
});

async function tape(args: string[]) {
  const { out, err, io } = cliIo();
  const code = await tapeCommand(args, { settings: env.options, ...io });
  return { code, out, err };
}

async function writeRun(folders: Awaited<ReturnType<typeof makeFolder>>[], runId: string) {
  const dest = new TapeDestination(env.options);
  const scope = runScope(new RecordingArchivesSpace(), runId);
  await dest.begin(scope);
  for (const f of folders) await dest.deliver(scope, f);
  await dest.finish(scope);
}

test.skipIf(REAL_DEVICE)('label: a blank tape is labelled; a labelled one is refused without --force, relabelled (erased) with it', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  let r = await tape(['label', 'LTO-000001']);
  expect(r).toMatchObject({ code: 0, err: [] });
  expect(r.out).toEqual(['✅ Labelled the tape in localhost:/dev/nst0 LTO-000001. Write the indicator on the cartridge\'s label too.']);
  await writeRun([await makeFolder(env, 'F1', [{ seq: '0001' }])], 'run-1');

  r = await tape(['label', 'LTO-000009']);
  expect(r.code).toBe(1);
  expect(r.err[0]).toMatch(/^❌ The tape in localhost:\/dev\/nst0 is already labelled LTO-000001 \(labelled .*, 2 tape files in the catalogue\)\. Relabelling erases everything on it: add --force only if nothing on it is needed any more\.$/);
  expect((await tape(['status'])).out[0]).toMatch(/^Tape LTO-000001 in /); // untouched

  r = await tape(['label', 'LTO-000009', '--force']);
  expect(r.code).toBe(0);
  expect(r.out.at(-1)).toBe('✅ Labelled the tape in localhost:/dev/nst0 LTO-000009 (it was LTO-000001; its catalogue entry is marked erased). Write the indicator on the cartridge\'s label too.');
  const cat = await loadCatalogue(env.options.cataloguePath);
  expect(cat.tapes.map((t) => [t.indicator, Boolean(t.erasedAt), t.files.length])).toEqual([['LTO-000001', true, 2], ['LTO-000009', false, 1]]);
  // The erased tape's run no longer counts as held: the folder would be written again.
  expect((await tape(['status'])).out).toEqual([expect.stringMatching(/^Tape LTO-000009 in localhost:\/dev\/nst0, labelled /), '1 tape file(s); 0 B verified.', '  file 0: label']);
});

test.skipIf(REAL_DEVICE)('label: bad indicators and indicators already in use are refused with the next free one suggested', async () => {
  env = await tapeEnv({ A: {}, B: {} }, 'A');
  let r = await tape(['label']);
  expect(r).toMatchObject({ code: 2, err: ['Give the tape\'s indicator (letters, digits, . _ -), e.g. distillery tape label LTO-000001'] });
  r = await tape(['label', 'bad indicator']);
  expect(r.code).toBe(2);
  expect((await tape(['label', 'LTO-000001'])).code).toBe(0);
  loadTape(env.library, 'B');
  r = await tape(['label', 'LTO-000001']);
  expect(r).toMatchObject({ code: 1, err: ['❌ The catalogue already has a tape labelled LTO-000001: each tape needs its own indicator; try LTO-000002.'] });
  r = await tape(['label', 'TAPE-7']);
  expect(r.code).toBe(0);
  expect(r.out[0]).toBe('⚠️ TAPE-7 does not start with TAPE_INDICATOR_PREFIX "LTO-".');
});

test.skipIf(REAL_DEVICE)('status: the label and every tape file with its objects; an empty drive and a blank tape say what to do', async () => {
  env = await tapeEnv({ A: {}, B: {} }, 'A');
  expect(await tape(['label', 'LTO-000001'])).toMatchObject({ code: 0 });
  const f1 = await makeFolder(env, 'F1', [{ seq: '0001' }, { seq: '0002' }]);
  await writeRun([f1], 'run-1');
  const r = await tape(['status']);
  expect(r.code).toBe(0);
  expect(r.out[0]).toMatch(/^Tape LTO-000001 in localhost:\/dev\/nst0, labelled \d{4}-/);
  // Two 30 KB images plus the OCFL inventories and declarations.
  expect(r.out[1]).toMatch(/^2 tape file\(s\); 6\d\.\d KB verified\.$/);
  expect(r.out[2]).toBe('  file 0: label');
  expect(r.out[3]).toMatch(/^ {2}file 1: verified — collection DEMO, run run-1, written .*, 6\d\.\d KB$/);
  expect(r.out[4]).toMatch(new RegExp(`^ {6}${f1.package!.objectId.replace(/[.]/g, '\\.')} v1 \\(\\d+ files, ${f1.package!.objectPath}\\)$`));

  loadTape(env.library, 'B');
  expect(await tape(['status'])).toMatchObject({ code: 1, out: ['The tape in localhost:/dev/nst0 is blank (nothing could be read at the start of the tape). Label it with: distillery tape label LTO-000002'] });
  loadTape(env.library, null);
  expect(await tape(['status'])).toMatchObject({ code: 1, err: ['❌ No tape in localhost:/dev/nst0 (mt-gnu: localhost:/dev/nst0: rmtopen failed: No medium found).'] });
});

test('catalogue --rebuild: the catalogue is recovered from the tape alone, every file read back and checked', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  expect((await tape(['label', 'LTO-000001', ...(REAL_DEVICE ? ['--force'] : [])])).code).toBe(0);
  const f1 = await makeFolder(env, 'F1', [{ seq: '0001' }]);
  await writeRun([f1], 'run-1');
  const f2 = await makeFolder(env, 'F2', [{ seq: '0001' }, { seq: '0002' }]);
  await writeRun([f2], 'run-2');
  const before = (await loadCatalogue(env.options.cataloguePath)).tapes[0];

  await rm(env.options.cataloguePath); // the shared mount's catalogue is lost
  expect((await tape(['status'])).out[1]).toBe('The catalogue (' + env.options.cataloguePath + ') does not know this tape: run `distillery tape catalogue --rebuild` to read its contents from the tape.');
  expect(await tape(['catalogue'])).toMatchObject({ code: 2 }); // --rebuild must be asked for
  const r = await tape(['catalogue', '--rebuild']);
  expect(r.err).toEqual([]);
  expect(r.code).toBe(0);
  expect(r.out[0]).toBe('📼 Rebuilding the catalogue of tape LTO-000001 from the tape…');
  expect(r.out.at(-1)).toBe('✅ Catalogue of tape LTO-000001 rebuilt from the tape: 3 tape file(s).');

  const after = (await loadCatalogue(env.options.cataloguePath)).tapes[0];
  const shape = (t: typeof before) => t.files.map((f) => ({ number: f.number, kind: f.kind, state: f.state, runId: f.runId, bytes: f.bytes, objects: f.objects }));
  expect(shape(after)).toEqual(shape(before));
  // The rebuilt catalogue is good for the next run: nothing already on tape is written again.
  const scope = runScope(new RecordingArchivesSpace(), 'run-3');
  const dest = new TapeDestination(env.options);
  await dest.deliver(scope, f1);
  await dest.finish(scope);
  expect(scope.reporter.lines.some((l) => l.startsWith('↩️ F1:'))).toBe(true);
  expect((await loadCatalogue(env.options.cataloguePath)).tapes[0].files).toHaveLength(3);
});

test.skipIf(REAL_DEVICE)('catalogue --rebuild marks a tape file that no longer reads back as failed, and says so', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  expect((await tape(['label', 'LTO-000001'])).code).toBe(0);
  await writeRun([await makeFolder(env, 'F1', [{ seq: '0001' }])], 'run-1');
  const { setTapeFaults } = await import('../../../src/destinations/tape/standin/rmt-standin.js');
  setTapeFaults(env.library, 'A', { readErrors: [{ file: 1, offset: 20_000 }] });
  await rm(env.options.cataloguePath);
  const r = await tape(['catalogue', '--rebuild']);
  expect(r.code).toBe(1);
  expect(r.out.some((l) => /^❌ Tape file 1: DEMO run run-1, 1 object\(s\), failed \(tar \(read back file 1\) on localhost:\/dev\/nst0 failed: tar: .*Input\/output error/.test(l))).toBe(true);
  expect(r.out.at(-1)).toBe('✅ Catalogue of tape LTO-000001 rebuilt from the tape: 2 tape file(s), 1 not verified.');
  expect((await loadCatalogue(env.options.cataloguePath)).tapes[0].files.map((f) => f.state)).toEqual(['verified', 'failed']);
});

test.skipIf(REAL_DEVICE)('`distillery tape` reads its settings from settings.ini (loadSettings) and says when onsite is not tape', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  const o = env.options;
  const ini = (onsite: string) => `[settings]
STATUS_FILES = ${join(env.dir, 'status')}
STAGE_1_ORIGINAL_FILES = ${join(env.dir, 's1')}
STAGE_2_ORIGINAL_FILES = ${join(env.dir, 's2')}
STAGE_3_ORIGINAL_FILES = ${join(env.dir, 's3')}
LOSSLESS_PRESERVATION_FILES = ${join(env.dir, 'preservation')}
WEB_SESSION_SECRET = 0123456789abcdef0123456789abcdef
ASPACE_API_URL = http://127.0.0.1:8089
ASPACE_USERNAME = distillery
ASPACE_PASSWORD = secret
ONSITE_MEDIUM = ${onsite}
TAPE_DEVICE = ${o.device}
TAPE_MT_CMD = ${o.mtCommand}
TAPE_TAR_CMD = ${o.tarCommand}
TAPE_RSH_CMD = ${o.rshCommand}
TAPE_BLOCKING_FACTOR = 20
TAPE_INDICATOR_PREFIX = ARCH-
TAPE_SSH_HOST = tapeserver.example.edu
`;
  const file = join(env.dir, 'settings.ini');
  vi.stubEnv('DISTILLERY_SETTINGS', file);
  await writeFile(file, ini('tape'));
  const { out, err, io } = cliIo();
  // Through the `distillery` command's module, with no settings injected.
  expect(await distilleryTape(['label', 'ARCH-000001'], io), err.join('\n')).toBe(0);
  expect(out).toEqual(['✅ Labelled the tape in localhost:/dev/nst0 ARCH-000001. Write the indicator on the cartridge\'s label too.']);
  // TAPE_CATALOGUE unset: the catalogue is kept in STATUS_FILES.
  const cat = await loadCatalogue(join(env.dir, 'status', 'tape-catalogue.json'));
  expect(cat.tapes.map((t) => t.indicator)).toEqual(['ARCH-000001']);
  out.length = 0;
  expect(await distilleryTape(['status'], io)).toBe(0);
  expect(out[0]).toMatch(/^Tape ARCH-000001 in localhost:\/dev\/nst0/);

  await writeFile(file, ini(''));
  err.length = 0;
  expect(await distilleryTape(['status'], io)).toBe(1);
  expect(err).toEqual(['❌ ONSITE_MEDIUM is not "tape" in settings.ini: set ONSITE_MEDIUM=tape and the TAPE_ keys (see docs/tape.md).']);

  await writeFile(file, ini('tape').replace('TAPE_DEVICE = localhost:/dev/nst0', 'TAPE_DEVICE = /dev/st0'));
  err.length = 0;
  expect(await distilleryTape(['status'], io)).toBe(1);
  expect(err[0]).toContain('TAPE_DEVICE is "/dev/st0", a rewinding device: use the non-rewinding one (e.g. /dev/nst0)');
});

test('unknown subcommands and help', async () => {
  env = await tapeEnv({ A: {} }, 'A');
  const r = await tape(['eject']);
  expect(r.code).toBe(2);
  expect(r.err[0]).toMatch(/^unknown tape command "eject"\nusage: distillery tape <command>/);
  expect((await tape(['help'])).code).toBe(0);
});
