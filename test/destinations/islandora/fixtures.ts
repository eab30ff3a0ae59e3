/**
 * Fixtures for the Islandora tests: scanned pages with real text (TIFFs written by sharp, one
 * 8-bit RGB and one 16-bit grey, the case where Tesseract silently returns nothing unless it is
 * converted), a PreparedFolder as the distill core hands it over, and a minimal ArchivesSpace
 * client over HTTP against the ArchivesSpace stand-in (src/archivesspace/standin) for the one
 * call this destination makes, upsertFileVersions, kept to the real contract: GET, merge by
 * file_uri, POST back whole with lock_version.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { ArchivesSpace, FileVersion } from '../../../src/archivesspace/types.js';
import type { PreparedFolder } from '../../../src/destinations/destination.js';

export async function writePage(path: string, text: string, kind: 'rgb8' | 'grey16'): Promise<void> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1200" height="500">
    <rect width="100%" height="100%" fill="white"/>
    <text x="60" y="200" font-family="DejaVu Sans" font-size="64" fill="black">${text}</text>
    <text x="60" y="320" font-family="DejaVu Sans" font-size="64" fill="black">Archives page</text></svg>`;
  const img = sharp(Buffer.from(svg)).flatten({ background: '#ffffff' });
  if (kind === 'rgb8') await img.toColourspace('srgb').tiff({ compression: 'lzw' }).toFile(path);
  else await img.toColourspace('grey16').tiff({ compression: 'none' }).toFile(path);
}

export interface FolderSpec {
  collectionId: string;
  componentId: string;
  archivalObjectUri: string;
  digitalObjectUri: string;
  title: string;
  pages: { text: string; kind: 'rgb8' | 'grey16' }[];
  seriesDisplay?: string;
  collectionJsonPath?: string;
}

export async function makeFolder(root: string, spec: FolderSpec): Promise<PreparedFolder> {
  const dir = join(root, spec.collectionId, spec.componentId);
  await mkdir(dir, { recursive: true });
  const arrangement = {
    repositoryName: 'Test Archives',
    repositoryCode: 'TEST',
    collectionDisplay: 'Papers of Jane & John <Doe>',
    collectionId: spec.collectionId,
    seriesDisplay: spec.seriesDisplay ?? 'Series 1: Correspondence',
    seriesId: '1',
    folderDisplay: `${spec.title}, 1921`,
    folderTitle: spec.title,
  };
  const images = [];
  for (const [i, p] of spec.pages.entries()) {
    const sequence = String(i + 1).padStart(4, '0');
    const sourcePath = join(dir, `${spec.componentId}_${sequence}.tif`);
    await writePage(sourcePath, p.text, p.kind);
    images.push({
      sequence,
      sourcePath,
      componentId: `abc${i}_defg`,
      jp2Path: join(dir, `${spec.componentId}_${sequence}-LOSSLESS.jp2`),
      logicalPath: `${spec.componentId}_${sequence}.jp2`,
      bytes: 0,
      digests: { sha512: '', sha256: '', md5: '' },
      technical: { width: 1200, height: 500, standard: '', transformation: '', quantization: '', fileFormatVersion: '', caption: '' },
      componentUri: `${spec.digitalObjectUri}/components/${i}`,
    });
  }
  return {
    name: spec.componentId,
    path: dir,
    record: {
      componentId: spec.componentId,
      archivalObjectUri: spec.archivalObjectUri,
      archivalObject: { dates: [{ label: 'creation', date_type: 'inclusive', begin: '1921-03', end: '1922' }] },
      arrangement,
      digitalObjectUri: spec.digitalObjectUri,
      extentNumber: String(spec.pages.length),
      dates: [],
    },
    arrangement,
    images,
    collectionJsonPath: spec.collectionJsonPath,
  };
}

export async function writeCollectionJson(path: string, id: string, useRestriction: string): Promise<void> {
  await writeFile(
    path,
    JSON.stringify({
      id_0: id,
      title: 'Papers of Jane & John <Doe>',
      notes: [{ type: 'userestrict', publish: true, subnotes: [{ content: useRestriction, publish: true }] }],
    }),
  );
}

/** upsertFileVersions against the stand-in over its REST API; other operations are not used here. */
export class FileVersionClient implements ArchivesSpace {
  calls = 0;
  private session?: string;
  constructor(private readonly url: string) {}

  private async request(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
    if (!this.session) {
      const r = await fetch(`${this.url}/users/admin/login`, { method: 'POST', body: new URLSearchParams({ password: 'admin', expiring: 'false' }) });
      this.session = ((await r.json()) as { session: string }).session;
    }
    const r = await fetch(`${this.url}${path}`, {
      method,
      headers: { 'X-ArchivesSpace-Session': this.session, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await r.json()) as Record<string, unknown>;
    if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  }

  async upsertFileVersions(uri: string, fileVersions: FileVersion[]): Promise<void> {
    this.calls++;
    const record = await this.request('GET', uri);
    const existing = (record.file_versions as FileVersion[] | undefined) ?? [];
    const merged = [...existing.filter((f) => !fileVersions.some((n) => n.file_uri === f.file_uri)), ...fileVersions];
    await this.request('POST', uri, { ...record, file_versions: merged });
  }

  staffUrl(uri: string): string {
    return `http://staff.example.org/resolve/readonly?uri=${encodeURIComponent(uri)}`;
  }
  findCollection(): never { throw new Error('not used by the access destination'); }
  findFolder(): never { throw new Error('not used by the access destination'); }
  ensureDigitalObject(): never { throw new Error('not used by the access destination'); }
  ensureComponent(): never { throw new Error('not used by the access destination'); }
  ensureTapeContainer(): never { throw new Error('not used by the access destination'); }
}
