/**
 * Where things go in the bucket, and the https URL recorded in ArchivesSpace for each.
 */
import type { Arrangement } from '../../archivesspace/types.js';
import { folderId, folderPrefix } from '../../collection/folderPaths.js';

export { folderId, folderPrefix };

export function folderJsonKey(a: Arrangement, folderName: string): string {
  return `${folderPrefix(a, folderName)}${folderId(folderName)}.json`;
}

export function collectionJsonKey(collectionId: string): string {
  return `${collectionId}/${collectionId}.json`;
}

/** The object's https URL: AWS virtual-hosted style, or the configured endpoint. */
export function objectUrl(o: { bucket: string; region: string; endpoint?: string; forcePathStyle?: boolean }, key: string): string {
  const path = key.split('/').map(encodeURIComponent).join('/');
  if (!o.endpoint) return `https://${o.bucket}.s3.${o.region}.amazonaws.com/${path}`;
  const u = new URL(o.endpoint);
  const base = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  return o.forcePathStyle ? `${base}/${o.bucket}/${path}` : `${u.protocol}//${o.bucket}.${u.host}/${path}`;
}
