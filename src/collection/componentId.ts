/**
 * The component id of a folder, from its name, as the original derived it: a folder
 * `<collection>_<box>_<folder>` holds the scans of the archival object whose component id is
 * `<collection>_<box without leading zeros, re-padded to 3>_<folder>` (HBF_1_02 → HBF_001_02). A box
 * part with letters is kept as the original kept it (`0B` → `00B`; distill.py at 8dacb3c,
 * normalize_directory_component_id: `lstrip("0")` then `zfill(3)`).
 */
export class FolderNameError extends Error {
  override readonly name = 'FolderNameError';
}

export function componentIdFromFolderName(name: string, collectionId: string): string {
  const form = `${collectionId}_<box>_<folder>, for example ${collectionId}_001_01`;
  if (!name.startsWith(`${collectionId}_`)) {
    throw new FolderNameError(
      `Folder "${name}" does not belong to collection ${collectionId}: its name must begin with "${collectionId}_" (case matters). Rename it ${form}, or move it out of the collection folder.`,
    );
  }
  const parts = name.slice(collectionId.length + 1).split('_');
  if (parts.length !== 2 || parts.some((p) => p === '')) {
    throw new FolderNameError(`Folder "${name}" is not named ${form}: after the collection ID it must have exactly a box and a folder part. Rename it.`);
  }
  const [box, folder] = parts;
  if (!/^[A-Za-z0-9]+$/.test(box)) {
    throw new FolderNameError(`Folder "${name}" has a box part "${box}" with characters other than letters and digits. Rename it ${form}.`);
  }
  // The original's rule, letters included: leading zeros off, then zero-padded to 3 (HaleGE_0B_03 → HaleGE_00B_03).
  return `${collectionId}_${zfill(box.replace(/^0+/, ''), 3)}_${folder}`;
}

/** Python's str.zfill: zeros on the left up to `width`, after a leading sign. */
export function zfill(text: string, width: number): string {
  const sign = /^[+-]/.test(text) ? text[0] : '';
  const rest = sign ? text.slice(1) : text;
  return sign + rest.padStart(width - sign.length, '0');
}
