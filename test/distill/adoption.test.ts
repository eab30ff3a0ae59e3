/**
 * A collection the Python Distillery processed, rerun here. The ArchivesSpace stand-in and the
 * bucket hold what the original made, in the exact shapes its source wrote
 * (caltechlibrary/distillery: distill.py at 8dacb3c for 2022, distillery.py and tape.py at d7d919f
 * for 2024): a folder with a digital object and "Image NNNN" components whose file versions are
 * https://<bucket>.s3-us-west-2.amazonaws.com/… JP2s, a folder with 2024 components (label = file
 * name, s3:// and tape:// file versions) and a Tape top container, and the original's collection
 * and folder JSON keys with their container instances. A third folder is new.
 *
 * Shown: with no choice set the cloud step stops and asks; under keep nothing of the original is
 * doubled (no second component, no upload for its folders, JSON keys whole) and only the new
 * folder is added; under repackage the OCFL objects are sent and the original's keys are listed
 * for a person to delete, never deleted.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { ArchivesSpaceClient } from '../../src/archivesspace/client.js';
import { folderId, folderPrefix } from '../../src/collection/folderPaths.js';
import { DEMO_BUCKET } from '../../src/demo/services.js';
import { folderJsonKey } from '../../src/destinations/s3/keys.js';
import { companionPath } from '../../src/ocfl/index.js';
import { archivesSpaceFrom, storageRootOf } from '../../src/wiring.js';
import { runCollection, startStack, writeFolder, type Stack } from '../e2e/support/stack.js';

const C = 'ORIG';
const F1 = 'ORIG_001_01'; // processed in 2022
const F2 = 'ORIG_001_02'; // processed in 2024
const F3 = 'ORIG_001_03'; // new
let stack: Stack;
let s3: S3Client;
const originalKeys: string[] = [];
const originalJson = new Map<string, string>();

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

async function put(key: string, body: Buffer | string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: DEMO_BUCKET, Key: key, Body: body }));
}

async function keys(): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: DEMO_BUCKET, ContinuationToken: token }));
    out.push(...(page.Contents ?? []).map((c) => c.Key!));
    token = page.NextContinuationToken;
  } while (token);
  return out.sort();
}

async function body(key: string): Promise<string> {
  const got = await s3.send(new GetObjectCommand({ Bucket: DEMO_BUCKET, Key: key }));
  return got.Body!.transformToString();
}

function componentsOf(folder: string) {
  const state = stack.services.aspace.state;
  const d = state.list('digital_object').find((r) => r.data.digital_object_id === folder);
  if (!d) return [];
  return state.list('digital_object_component').filter((c) => (c.data.digital_object as { ref: string }).ref === d.uri);
}

/** What the original made for a folder, through the API as it made it. */
async function originalDigitalObject(aspace: ArchivesSpaceClient, folder: string): Promise<{ doUri: string; aoUri: string }> {
  const record = await aspace.findFolder(folder);
  const created = await aspace.post('/repositories/2/digital_objects', { digital_object_id: folder, title: String(record.archivalObject.title) });
  const ao = await aspace.get(record.archivalObjectUri);
  ao.instances.push({ instance_type: 'digital_object', digital_object: { ref: created.uri } });
  await aspace.post(record.archivalObjectUri, ao);
  return { doUri: created.uri as string, aoUri: record.archivalObjectUri };
}

