/**
 * The access destination on the IIIF platform held to the destination conformance suite
 * (../conformance.ts): real scans (TIFFs made with sharp), decoded and tiled by libvips, published
 * to a folder (FolderPublisher) behind a publisher that injects the far side's faults — an answer
 * lost after the write, a Manifest damaged on the way, a refusal (EACCES), a stall until the run
 * stops. ArchivesSpace records the digital object's file versions as the client's
 * rewriteFileVersions does (keyed by file_uri). Case (f) is skipped: access platforms publish
 * derivatives of scans, never a preservation file.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArchivesSpace, FileVersion } from '../../../src/archivesspace/types.js';
import { AccessDestination } from '../../../src/destinations/access/destination.js';
import type { PreparedFolder, PreservedImage } from '../../../src/destinations/destination.js';
import { IiifPlatform } from '../../../src/destinations/iiif/platform.js';
import { FolderPublisher, type Publisher, type PublishScope } from '../../../src/destinations/iiif/publisher.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import { makeTiff } from '../../fixtures/images/make.js';
import { destinationConformanceWithoutBigFiles, type ArmedFault, type ConformanceHarness } from '../conformance.js';

const BASE = 'https://iiif.example.edu/iiif';

type Fault = { on: 'dir' | 'bytes'; key?: RegExp; kind: 'lose' | 'damage' | 'refuse' | 'stall'; times?: number; fired: number };

/** The folder publisher with the far side's faults injected. */
class FaultyPublisher implements Publisher {
  fault?: Fault;
  constructor(readonly inner: FolderPublisher) {}
  get where() { return this.inner.where; }
  read(key: string) { return this.inner.read(key); }
  has(key: string) { return this.inner.has(key); }
  removeTree(prefix: string) { return this.inner.removeTree(prefix); }
  private matching(on: 'dir' | 'bytes', key: string): Fault | undefined {
    const f = this.fault;
    if (!f || f.on !== on || (f.key && !f.key.test(key)) || (f.times !== undefined && f.fired >= f.times)) return undefined;
    f.fired++;
    return f;
  }
  private async apply(f: Fault | undefined, scope: PublishScope, write: () => Promise<void>): Promise<void> {
    if (f?.kind === 'refuse') throw Object.assign(new Error(`EACCES: permission denied, open '${this.inner.root}/…'`), { code: 'EACCES' });
    if (f?.kind === 'stall') {
      // Held until the run is stopped (never, if the caller gives no stop signal).
      await new Promise<void>((_, reject) => scope.signal?.addEventListener('abort', () => reject(scope.signal!.reason), { once: true }));
    }
    await write();
    if (f?.kind === 'lose') throw Object.assign(new Error('read ECONNRESET (the answer to the write never came)'), { code: 'ECONNRESET' });
  }
  async publishDir(localDir: string, prefix: string, scope: PublishScope): Promise<void> {
    await this.apply(this.matching('dir', prefix), scope, () => this.inner.publishDir(localDir, prefix));
  }
  async publishBytes(data: string, key: string, scope: PublishScope): Promise<void> {
    const f = this.matching('bytes', key);
    const sent = f?.kind === 'damage' ? data.slice(0, Math.floor(data.length / 2)) : data;
    await this.apply(f, scope, () => this.inner.publishBytes(sent, key));
  }
}

/** Records the digital object's file versions as ArchivesSpace keeps them. */
class RecordingAspace {
  readonly versions = new Map<string, FileVersion[]>();
  async fileVersionsOf(uri: string): Promise<FileVersion[]> {
    return structuredClone(this.versions.get(uri) ?? []);
  }
  async rewriteFileVersions(uri: string, rewrite: (current: FileVersion[]) => FileVersion[]): Promise<boolean> {
    const before = this.versions.get(uri) ?? [];
    const after = rewrite(structuredClone(before));
    const changed = JSON.stringify(after) !== JSON.stringify(before);
    this.versions.set(uri, after);
    return changed;
  }
  staffUrl(uri: string): string {
    return `https://staff.example.edu${uri}`;
  }
}

async function image(dir: string, seq: number): Promise<PreservedImage> {
  const sequence = String(seq).padStart(4, '0');
  const sourcePath = join(dir, `HaleGE_001_02_${sequence}.tif`);
  await makeTiff(sourcePath, { width: 500, height: 400, seed: seq, compression: 'lzw' });
  const sha512 = createHash('sha512').update(await readFile(sourcePath)).digest('hex');
  return {
    sequence, sourcePath, componentId: `ab${seq}c_d${seq}ef`, jp2Path: join(dir, 'none.jp2'), logicalPath: `x/${sequence}.jp2`, bytes: 1,
    digests: { sha512, sha256: '', md5: '' },
    technical: { width: 500, height: 400, standard: '', transformation: '', quantization: '', fileFormatVersion: '', caption: '' },
    componentUri: `/repositories/2/digital_object_components/${seq}`,
  };
}

