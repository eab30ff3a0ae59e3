/**
 * One folder (= one archival object) through the core: ArchivesSpace record and digital object,
 * verified lossless JP2s with XMP, one digital object component per image, and an OCFL object
 * version holding the JP2s and the collection and folder metadata.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArchivesSpace, Collection } from '../archivesspace/types.js';
import type { DiscoveredFolder } from '../collection/discover.js';
import { folderId, folderPrefix } from '../collection/folderPaths.js';
import type { PreparedFolder, PreservedImage } from '../destinations/destination.js';
import { convertFolder, xmpFields, type ImageIdRegistry, type Jp2Encoder, type MetadataWriter } from '../images/index.js';
import { existsSync } from 'node:fs';
import { commitVersion, ensureStorageRoot, tokenizeVersion, tokenStorePath, type Ims } from '../ocfl/index.js';
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
}

export async function distillFolder(input: FolderInput): Promise<{ folder: PreparedFolder; failed: { path: string; reason: string }[] }> {
  const { folder, aspace, tools, steps, request } = input;
  // 1. ArchivesSpace: the archival object and its digital object (created and linked once).
  const found = await aspace.findFolder(folder.componentId);
  const record = await aspace.ensureDigitalObject(found);
  steps.metadata.line(`📁 ${folder.name}: ${record.arrangement.folderDisplay} — ${aspace.staffUrl(record.digitalObjectUri)}`);
  const workDir = join(input.collectionDir, folder.name);
  const folderJsonPath = join(workDir, `${folderId(folder.name)}.json`);

  // 2. Images: converted once, verified pixel for pixel, XMP embedded; resumable.
  const { converted, failed } = await convertFolder({
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
  });
  await writeFile(folderJsonPath, preservedRecordJson({ ...record.archivalObject, arrangement: record.arrangement }));

  // 3. One component per image, in sequence order (created once; found again on a rerun). Only
  // preservation copies are recorded on components: an access-only run records none, as the
  // original's access step wrote only the links on the digital object.
  const prefix = folderPrefix(record.arrangement, folder.name).replace(/^[^/]+\//, '');
  const recordsComponents = request.processes.some((p) => p === 'cloud' || p === 'onsite');
  const images: PreservedImage[] = [];
  for (const [i, img] of converted.entries()) {
    const component = recordsComponents
      ? await aspace.ensureComponent(record.digitalObjectUri, { componentId: img.imageId, label: `Image ${img.sequence}`, position: i })
      : { uri: '' };
    images.push({
      sequence: img.sequence,
      sourcePath: img.sourcePath,
      componentId: img.imageId,
      jp2Path: img.jp2Path,
      logicalPath: `${prefix}${folderId(folder.name)}_${img.sequence}/${img.imageId}.jp2`,
      bytes: img.bytes,
      digests: img.digests,
      technical: img.technical,
      componentUri: component.uri,
    });
  }

  // 4. The OCFL object: a new version only when something changed.
  await ensureStorageRoot(tools.storageRoot);
  const objectId = tools.objectId(record.archivalObjectUri);
  const commit = await commitVersion(
    tools.storageRoot,
    objectId,
    [
      ...images.map((img) => ({ logicalPath: img.logicalPath, sourcePath: img.jp2Path, digests: { sha512: img.digests.sha512, sha256: img.digests.sha256 } })),
      { logicalPath: `${prefix}${folderId(folder.name)}.json`, sourcePath: folderJsonPath },
      { logicalPath: `${request.collectionId}.json`, sourcePath: input.collectionJsonPath },
    ],
    {
      message: `Distillery run ${request.runId}: ${request.processes.join(', ')} for ${folder.name}, requested by ${request.user.name}`,
      user: { name: request.user.name, address: `mailto:${request.user.email}` },
    },
  );
  steps.package.line(
    commit.changed
      ? `📦 ${folder.name}: OCFL object ${objectId} ${commit.version} (${commit.newContentPaths.length} new file${commit.newContentPaths.length === 1 ? '' : 's'}).`
      : `📦 ${folder.name}: OCFL object ${objectId} unchanged at ${commit.version}.`,
  );
  // 5. ACE-format tokens for the version's payload, once (a rerun after a crash adds what is missing).
  if (!existsSync(tokenStorePath(tools.storageRoot, objectId, commit.version))) {
    const store = await tokenizeVersion(tools.storageRoot, objectId, commit.version, tools.ims);
    steps.package.line(`🔏 ${folder.name}: fixity tokens for ${commit.version} in ${store}`);
  }
  steps.package.file({ path: folder.path, outcome: 'done' });

  return {
    folder: {
      name: folder.name,
      path: folder.path,
      record,
      arrangement: record.arrangement,
      images,
      package: { storageRoot: tools.storageRoot, objectId, objectPath: commit.objectPath, version: commit.version, payloadLocal: true },
      folderJsonPath,
      collectionJsonPath: input.collectionJsonPath,
      incomplete: failed,
    },
    failed,
  };
}
