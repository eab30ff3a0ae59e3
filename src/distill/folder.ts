/**
 * One folder (= one archival object) through the core: ArchivesSpace record and digital object,
 * verified lossless JP2s with XMP, one digital object component per image, and an OCFL object
 * version holding the JP2s and the collection and folder metadata.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import type { ArchivesSpace, Collection } from '../archivesspace/types.js';
import type { DiscoveredFolder } from '../collection/discover.js';
import { folderId, folderPrefix } from '../collection/folderPaths.js';
import type { PreparedFolder, PreservedImage } from '../destinations/destination.js';
import { convertFolder, xmpFields, type ImageIdRegistry, type Jp2Encoder, type MetadataWriter } from '../images/index.js';
import { existsSync } from 'node:fs';
import { commitVersion, ensureStorageRoot, readInventory, stateOf, tokenizeVersion, tokenStorePath, type Ims } from '../ocfl/index.js';
import type { StepHandle } from '../runs/journal.js';
import type { RunRequest } from '../runs/types.js';
import { preservedRecordJson } from './processor.js';

export interface FolderTools {
  encoder: Jp2Encoder;
  metadata: MetadataWriter;
  ids: ImageIdRegistry;
  concurrency: number;
  /** opj_decompress command (OPJ_DECOMPRESS_CMD) for the pixel check, and its threads per image. */
  opjDecompress: string;
  decodeThreads: number;
  /** The local OCFL storage root. */
  storageRoot: string;
  /** The stable URI an OCFL object gets for an archival object. */
  objectId: (archivalObjectUri: string) => string;
  /** Issues the ACE-format fixity tokens of each new version's payload. */
  ims: Ims;
}

export interface FolderInput {
  folder: DiscoveredFolder;
  collection: Collection;
  collectionJsonPath: string;
  collectionDir: string;
  request: RunRequest;
  aspace: ArchivesSpace;
  tools: FolderTools;
  steps: { metadata: StepHandle; convert: StepHandle; package: StepHandle };
  imagesBefore: number;
  totalImages: number;
  signal?: AbortSignal;
  /** The run's fence (src/alchemist/fence.ts), checked before the OCFL install. */
  fence?: (before: string) => Promise<void>;
}

/** A folder stopped at one step: the step recorded why; the processor marks the later steps not run. */
export class FolderStepFailure extends Error {
  override readonly name = 'FolderStepFailure';
  constructor(readonly step: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Runs one step's work for a folder; a failure is recorded on that step, for that folder. */
async function stage<T>(step: StepHandle, folder: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof FolderStepFailure) throw err;
    const why = err instanceof Error ? err.message : String(err);
    step.folder({ folder, state: 'failed', why });
    throw new FolderStepFailure(step.record.name, why, { cause: err });
  }
}

