/**
 * One folder (= one archival object) through the core: ArchivesSpace record and digital object,
 * verified lossless JP2s with XMP, one digital object component per image, and an OCFL object
 * version holding the JP2s and the collection and folder metadata.
 */
import { writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative } from 'node:path';
import type { ArchivesSpace, Collection, DigitalObjectType } from '../archivesspace/types.js';
import type { DiscoveredFolder } from '../collection/discover.js';
import { folderId, folderPrefix } from '../collection/folderPaths.js';
import type { PreparedFolder, PreservedFile, PreservedImage } from '../destinations/destination.js';
import { convertFolder, xmpFields, type FileFacts, type ImageIdRegistry, type Jp2Encoder, type MetadataWriter } from '../images/index.js';
import { existsSync } from 'node:fs';
import { hashFile } from '../hash.js';
import { commitVersion, ensureStorageRoot, readInventory, stateOf, tokenizeVersion, tokenStorePath, type Ims, type Resolved } from '../ocfl/index.js';
import type { StepHandle } from '../runs/journal.js';
import { timePhase } from '../runs/reporter.js';
import type { RunRequest } from '../runs/types.js';
import { matchComponents } from './original.js';
import { preservedRecordJson } from './recordJson.js';

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
  /** The OCFL object of an archival object: its stable id, or the older URL-based object it continues. */
  objectId: (archivalObjectUri: string) => Promise<Resolved>;
  /** Issues the ACE-format fixity tokens of each new version's payload. */
  ims: Ims;
  /**
   * When the local storage root lacks an object: reads its inventories (never payload) from a
   * preservation copy so the next version builds on them; false when no copy holds it.
   */
  restoreObject?: (objectId: string, reporter: StepHandle) => Promise<boolean>;
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
  const otherNames = folder.otherFiles.map((p) => basename(p));
  const record = await stage(steps.metadata, name, async () =>
    aspace.ensureDigitalObject(await aspace.findFolder(folder.componentId), { type: digitalObjectTypeOf([...folder.images.map((i) => i.name), ...otherNames]) }),
  );
  steps.metadata.line(`📁 ${name}: ${record.arrangement.folderDisplay} — ${aspace.staffUrl(record.digitalObjectUri)}`);
  // What an earlier run or the original Distillery made is continued: its component for an image
  // keeps standing for that image (its id names the JP2), so no second component is made.
  await stage(steps.metadata, name, async () => {
    const existing = (await aspace.components?.(record.digitalObjectUri)) ?? [];
    for (const [fileName, component] of matchComponents(name, [...folder.images, ...otherNames.map((n) => ({ name: n, sequence: '' }))], existing)) {
      if (!component.componentId) continue;
      const { adopted } = await tools.ids.adopt(`${basename(folder.path)}/${fileName}`, component.componentId);
      if (adopted) steps.metadata.line(`♻️ ${name}: ${fileName} continues component "${component.label}" (${component.componentId}): ${aspace.staffUrl(component.uri)}`);
    }
  });
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
      time: (phase, ms) => steps.convert.time(phase, ms),
    },
    signal: input.signal,
  }));
  const failedNames = failed.map((f) => rel(f.path));
  if (failed.length) {
    const listed = failed.slice(0, 3).map((f) => `${rel(f.path)}: ${f.reason}`).join('; ');
    steps.convert.folder({ folder: name, state: 'failed', why: `${failed.length} of ${folder.images.length} image${folder.images.length === 1 ? '' : 's'} not converted — ${listed}${failed.length > 3 ? '; …' : ''}`, counts: { images: converted.length, failed: failed.length } });
    if (converted.length === 0) throw new FolderStepFailure('convert', `no image of ${name} could be converted — ${listed}${failed.length > 3 ? '; …' : ''}`);
  } else {
    steps.convert.folder({ folder: name, state: 'done', counts: { images: converted.length } });
  }

  // 3. One component per image, in sequence order (created once; found again on a rerun). Only
  // preservation copies are recorded on components: an access-only run records none, as the
  // original's access step wrote only the links on the digital object.
  const prefix = folderPrefix(record.arrangement, name).replace(/^[^/]+\//, '');
  const recordsComponents = request.processes.some((p) => p === 'cloud' || p === 'onsite');
  const { images, files } = await stage(steps.metadata, name, async () => {
    const images: PreservedImage[] = [];
    for (const [i, img] of converted.entries()) {
      const component = recordsComponents
        ? await aspace.ensureComponent(record.digitalObjectUri, { componentId: img.imageId, label: `Image ${img.sequence}`, position: i })
        : { uri: '', fileVersions: undefined };
      images.push({
        sequence: img.sequence,
        sourcePath: img.sourcePath,
        componentId: img.imageId,
        jp2Path: img.jp2Path,
        logicalPath: `${prefix}${folderId(name)}_${img.sequence}/${img.imageId}.jp2`,
        bytes: img.bytes,
        digests: img.digests,
        technical: img.technical,
        componentUri: component.uri,
        recordedCopies: component.fileVersions,
      });
    }
    // 3b. Every other file of the folder, as it is: its facts from exiftool, a component named by its file name.
    const files: PreservedFile[] = [];
    for (const [i, sourcePath] of folder.otherFiles.entries()) {
      const fileName = basename(sourcePath);
      const componentId = await tools.ids.idFor(`${basename(folder.path)}/${fileName}`);
      const facts = await tools.metadata.facts(sourcePath).catch((err: Error) => ({ error: err.message }) as FileFacts);
      const { bytes, digests } = await hashFile(sourcePath, ['sha512', 'sha256', 'md5']);
      const ext = extname(fileName).toLowerCase();
      const format = fileFormatOf(facts, ext.slice(1));
      const component = recordsComponents
        ? await aspace.ensureComponent(record.digitalObjectUri, { componentId, label: fileName, position: converted.length + i })
        : { uri: '', fileVersions: undefined };
      files.push({
        sourcePath, name: fileName, componentId, bytes,
        logicalPath: `${prefix}${fileName}/${componentId}${ext}`,
        digests: { sha512: digests.sha512, sha256: digests.sha256, md5: digests.md5 },
        format, componentUri: component.uri, recordedCopies: component.fileVersions,
      });
      steps.convert.line(`📄 ${name}: ${fileName} is preserved as it is (${format.version}${format.caption ? `; ${format.caption}` : ''}).`);
      steps.convert.file({ path: sourcePath, outcome: 'done', why: 'preserved as it is' });
    }
    return { images, files };
  });
  steps.metadata.folder({ folder: name, state: 'done', counts: { components: images.length + files.length }, where: { aspace: { archivalObject: aspace.staffUrl(record.archivalObjectUri), digitalObject: aspace.staffUrl(record.digitalObjectUri) } } });

  // 4. The OCFL object: a new version only when something changed, never one that drops a file
  //    because its image failed this time; then ACE-format tokens for the version's payload, once.
  const identity = await stage(steps.package, name, () => tools.objectId(record.archivalObjectUri));
  const objectId = identity.objectId;
  if (identity.legacy) steps.package.line(`🔗 ${name}: continuing OCFL object ${identity.legacy}, made before object ids were stable (its stable id is ${identity.stableId}).`);
  if (identity.forks.length) steps.package.line(`⚠️ ${name}: ${identity.forks.length} more OCFL object(s) of the same record were made before ids were stable (${identity.forks.join(', ')}); left as they are — see \`distillery ocfl migrate-ids\`.`);
  const commit = await stage(steps.package, name, async () => {
    await writeFile(folderJsonPath, preservedRecordJson({ ...record.archivalObject, arrangement: record.arrangement }));
    await ensureStorageRoot(tools.storageRoot);
    if (tools.restoreObject && !(await readInventory(tools.storageRoot, objectId))) await tools.restoreObject(objectId, steps.package);
    const incoming = [
      // A JP2 is not read again: its digests and how it was when they were computed come from the conversion.
      ...images.map((img, i) => ({ logicalPath: img.logicalPath, sourcePath: img.jp2Path, digests: { sha512: img.digests.sha512, sha256: img.digests.sha256 }, made: converted[i].made })),
      ...files.map((f) => ({ logicalPath: f.logicalPath, sourcePath: f.sourcePath, digests: { sha512: f.digests.sha512, sha256: f.digests.sha256 } })),
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
    const made = await timePhase(steps.package, 'OCFL install', () => commitVersion(tools.storageRoot, objectId, incoming, {
      message: `Distillery run ${request.runId}: ${request.processes.join(', ')} for ${name}, requested by ${request.user.name}`,
      user: { name: request.user.name, address: `mailto:${request.user.email}` },
    }));
    steps.package.line(
      made.changed
        ? `📦 ${name}: OCFL object ${objectId} ${made.version} (${made.newContentPaths.length} new file${made.newContentPaths.length === 1 ? '' : 's'}).`
        : `📦 ${name}: OCFL object ${objectId} unchanged at ${made.version}.`,
    );
    if (!existsSync(tokenStorePath(tools.storageRoot, objectId, made.version))) {
      const store = await timePhase(steps.package, 'fixity tokens', () => tokenizeVersion(tools.storageRoot, objectId, made.version, tools.ims));
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
      files,
      package: { storageRoot: tools.storageRoot, objectId, objectPath: commit.objectPath, version: commit.version, payloadLocal: true },
      folderJsonPath,
      collectionJsonPath: input.collectionJsonPath,
      incomplete: failed,
    },
    failed,
  };
}

const KINDS: [RegExp, DigitalObjectType][] = [
  [/\.(tiff?|jp2|jpe?g|png|gif|ptif)$/i, 'still_image'],
  [/\.(wav|mp3|aiff?|flac|m4a|ogg)$/i, 'sound_recording'],
  [/\.(mp4|mov|m4v|avi|mkv|mpe?g|webm)$/i, 'moving_image'],
  [/\.(pdf|txt|docx?|rtf|md|html?|xml|csv)$/i, 'text'],
];

/**
 * digital_object_type from what the folder holds, as the 2024 original typed it (still_image,
 * moving_image, sound_recording by extension; alchemist.py at d7d919f): one kind gives its type,
 * several give mixed_materials.
 */
export function digitalObjectTypeOf(fileNames: readonly string[]): DigitalObjectType | undefined {
  const kinds = new Set(fileNames.map((n) => KINDS.find(([re]) => re.test(n))?.[1] ?? 'mixed_materials'));
  if (kinds.size === 0) return undefined;
  return kinds.size === 1 ? [...kinds][0] : 'mixed_materials';
}

/** ArchivesSpace's own file_format_name values (its seed list) for the extensions that have one. */
const FORMAT_NAMES: Record<string, string> = { aif: 'aiff', aiff: 'aiff', avi: 'avi', gif: 'gif', jpg: 'jpeg', jpeg: 'jpeg', mp3: 'mp3', pdf: 'pdf', tif: 'tiff', tiff: 'tiff', txt: 'txt' };

/**
 * How a file preserved as it is is described in ArchivesSpace: the format name where the seed
 * list has one (other formats — WAV, MP4… — have no seed value, so the name is left out rather
 * than refused), exiftool's file type and facts as the version and caption, and a use statement
 * by kind.
 */
export function fileFormatOf(facts: FileFacts, ext: string): PreservedFile['format'] {
  const type = facts.fileType ?? (ext ? ext.toUpperCase() : 'unknown');
  const version = [type, facts.pdfVersion ? `version ${facts.pdfVersion}` : undefined, facts.mimeType].filter(Boolean).join('; ');
  const caption = [
    facts.pages !== undefined ? `pages: ${facts.pages}` : undefined,
    facts.duration ? `duration: ${facts.duration}` : undefined,
    facts.sampleRate ? `sample rate: ${facts.sampleRate} Hz` : undefined,
    facts.channels ? `channels: ${facts.channels}` : undefined,
    facts.bitsPerSample ? `bits per sample: ${facts.bitsPerSample}` : undefined,
    facts.width && facts.height ? `width: ${facts.width}; height: ${facts.height}` : undefined,
  ].filter(Boolean).join('; ');
  const kind = digitalObjectTypeOf([`x.${ext}`]);
  const useStatement = ext === 'pdf' ? 'application-pdf' : kind === 'sound_recording' ? 'audio-master' : kind === 'moving_image' ? 'video-master' : kind === 'still_image' ? 'image-master' : 'application';
  return { name: FORMAT_NAMES[ext], version, caption: caption || undefined, useStatement };
}