beforeAll(async () => {
  stack = await startStack({ collections: [{ id: C, folders: [F1, F2, F3] }] });
  s3 = stack.services.s3.client();
  for (const f of [F1, F2, F3]) await writeFolder(stack, C, f, 2, { seed: f.length + Number(f.slice(-1)) });
  const aspace = archivesSpaceFrom(stack.settings);

  // 2022 (distill.py at 8dacb3c): loose JP2s under the readable prefix, one "Image NNNN" component each.
  const f1 = await originalDigitalObject(aspace, F1);
  const prefix = folderPrefix((await aspace.findFolder(F1)).arrangement, F1);
  for (const [i, id] of ['ab12_cd34', 'ef56_gh78'].entries()) {
    const seq = String(i + 1).padStart(4, '0');
    const key = `${prefix}${folderId(F1)}_${seq}/${id}.jp2`;
    const bytes = Buffer.from(`the original's lossless JP2 of ${F1} image ${seq}`);
    await put(key, bytes);
    originalKeys.push(key);
    await aspace.post('/repositories/2/digital_object_components', {
      digital_object: { ref: f1.doUri }, component_id: id, label: `Image ${seq}`,
      file_versions: [{
        checksum_method: 'md5', file_format_name: 'JPEG 2000', use_statement: 'image-master', checksum: md5(bytes), file_size_bytes: bytes.length,
        caption: 'width: 240; height: 180; compression: lossless', file_format_version: 'ISO/IEC 15444-1; lossless (wavelet transformation: 5/3 reversible with no quantization)',
        file_uri: `https://${DEMO_BUCKET}.s3-us-west-2.amazonaws.com/${key}`,
      }],
    });
  }
  // Its folder and collection JSON, whole (container instances included).
  const f1Json = JSON.stringify(await aspace.get(f1.aoUri, { resolve: ['top_container'] }), null, 4);
  originalJson.set(folderJsonKey((await aspace.findFolder(F1)).arrangement, F1), f1Json);
  const resource = await aspace.findCollection(C);
  originalJson.set(`${C}/${C}.json`, JSON.stringify({ ...resource.record, instances: [{ instance_type: 'mixed_materials' }] }, null, 4));
  for (const [k, v] of originalJson) await put(k, v);

  // 2024 (distillery.py / tape.py at d7d919f): the files themselves, label = file name, s3:// and tape:// file versions.
  const f2 = await originalDigitalObject(aspace, F2);
  const tape = await aspace.post('/repositories/2/top_containers', { indicator: 'LTO7-20240101_01', type: 'Tape' });
  const ao2 = await aspace.get(f2.aoUri);
  ao2.instances.push({ instance_type: 'mixed_materials', sub_container: { top_container: { ref: tape.uri } } });
  await aspace.post(f2.aoUri, ao2);
  for (const [i, id] of ['jk90_mn12', 'pq34_rs56'].entries()) {
    const name = `${F2}_${String(i + 1).padStart(4, '0')}.tif`;
    const scan = await readFile(join(stack.stage1, C, F2, name));
    const key = `${C}/${F2}--Folder-${F2.replace(/_/g, '-')}/${name}/${id}.tif`;
    await put(key, scan);
    originalKeys.push(key);
    const fv = { checksum_method: 'md5', checksum: md5(scan), file_size_bytes: scan.length };
    await aspace.post('/repositories/2/digital_object_components', {
      digital_object: { ref: f2.doUri }, component_id: id, label: name,
      file_versions: [{ ...fv, file_uri: `s3://${DEMO_BUCKET}/${key}` }, { ...fv, file_uri: `tape://LTO7-20240101_01/${key}` }],
    });
  }
}, 180_000);

afterAll(async () => {
  s3?.destroy();
  await stack?.stop();
});