export async function distillFolder(input: FolderInput): Promise<{ folder: PreparedFolder; failed: { path: string; reason: string }[] }> {
  const { folder, aspace, tools, steps, request } = input;
  const name = folder.name;
  /** A path as the archivist knows it: relative to the collection folder. */
  const rel = (p: string) => relative(dirname(folder.path), p);
  // 1. ArchivesSpace: the archival object and its digital object (created and linked once).
  const record = await stage(steps.metadata, name, async () => aspace.ensureDigitalObject(await aspace.findFolder(folder.componentId)));
  steps.metadata.line(`📁 ${name}: ${record.arrangement.folderDisplay} — ${aspace.staffUrl(record.digitalObjectUri)}`);
  const workDir = join(input.collectionDir, name);
  const folderJsonPath = join(workDir, `${folderId(name)}.json`);

  // 2. Images: converted once, verified pixel for pixel, XMP embedded; resumable.
  const { converted, failed } = await stage(steps.convert, name, () => convertFolder({
    images: folder.images,
    outDir: workDir,
    xmp: (img, imageId) => xmpFields({ collection: input.collection, folder: record, sequence: img.sequence, imageId }),
    encoder: tools.encoder,
    metadata: tools.metadata,
    ids: tools.ids,
    concurrency: tools.concurrency,
    opjDecompress: tools.opjDecompress,
    decodeThreads: tools.decodeThreads,
    reporter: {
      line: (t) => steps.convert.line(t),
      file: (o) => steps.convert.file(o),
      progress: (done, _total, detail) => steps.convert.progress(input.imagesBefore + done, input.totalImages, detail),
    },
    signal: input.signal,
  }));
  const failedNames = failed.map((f) => rel(f.path));
  if (failed.length) {
    const listed = failed.slice(0, 3).map((f) => `${rel(f.path)}: ${f.reason}`).join('; ');
    steps.convert.folder({ folder: name, state: 'failed', why: `${failed.length} of ${folder.images.length} image${folder.images.length === 1 ? '' : 's'} not converted — ${listed}${failed.length > 3 ? '; …' : ''}`, counts: { images: converted.length, failed: failed.length } });
    if (converted.length === 0) throw new FolderStepFailure('convert', `no image of ${name} could be converted (${failedNames.join(', ')})`);
  } else {
    steps.convert.folder({ folder: name, state: 'done', counts: { images: converted.length } });
  }

  // 3. One component per image, in sequence order (created once; found again on a rerun).
  const prefix = folderPrefix(record.arrangement, name).replace(/^[^/]+\//, '');
  const images: PreservedImage[] = await stage(steps.metadata, name, async () => {
    const out: PreservedImage[] = [];
    for (const [i, img] of converted.entries()) {
      const component = await aspace.ensureComponent(record.digitalObjectUri, { componentId: img.imageId, label: `Image ${img.sequence}`, position: i });
      out.push({
        sequence: img.sequence,
        sourcePath: img.sourcePath,
        componentId: img.imageId,
        jp2Path: img.jp2Path,
        logicalPath: `${prefix}${folderId(name)}_${img.sequence}/${img.imageId}.jp2`,
        bytes: img.bytes,
        digests: img.digests,
        technical: img.technical,
        componentUri: component.uri,
      });
    }
    return out;
  });
  steps.metadata.folder({ folder: name, state: 'done', counts: { components: images.length }, where: { aspace: { archivalObject: aspace.staffUrl(record.archivalObjectUri), digitalObject: aspace.staffUrl(record.digitalObjectUri) } } });

  // 4. The OCFL object: a new version only when something changed, never one that drops a file
  //    because its image failed this time; then ACE-format tokens for the version's payload, once.
  const objectId = tools.objectId(record.archivalObjectUri);
  const commit = await stage(steps.package, name, async () => {
    await writeFile(folderJsonPath, preservedRecordJson({ ...record.archivalObject, arrangement: record.arrangement }));
    await ensureStorageRoot(tools.storageRoot);
    const incoming = [
      ...images.map((img) => ({ logicalPath: img.logicalPath, sourcePath: img.jp2Path, digests: { sha512: img.digests.sha512, sha256: img.digests.sha256 } })),
      { logicalPath: `${prefix}${folderId(name)}.json`, sourcePath: folderJsonPath },
      { logicalPath: `${request.collectionId}.json`, sourcePath: input.collectionJsonPath },
    ];
    if (failed.length) {
      const previous = await readInventory(tools.storageRoot, objectId);
      if (previous) {
        const kept = new Set(incoming.map((f) => f.logicalPath));
        const dropped = [...stateOf(previous).keys()].filter((p) => !kept.has(p));
        if (dropped.length) {
          throw new Error(
            `not packaged: ${failedNames.join(', ')} could not be converted this time, and ${previous.head} of ${objectId} holds ` +
              `${dropped.length} file${dropped.length === 1 ? '' : 's'} a new version would drop (${dropped.slice(0, 3).join(', ')}${dropped.length > 3 ? ', …' : ''}); ` +
              `the object stays at ${previous.head}. Replace or repair the scan and run again.`,
          );
        }
      }
    }
    await input.fence?.(`installing the OCFL version of ${name}`);
    const made = await commitVersion(tools.storageRoot, objectId, incoming, {
      message: `Distillery run ${request.runId}: ${request.processes.join(', ')} for ${name}, requested by ${request.user.name}`,
      user: { name: request.user.name, address: `mailto:${request.user.email}` },
    });
    steps.package.line(
      made.changed
        ? `📦 ${name}: OCFL object ${objectId} ${made.version} (${made.newContentPaths.length} new file${made.newContentPaths.length === 1 ? '' : 's'}).`
        : `📦 ${name}: OCFL object ${objectId} unchanged at ${made.version}.`,
    );
    if (!existsSync(tokenStorePath(tools.storageRoot, objectId, made.version))) {
      const store = await tokenizeVersion(tools.storageRoot, objectId, made.version, tools.ims);
      steps.package.line(`🔏 ${name}: fixity tokens for ${made.version} in ${store}`);
    }
    return made;
  });
  steps.package.file({ path: folder.path, outcome: 'done' });
  steps.package.folder({ folder: name, state: 'done', counts: { images: images.length, newFiles: commit.newContentPaths.length }, where: { ocfl: { objectId, version: commit.version } } });

  return {
    folder: {
      name,
      path: folder.path,
      record,
      arrangement: record.arrangement,
      images,
      package: { storageRoot: tools.storageRoot, objectId, objectPath: commit.objectPath, version: commit.version, payloadLocal: true },
      folderJsonPath,
      collectionJsonPath: input.collectionJsonPath,
    },
    failed,
  };
}
