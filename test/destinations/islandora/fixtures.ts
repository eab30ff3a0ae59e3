/**
 * Fixtures for the Islandora tests: scanned pages with real text (TIFFs written by sharp, one
 * 8-bit RGB and one 16-bit grey, the case where Tesseract silently returns nothing unless it is
 * converted) and a PreparedFolder as the distill core hands it over.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { ArchivesSpace, FolderRecord } from '../../../src/archivesspace/types.js';
import type { PreparedFolder, RunScope } from '../../../src/destinations/destination.js';
import { MemoryReporter } from '../../../src/runs/reporter.js';
import type { IslandoraSettings } from '../../../src/destinations/islandora/index.js';
import type { SshdHandle } from '../../support/sshd.js';

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
  /** The folder's record as the ArchivesSpace client returned it; made up from the fields above when absent. */
  record?: FolderRecord & { digitalObjectUri: string };
  pages: { text: string; kind: 'rgb8' | 'grey16' }[];
  seriesDisplay?: string;
  collectionJsonPath?: string;
}

export async function makeFolder(root: string, spec: FolderSpec): Promise<PreparedFolder> {
  const dir = join(root, spec.collectionId, spec.componentId);
  await mkdir(dir, { recursive: true });
  const arrangement = spec.record?.arrangement ?? {
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
      // The TIFF's own sha512 stands for the preservation JP2's here (no JP2 is made in these tests).
      digests: { sha512: createHash('sha512').update(await readFile(sourcePath)).digest('hex'), sha256: '', md5: '' },
      technical: { width: 1200, height: 500, standard: '', transformation: '', quantization: '', fileFormatVersion: '', caption: '' },
      componentUri: `${spec.digitalObjectUri}/components/${i}`,
    });
  }
  return {
    name: spec.componentId,
    path: dir,
    record: spec.record ?? {
      componentId: spec.componentId,
      archivalObjectUri: spec.archivalObjectUri,
      archivalObject: { publish: true, dates: [{ label: 'creation', date_type: 'inclusive', begin: '1921-03', end: '1922' }] },
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

/** Settings for the Islandora host stand-in (real sshd and rsync, the drush stand-in), staging under `work`. */
export function standinSettings(sshd: SshdHandle, work: string, over: Partial<IslandoraSettings> = {}, ssh: Partial<IslandoraSettings['ssh']> = {}): IslandoraSettings {
  return {
    ssh: { host: sshd.host, port: sshd.port, user: sshd.user, keyPath: sshd.keyPath, knownHostsPath: sshd.knownHostsPath, connectTimeoutSeconds: 10, ...ssh },
    webroot: sshd.webroot,
    drushCommand: 'drush',
    url: 'https://digital.example.org',
    stagingDir: join(work, 'access'),
    namespace: 'caltech',
    parentCollection: 'islandora:root',
    recordLinkBase: 'https://collections.example.org',
    tesseractCommand: 'tesseract',
    pageConcurrency: 2,
    jp2Encoder: 'opj_compress',
    jp2BitsPerPixel: 0.5,
    opjCompressCommand: 'opj_compress',
    opjDecompressCommand: 'opj_decompress',
    ...over,
  };
}

/** ArchivesSpace as the access step sees it when no links are recorded yet: writes are accepted and counted. */
export function countingAspace(): ArchivesSpace & { writes: number } {
  const aspace = {
    writes: 0,
    async fileVersionsOf(): Promise<[]> {
      return [];
    },
    async rewriteFileVersions(): Promise<boolean> {
      aspace.writes++;
      return true;
    },
    async upsertFileVersions(): Promise<void> {
      aspace.writes++;
    },
    staffUrl: (u: string) => u,
  };
  return aspace as unknown as ArchivesSpace & { writes: number };
}

/** A run of the access process on `collectionId`. */
export function accessRun(aspace: ArchivesSpace, reporter = new MemoryReporter(), collectionId = 'HBF'): RunScope & { reporter: MemoryReporter } {
  return { runId: 'r1', collectionId, user: { email: 'a@example.org', name: 'A' }, processes: ['access'], reporter, aspace };
}

/** The folder HBF_001_01 ("Letters") of collection HBF with `pages`, as the distill core hands it over. */
export function lettersFolder(work: string, pages: FolderSpec['pages']): Promise<PreparedFolder> {
  return makeFolder(work, {
    collectionId: 'HBF',
    componentId: 'HBF_001_01',
    archivalObjectUri: '/repositories/2/archival_objects/5',
    digitalObjectUri: '/repositories/2/digital_objects/9',
    title: 'Letters',
    pages,
  });
}