async function iiifHarness(): Promise<ConformanceHarness> {
  const dir = await mkdtemp(join(tmpdir(), 'distillery-iiifconf-'));
  const root = join(dir, 'published');
  const publisher = new FaultyPublisher(new FolderPublisher(root));
  const aspace = new RecordingAspace();
  let folder: PreparedFolder | undefined;
  const arm = (f: Omit<Fault, 'fired'>): ArmedFault => {
    const fault = (publisher.fault = { ...f, fired: 0 });
    return { fired: () => fault.fired };
  };
  const DO = '/repositories/2/digital_objects/3';
  return {
    destination: () => new AccessDestination(new IiifPlatform({ baseUrl: BASE, publisher, tileSize: 256, thumbnailSize: 150, opjDecompressCommand: 'opj_decompress', recordLinkBase: 'https://archives.example.edu' })),
    scope: (signal) => ({ runId: 'r', collectionId: 'HaleGE', user: { email: 'a@example.org', name: 'A' }, processes: ['access'], reporter: new MemoryReporter(), aspace: aspace as unknown as ArchivesSpace, signal }),
    async folder() {
      if (folder) return folder;
      const src = join(dir, 'scans');
      await mkdir(src, { recursive: true });
      const images = [await image(src, 1), await image(src, 2)];
      const arrangement = {
        repositoryName: 'Caltech Archives', repositoryCode: 'CaltechArchives', collectionDisplay: 'George Ellery Hale Papers', collectionId: 'HaleGE',
        seriesDisplay: 'Series 1: Correspondence', seriesId: '1', folderDisplay: 'Box 1 Folder 2: Correspondence, 1901', folderTitle: 'Correspondence, 1901',
      };
      folder = {
        name: 'HaleGE_001_02', path: src, arrangement, images,
        record: { componentId: 'HaleGE_001_02', archivalObjectUri: '/repositories/2/archival_objects/7', digitalObjectUri: DO, arrangement, archivalObject: { publish: true, title: 'Correspondence, 1901' }, dates: [{ expression: '1901' }] },
      };
      return folder;
    },
    noBigFileBecause: 'an access platform publishes derivatives of scans, never a preservation file',
    async held() {
      // The Manifest and its record once, one image service per page, the folder listed once in the Collection.
      const out = new Map<string, number>();
      const add = (k: string, n = 1) => out.set(k, (out.get(k) ?? 0) + n);
      for (const e of await readdir(root, { recursive: true, withFileTypes: true }).catch(() => [])) {
        if (!e.isFile()) continue;
        const rel = join(e.parentPath, e.name).slice(root.length + 1);
        if (rel.endsWith('/info.json')) add(`service of ${rel.split('/')[1].split('-')[0]}`);
        else if (rel.endsWith('manifest.json')) add(rel);
      }
      const coll = await readFile(join(root, 'HaleGE/collection.json'), 'utf8').catch(() => undefined);
      if (coll) add('listed in the Collection', coll.split(`${BASE}/HaleGE/HaleGE_001_02/manifest.json`).length - 1);
      return out;
    },
    async recorded() {
      const out = new Map<string, number>();
      for (const fv of aspace.versions.get(DO) ?? []) if (fv.publish) out.set(fv.file_uri, (out.get(fv.file_uri) ?? 0) + 1);
      return out;
    },
    loseAnswer: async () => arm({ on: 'bytes', key: /manifest\.json$/, kind: 'lose', times: 1 }),
    breakVerification: async () => arm({ on: 'bytes', key: /manifest\.json$/, kind: 'damage' }),
    refuse: async () => arm({ on: 'dir', kind: 'refuse' }),
    stall: async () => arm({ on: 'dir', kind: 'stall' }),
    clearFaults: async () => { publisher.fault = undefined; },
    refusalMessage: /^IIIF failed while publishing HaleGE_001_02 \(EACCES: permission denied.*\); nothing of HaleGE_001_02 is published, and access stops for this run: give the Distillery user write access where IIIF publishes, then run access again\.$/,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

destinationConformanceWithoutBigFiles('IIIF access', 'an access platform publishes derivatives of scans, never a preservation file', iiifHarness);
