/** The Dublin Core fields embedded in every preservation image, computed by the original's rules. */
import type { Collection, FolderRecord } from '../archivesspace/types.js';

export interface XmpFields {
  title: string;
  identifier: string;
  publisher: string;
  source: string;
  rights: string;
}

export const DEFAULT_RIGHTS = 'Caltech Archives has not determined the copyright in this image.';

export function xmpFields(input: { collection: Pick<Collection, 'useRestriction'>; folder: FolderRecord; sequence: string; imageId: string }): XmpFields {
  const a = input.folder.arrangement;
  const extent = input.folder.extentNumber?.trim();
  const title = extent
    ? `${a.folderDisplay} [image ${input.sequence}/${extent.padStart(4, '0')}]`
    : `${a.folderDisplay} [image ${input.sequence}]`;
  let source = `${a.repositoryCode}: ${a.collectionDisplay}`;
  if (a.seriesDisplay) source += ` / ${a.seriesDisplay}`;
  if (a.subseriesDisplay) source += ` / ${a.subseriesDisplay}`;
  return {
    title,
    identifier: input.imageId,
    publisher: a.repositoryName,
    source,
    rights: input.collection.useRestriction?.trim() || DEFAULT_RIGHTS,
  };
}
