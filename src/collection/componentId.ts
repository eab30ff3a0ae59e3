/**
 * The component id of a folder, from its name, as the original derived it: a folder
 * `<collection>_<box>_<folder>` holds the scans of the archival object whose component id is
 * `<collection>_<box without leading zeros, re-padded to 3>_<folder>` (HBF_1_02 → HBF_001_02).
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
  if (!/^\d+$/.test(box)) {
    throw new FolderNameError(`Folder "${name}" has a box part "${box}" that is not a number. Rename it ${form}.`);
  }
  return `${collectionId}_${String(Number.parseInt(box, 10)).padStart(3, '0')}_${folder}`;
}
