/** What the access copies need from the collection JSON the distill core saved (`<ID>.json`). */
import { readFile } from 'node:fs/promises';
import type { PreparedFolder } from '../destination.js';

export interface CollectionInfo {
  id: string;
  title: string;
  /** Text of the collection's first published use-and-reproduction note. */
  useRestriction?: string;
}

interface Note {
  type?: string;
  publish?: boolean;
  subnotes?: { content?: string; publish?: boolean }[];
}

export async function readCollectionInfo(collectionId: string, folder: PreparedFolder): Promise<CollectionInfo> {
  let record: { title?: string; id_0?: string; notes?: Note[] } = {};
  if (folder.collectionJsonPath) {
    try {
      record = JSON.parse(await readFile(folder.collectionJsonPath, 'utf8'));
    } catch (err) {
      throw new Error(`Cannot read the collection JSON ${folder.collectionJsonPath}: ${(err as Error).message}. Run the distill step again.`);
    }
  }
  const note = (record.notes ?? []).find((n) => n.type === 'userestrict' && n.publish !== false && n.subnotes?.[0]?.content);
  return {
    id: record.id_0 ?? collectionId,
    title: record.title ?? folder.arrangement.collectionDisplay,
    useRestriction: note?.subnotes?.[0]?.content,
  };
}
