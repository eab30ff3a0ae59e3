/**
 * The original's names for where a folder's files go (spec/distillery.md §3 "S3 key"): one rule
 * for the S3 keys, the OCFL logical paths and the folder JSON, so every copy is laid out alike.
 */
import type { Arrangement } from '../archivesspace/types.js';
import { zfill } from './componentId.js';

/**
 * The original's rule (`c if c.isalnum() else "-"`): every character that is not a letter or digit
 * becomes "-"; letters and digits of any script (é, ø, ß…) are kept, as Python's isalnum keeps them.
 */
export function slug(text: string): string {
  return text.replace(/[^\p{L}\p{N}]/gu, '-');
}

/** The original's `zfill(2)`, which pads any id, letters included ("A" → "0A"). */
function pad2(id: string): string {
  return zfill(id, 2);
}

/**
 * The folder prefix: collection, then series and subseries when the folder has them, then
 * `<folder id>-<folder display>/`.
 */
export function folderPrefix(a: Arrangement, folderName: string): string {
  const coll = a.collectionId;
  let prefix = `${coll}/`;
  if (a.seriesId !== undefined) {
    const s = pad2(a.seriesId);
    prefix += `${coll}-s${s}-${slug(a.seriesDisplay ?? '')}/`;
    if (a.subseriesId !== undefined) prefix += `${coll}-s${s}-ss${pad2(a.subseriesId)}-${slug(a.subseriesDisplay ?? '')}/`;
  }
  return `${prefix}${folderId(folderName)}-${slug(a.folderDisplay)}/`;
}

/** Folder ids with extra parts keep only the first and last two, as the original did. */
export function folderId(folderName: string): string {
  const parts = folderName.split('_');
  return parts.length > 3 ? [parts[0], ...parts.slice(-2)].join('_') : folderName;
}