test('a rerun adopts the original: with no choice it asks; under keep nothing is doubled and only the new folder is added; repackage lists the old keys', async () => {
  const componentsBefore = { [F1]: componentsOf(F1).map((c) => c.uri), [F2]: componentsOf(F2).map((c) => c.uri) };
  const keysBefore = await keys();

  // 1. No choice in settings: the folders the original made stop at the cloud step and say what to set.
  const asked = await runCollection(stack, C, ['cloud']);
  expect(asked.record.state).toBe('failed');
  expect(asked.text).toContain(`${F1} already has 2 copies in s3://${DEMO_BUCKET} made by the original Distillery`);
  expect(asked.text).toContain('ORIGINAL_S3_COPIES=keep');
  expect(asked.text).toMatch(/♻️ ORIG_001_01: ORIG_001_01_0001\.tif continues component "Image 0001" \(ab12_cd34\)/);
  expect(asked.text).toMatch(/♻️ ORIG_001_02: ORIG_001_02_0001\.tif continues component "ORIG_001_02_0001\.tif" \(jk90_mn12\)/);

  // 2. keep: the original's copies verified and kept; the new folder is the only thing added.
  await stack.reload([...stack.settingsLines, 'ORIGINAL_S3_COPIES=keep']);
  const kept = await runCollection(stack, C, ['cloud']);
  expect(kept.record.reason).toBeUndefined();
  expect(kept.record.state).toBe('succeeded');
  expect(kept.text).toContain(`☁️ ${F1}: kept the original Distillery's 2 copies in s3://${DEMO_BUCKET}`);
  expect(kept.text).toContain(`☁️ ${F2}: kept the original Distillery's 2 copies`);
  expect(kept.text).toMatch(/A second copy would add [\d.]+ MB, about \$[\d.]+ a month/);
  // No second component for any image the original recorded; the new folder has one per image.
  expect(componentsOf(F1).map((c) => c.uri)).toEqual(componentsBefore[F1]);
  expect(componentsOf(F2).map((c) => c.uri)).toEqual(componentsBefore[F2]);
  expect(componentsOf(F3)).toHaveLength(2);
  // Each original component keeps its file versions and gains nothing under keep.
  for (const c of componentsOf(F1)) expect((c.data.file_versions as unknown[]).length).toBe(1);
  for (const c of componentsOf(F2)) expect((c.data.file_versions as unknown[]).length).toBe(2);
  // The digital objects are typed from what they hold.
  for (const f of [F1, F2, F3]) expect(stack.services.aspace.state.list('digital_object').find((d) => d.data.digital_object_id === f)!.data.digital_object_type).toBe('still_image');
  // S3: every original key still there; nothing new except the new folder's object (and its JSON), the storage root's declarations and the token stores beside the storage root.
  const keysAfter = await keys();
  for (const k of keysBefore) expect(keysAfter).toContain(k);
  const added = keysAfter.filter((k) => !keysBefore.includes(k));
  expect(added.filter((k) => k.endsWith('.jp2'))).toHaveLength(2);
  expect(added.every((k) => k.startsWith('ocfl/') || k.startsWith('ocfl-distillery/tokens/') || k.includes(F3))).toBe(true);
  // The original's JSON keys are whole: never overwritten with less.
  for (const [k, v] of originalJson) expect(await body(k)).toBe(v);
  expect(kept.text).toMatch(new RegExp(`🛡️ s3://${DEMO_BUCKET}/${C}/${C}\\.json is kept as it is: it holds .*instances \\(1\\)`));
  expect(kept.text).not.toContain(`${F3}: ${F3}_0001.tif continues`);

  // 3. repackage: the OCFL objects go up beside the original's copies, which are listed, never deleted.
  await stack.reload([...stack.settingsLines, 'ORIGINAL_S3_COPIES=repackage']);
  const repackaged = await runCollection(stack, C, ['cloud']);
  expect(repackaged.record.state).toBe('succeeded');
  const keysLast = await keys();
  for (const k of originalKeys) expect(keysLast).toContain(k);
  expect(keysLast.filter((k) => k.startsWith('ocfl/') && k.endsWith('.jp2'))).toHaveLength(6);
  const list = await readFile(join(companionPath(storageRootOf(stack.settings)), 'original-s3-keys-to-delete.tsv'), 'utf8');
  for (const k of originalKeys) expect(list).toContain(`s3://${DEMO_BUCKET}/${k}\t`);
  expect(repackaged.text).toContain('for a person to delete after checking; Distillery deletes nothing.');
  expect(componentsOf(F1).map((c) => c.uri)).toEqual(componentsBefore[F1]);
  for (const [k, v] of originalJson) expect(await body(k)).toBe(v);
}, 600_000);
