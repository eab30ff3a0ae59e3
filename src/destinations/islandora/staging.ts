/**
 * The local staging tree islandora_book_batch and islandora_batch_with_derivs read, under
 * COMPRESSED_ACCESS_FILES/<collection ID>/:
 *   collections/<ns>+<collection ID>/MODS.xml, COLLECTION_POLICY.xml
 *   books/<collection ID>+<component id>/MODS.xml, TN.jpg, 0001/{OBJ.jp2,JP2.jp2,JPG.jpg,TN.jpg,MODS.xml,OCR.txt,HOCR.html}, 0002/…
 * A book folder is rebuilt from scratch, so a half-written one from an interrupted run never leaks.
 */
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import type { PreparedFolder, PreservedImage } from '../destination.js';
import type { Reporter } from '../../runs/reporter.js';
import type { CollectionInfo } from '../access/collectionInfo.js';
import type { AccessEdition } from '../access/platform.js';
import { makePageDerivatives, type DerivativeOptions, type DerivativeXmp } from './derivatives.js';
import { bookMods, collectionMods, collectionPolicy, pageMods, type BookDate } from './mods.js';

export interface StagedCollection {
  /** The folder to pass as --scan_target (holds one `<ns>+<id>` folder). */
  scanTarget: string;
  objectDir: string;
}

export interface StagedBook {
  scanTarget: string;
  bookDir: string;
  pages: number;
  /** Pages whose OCR was left out, with why. */
  ocrProblems: { page: string; problem: string }[];
}

export function collectionRoot(stagingDir: string, collectionId: string): string {
  return join(stagingDir, collectionId);
}

export async function stageCollection(stagingDir: string, namespace: string, info: CollectionInfo): Promise<StagedCollection> {
  const scanTarget = join(collectionRoot(stagingDir, info.id), 'collections');
  const objectDir = join(scanTarget, `${namespace}+${info.id}`);
  await rm(scanTarget, { recursive: true, force: true });
  await mkdir(objectDir, { recursive: true });
  await writeFile(join(objectDir, 'MODS.xml'), collectionMods(info.title));
  await writeFile(join(objectDir, 'COLLECTION_POLICY.xml'), collectionPolicy(info.id));
  return { scanTarget, objectDir };
}

/** The page title the original gave the XMP dc:title and page MODS. */
export function pageTitle(folder: PreparedFolder, image: PreservedImage): string {
  const extent = folder.record.extentNumber;
  const n = extent ? `${image.sequence}/${extent.padStart(4, '0')}` : image.sequence;
  return `${folder.arrangement.folderDisplay} [image ${n}]`;
}

function creationDates(folder: PreparedFolder): BookDate[] {
  const fromRecord = (folder.record.archivalObject as { dates?: BookDate[] }).dates;
  return Array.isArray(fromRecord) && fromRecord.length > 0 ? fromRecord : folder.record.dates;
}

export interface StageBookOptions {
  stagingDir: string;
  recordLinkBase: string;
  pageConcurrency: number;
  derivatives: DerivativeOptions;
  reporter: Reporter;
  /** The XMP-dc fields of a page's preservation image, embedded in its OBJ, JPG and TN as well. */
  xmp?: (image: PreservedImage) => DerivativeXmp;
  /** The run's stop signal: reaches the decoders, encoders and Tesseract. */
  signal?: AbortSignal;
}

export async function stageBook(folder: PreparedFolder, info: CollectionInfo, edition: AccessEdition, o: StageBookOptions): Promise<StagedBook> {
  const scanTarget = join(collectionRoot(o.stagingDir, info.id), 'books');
  const bookDir = join(scanTarget, `${info.id}+${folder.record.componentId}`);
  await rm(bookDir, { recursive: true, force: true });
  await mkdir(bookDir, { recursive: true });
  const a = folder.arrangement;
  await writeFile(
    join(bookDir, 'MODS.xml'),
    bookMods({
      title: a.folderTitle,
      dates: creationDates(folder),
      pageCount: edition.pages.length,
      collectionTitle: a.collectionDisplay,
      series: a.seriesId !== undefined && a.seriesDisplay !== undefined ? { id: a.seriesId, title: a.seriesDisplay } : undefined,
      subseries: a.subseriesId !== undefined && a.subseriesDisplay !== undefined ? { id: a.subseriesId, title: a.subseriesDisplay } : undefined,
      recordUrl: `${o.recordLinkBase}${folder.record.archivalObjectUri}`,
      componentId: folder.record.componentId,
      accessCondition: info.useRestriction,
      metadataDigest: edition.metadataDigest,
    }),
  );
  const limit = pLimit(o.pageConcurrency);
  const ocrProblems: StagedBook['ocrProblems'] = [];
  let done = 0;
  await Promise.all(
    edition.pages.map(({ page, sourceSha512, image }) =>
      limit(async () => {
        const pageDir = join(bookDir, page);
        await mkdir(pageDir, { recursive: true });
        await writeFile(join(pageDir, 'MODS.xml'), pageMods(pageTitle(folder, image), image.componentId, { page, sha512: sourceSha512 }));
        if (o.signal?.aborted) throw o.signal.reason;
        const result = await makePageDerivatives(image, pageDir, o.derivatives, o.xmp?.(image), o.signal, o.reporter);
        if (!result.ocr) ocrProblems.push({ page, problem: result.ocrProblem ?? 'unknown' });
        o.reporter.progress(++done, edition.pages.length, `${folder.name} page ${page}`, 'pages');
      }),
    ),
  );
  if (edition.pages.length > 0) await copyFile(join(bookDir, '0001', 'TN.jpg'), join(bookDir, 'TN.jpg'));
  return { scanTarget, bookDir, pages: edition.pages.length, ocrProblems };
}
