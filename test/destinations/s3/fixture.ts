/**
 * Builds a small OCFL storage root and object on disk, as the packaging step leaves them, with a
 * PreparedFolder pointing at it. Files are real bytes; digests are computed here.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { PreparedFolder, PreservedImage } from '../../../src/destinations/destination.js';
import type { ArchivesSpace, FileVersion } from '../../../src/archivesspace/types.js';
import { hashFile } from '../../../src/hash.js';
import { objectPath } from '../../../src/ocfl/index.js';
import { sparseFile } from '../conformance.js';

export interface FixtureFile {
  logicalPath: string;
  /** Small content, or a size for a generated large file. */
  content?: Buffer;
  size?: number;
  /** A sparse file of this many bytes (zeros that take no disk), for memory tests with very large files. */
  sparse?: number;
}

interface Written { sha512: string; sha256: string; md5: string; bytes: number }

async function writeContent(path: string, f: FixtureFile): Promise<Written> {
  await mkdir(dirname(path), { recursive: true });
  const h512 = createHash('sha512'), h256 = createHash('sha256'), hmd5 = createHash('md5');
  if (f.content) {
    await writeFile(path, f.content);
    for (const h of [h512, h256, hmd5]) h.update(f.content);
    return { sha512: h512.digest('hex'), sha256: h256.digest('hex'), md5: hmd5.digest('hex'), bytes: f.content.length };
  }
  if (f.sparse !== undefined) {
    await sparseFile(path, f.sparse);
    const { digests } = await hashFile(path, ['sha512', 'sha256', 'md5']);
    return { sha512: digests.sha512, sha256: digests.sha256, md5: digests.md5, bytes: f.sparse };
  }
  const out = createWriteStream(path);
  const block = randomBytes(1024 * 1024);
  for (let written = 0, i = 0; written < f.size!; i++) {
    const n = Math.min(block.length, f.size! - written);
    block.writeUInt32BE(i, 0); // every MiB differs
    const chunk = block.subarray(0, n);
    for (const h of [h512, h256, hmd5]) h.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
    written += n;
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { sha512: h512.digest('hex'), sha256: h256.digest('hex'), md5: hmd5.digest('hex'), bytes: f.size! };
}

/** Where the OCFL layer's 0004 layout puts the test object. */
export const OBJECT_PATH = objectPath('DEMO_001_02');

export async function makeStorageRoot(root: string): Promise<void> {
  await mkdir(join(root, 'extensions/0004-hashed-n-tuple-storage-layout'), { recursive: true });
  await writeFile(join(root, '0=ocfl_1.1'), 'ocfl_1.1\n');
  await writeFile(join(root, 'ocfl_layout.json'), JSON.stringify({ extension: '0004-hashed-n-tuple-storage-layout', description: 'hashed n-tuple' }));
  await writeFile(join(root, 'extensions/0004-hashed-n-tuple-storage-layout/config.json'), JSON.stringify({ extensionName: '0004-hashed-n-tuple-storage-layout', digestAlgorithm: 'sha256', tupleSize: 3, numberOfTuples: 3, shortObjectRoot: false }));
}

/** Adds a version holding `files` (logical paths replace earlier ones); unchanged digests are not copied. */
export async function addVersion(root: string, objectId: string, files: FixtureFile[]): Promise<{ version: string; written: Map<string, Written> }> {
  const objRoot = join(root, OBJECT_PATH);
  let inv: any;
  try {
    inv = JSON.parse(await readFile(join(objRoot, 'inventory.json'), 'utf8'));
  } catch {
    inv = { id: objectId, type: 'https://ocfl.io/1.1/spec/#inventory', digestAlgorithm: 'sha512', head: 'v0', contentDirectory: 'content', manifest: {}, fixity: { sha256: {} }, versions: {} };
    await mkdir(objRoot, { recursive: true });
    await writeFile(join(objRoot, '0=ocfl_object_1.1'), 'ocfl_object_1.1\n');
  }
  const version = `v${Number(inv.head.slice(1)) + 1}`;
  const prev = inv.versions[inv.head]?.state ?? {};
  const state: Record<string, string[]> = {};
  for (const [d, paths] of Object.entries(prev) as [string, string[]][]) {
    const keep = paths.filter((p) => !files.some((f) => f.logicalPath === p));
    if (keep.length) state[d] = keep;
  }
  const written = new Map<string, Written>();
  for (const f of files) {
    const cp = `${version}/content/${f.logicalPath}`;
    const w = await writeContent(join(objRoot, cp), f);
    written.set(f.logicalPath, w);
    if (!inv.manifest[w.sha512]) {
      inv.manifest[w.sha512] = [cp];
      inv.fixity.sha256[w.sha256] = [cp];
    }
    state[w.sha512] = [...(state[w.sha512] ?? []), f.logicalPath];
  }
  inv.head = version;
  inv.versions[version] = { created: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), state, message: 'test', user: { name: 'Test', address: 'mailto:test@example.org' } };
  const bytes = Buffer.from(JSON.stringify(inv, null, 1));
  const sidecar = `${createHash('sha512').update(bytes).digest('hex')} inventory.json\n`;
  await mkdir(join(objRoot, version), { recursive: true });
  await writeFile(join(objRoot, version, 'inventory.json'), bytes);
  await writeFile(join(objRoot, version, 'inventory.json.sha512'), sidecar);
  await writeFile(join(objRoot, 'inventory.json'), bytes);
  await writeFile(join(objRoot, 'inventory.json.sha512'), sidecar);
  return { version, written };
}

