/**
 * Every file of a folder is preserved: a PDF and a WAV beside the TIFF scans go into the OCFL
 * object as they are (same bytes), each with its technical facts from exiftool and a component
 * named by its file name whose file versions carry its format; the digital object is typed from
 * what it holds; system junk (Thumbs.db, ._*) is skipped with a note; the report says all this
 * before the run. Real parts: vips/OpenJPEG, exiftool, the local S3 server, GNU tar and mt.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readInventory, stableObjectId, stateOf } from '../../src/ocfl/index.js';
import { storageRootOf } from '../../src/wiring.js';
import { runCollection, startStack, writeFolder, type Stack } from '../e2e/support/stack.js';

const C = 'MIX';
const F = 'MIX_001_01';
let stack: Stack;

/** A one-page PDF with a correct cross-reference table. */
function pdf(): Buffer {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  for (const [i, o] of objects.entries()) {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  }
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** Half a second of a 440 Hz tone: 16-bit PCM, mono, 8000 Hz. */
function wav(): Buffer {
  const rate = 8000;
  const samples = rate / 2;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  return Buffer.concat([h, data]);
}

const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('hex');

beforeAll(async () => {
  stack = await startStack({ collections: [{ id: C, folders: [F] }] });
  await writeFolder(stack, C, F, 2, { seed: 7 });
  const dir = join(stack.stage1, C, F);
  await writeFile(join(dir, 'finding-notes.pdf'), pdf());
  await writeFile(join(dir, 'interview.wav'), wav());
  await writeFile(join(dir, 'Thumbs.db'), 'thumbnail cache');
  await writeFile(join(dir, `._${F}_0001.tif`), 'AppleDouble');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

function components() {
  const state = stack.services.aspace.state;
  const d = state.list('digital_object').find((r) => r.data.digital_object_id === F)!;
  return { d, comps: state.list('digital_object_component').filter((c) => (c.data.digital_object as { ref: string }).ref === d.uri) };
}

test('a PDF and a WAV beside the TIFFs are preserved as they are, with facts and components; junk is skipped with a note', async () => {
  const run = await runCollection(stack, C, ['report', 'cloud', 'onsite']);
  expect(run.record.reason).toBeUndefined();
  expect(run.record.state).toBe('succeeded');
  // The report says it first.
  expect(run.text).toContain('📄 preserved as it is (with a component each): finding-notes.pdf, interview.wav');
  expect(run.text).toContain(`🗑️ skipped as system junk (JUNK_FILES): ._${F}_0001.tif, Thumbs.db`);
  expect(run.text).toContain(`🗑️ ${F}: Thumbs.db is system junk (JUNK_FILES) and is not preserved.`);
  expect(run.text).toMatch(/📄 MIX_001_01: finding-notes\.pdf is preserved as it is \(PDF; version 1\.4; application\/pdf; pages: 1\)/);
  expect(run.text).toMatch(/📄 MIX_001_01: interview\.wav is preserved as it is \(WAV; audio\/x-wav; .*sample rate: 8000 Hz; channels: 1; bits per sample: 16\)/);

  // In the OCFL object, byte for byte.
  const { d, comps } = components();
  const root = storageRootOf(stack.settings);
  const ao = stack.services.aspace.state.list('archival_object').find((r) => r.data.component_id === F)!;
  const inv = (await readInventory(root, stableObjectId(stack.settings.ocfl.idNamespace, ao.uri)))!;
  const state = stateOf(inv);
  const byName = (n: string) => [...state.keys()].find((p) => p.includes(`/${n}/`));
  const dir = join(stack.stage3, C, F);
  for (const name of ['finding-notes.pdf', 'interview.wav']) {
    const logical = byName(name)!;
    expect(logical).toMatch(new RegExp(`^MIX-s01-Series-1/${F}-.*/${name.replace('.', '\\.')}/[a-z0-9]{4}_[a-z0-9]{4}\\.${name.split('.')[1]}$`));
    expect(state.get(logical)).toBe(sha512(await readFile(join(dir, name))));
  }
  expect([...state.keys()].some((p) => p.includes('Thumbs') || p.includes('._'))).toBe(false);

  // One component per file, named by the file, its copies described by format.
  expect(comps).toHaveLength(4);
  const pdfComp = comps.find((c) => c.data.label === 'finding-notes.pdf')!;
  const wavComp = comps.find((c) => c.data.label === 'interview.wav')!;
  const fv = (c: typeof pdfComp) => c.data.file_versions as Record<string, unknown>[];
  expect(fv(pdfComp).map((v) => String(v.file_uri).split(':')[0]).sort()).toEqual(['s3', 'tape']);
  for (const v of fv(pdfComp)) expect(v).toMatchObject({ file_format_name: 'pdf', file_format_version: 'PDF; version 1.4; application/pdf', caption: 'pages: 1', use_statement: 'application-pdf' });
  for (const v of fv(wavComp)) {
    expect(v.file_format_name).toBeUndefined();
    expect(v).toMatchObject({ file_format_version: 'WAV; audio/x-wav', use_statement: 'audio-master' });
    expect(String(v.caption)).toContain('sample rate: 8000 Hz; channels: 1; bits per sample: 16');
  }
  expect(d.data.digital_object_type).toBe('mixed_materials');

  // A rerun adds nothing.
  const records = stack.services.aspace.state.records.size;
  const again = await runCollection(stack, C, ['cloud', 'onsite']);
  expect(again.record.state).toBe('succeeded');
  expect(stack.services.aspace.state.records.size).toBe(records);
  expect((await readInventory(root, inv.id))!.head).toBe(inv.head);
  expect(components().comps).toHaveLength(4);
}, 600_000);