/** Digests of a logical path in the head version (whatever version stored it). */
export async function digestOf(root: string, logicalPath: string): Promise<{ sha512: string; sha256: string; bytes: number; contentPath: string }> {
  const inv = JSON.parse(await readFile(join(root, OBJECT_PATH, 'inventory.json'), 'utf8'));
  const state = inv.versions[inv.head].state as Record<string, string[]>;
  const sha512 = Object.entries(state).find(([, ps]) => ps.includes(logicalPath))![0];
  const contentPath = inv.manifest[sha512][0];
  const sha256 = Object.entries(inv.fixity.sha256 as Record<string, string[]>).find(([, ps]) => ps.includes(contentPath))![0];
  const { size } = await import('node:fs/promises').then((fs) => fs.stat(join(root, OBJECT_PATH, contentPath)));
  return { sha512, sha256, bytes: size, contentPath };
}

export async function preparedFolder(root: string, version: string, imagePaths: string[], jsonDir?: string): Promise<PreparedFolder> {
  const arrangement = {
    repositoryName: 'Caltech Archives', repositoryCode: 'CaltechArchives', collectionDisplay: 'Papers of Demo', collectionId: 'DEMO',
    seriesDisplay: 'Series 1: Correspondence', seriesId: '1', folderDisplay: 'Letters, 1923', folderTitle: 'Letters',
  };
  const images: PreservedImage[] = [];
  for (const [i, lp] of imagePaths.entries()) {
    const d = await digestOf(root, lp);
    const sequence = String(i + 1).padStart(4, '0');
    images.push({
      sequence, sourcePath: `/nowhere/${lp}.tif`, componentId: `cmp${i}_abcd`, jp2Path: join(root, OBJECT_PATH, d.contentPath), logicalPath: lp,
      bytes: d.bytes, digests: { sha512: d.sha512, sha256: d.sha256, md5: '' },
      technical: { width: 10, height: 10, standard: 'ISO/IEC 15444-1', transformation: '5-3 reversible', quantization: 'no quantization',
        fileFormatVersion: 'ISO/IEC 15444-1; lossless (wavelet transformation: 5/3 reversible with no quantization)', caption: 'width: 10; height: 10; compression: lossless' },
      componentUri: `/repositories/2/digital_object_components/${i + 1}`,
    });
  }
  let folderJsonPath: string | undefined;
  let collectionJsonPath: string | undefined;
  if (jsonDir) {
    await mkdir(jsonDir, { recursive: true });
    collectionJsonPath = join(jsonDir, 'DEMO.json');
    folderJsonPath = join(jsonDir, 'DEMO_001_02.json');
    await writeFile(collectionJsonPath, JSON.stringify({ id_0: 'DEMO' }, null, 4));
    await writeFile(folderJsonPath, JSON.stringify({ component_id: 'DEMO_001_02' }, null, 4));
  }
  return {
    name: 'DEMO_001_02', path: '/nowhere/DEMO_001_02',
    record: { componentId: 'DEMO_001_02', archivalObjectUri: '/repositories/2/archival_objects/7', archivalObject: {}, arrangement, dates: [], digitalObjectUri: '/repositories/2/digital_objects/3' },
    arrangement, images, package: { storageRoot: root, objectId: 'DEMO_001_02', objectPath: OBJECT_PATH, version, payloadLocal: true },
    folderJsonPath, collectionJsonPath,
  };
}

/**
 * Records what the destination asks of ArchivesSpace, keeping file versions by component and
 * file_uri as the real upsert does. Used until the ArchivesSpace stand-in exists.
 */
export class RecordingArchivesSpace implements Pick<ArchivesSpace, 'upsertFileVersions' | 'staffUrl'> {
  readonly versions = new Map<string, FileVersion[]>();
  calls = 0;
  async upsertFileVersions(uri: string, fvs: FileVersion[]): Promise<void> {
    this.calls += 1;
    const list = this.versions.get(uri) ?? [];
    for (const fv of fvs) {
      const at = list.findIndex((x) => x.file_uri === fv.file_uri);
      if (at >= 0) list[at] = fv;
      else list.push(fv);
    }
    this.versions.set(uri, list);
  }
  staffUrl(uri: string): string {
    return `http://staff.example/resolve/readonly?uri=${uri}`;
  }
}
