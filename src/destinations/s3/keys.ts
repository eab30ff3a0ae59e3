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

/** How a stored copy is named in ArchivesSpace: `https` (the object's web address) or `s3` (`s3://bucket/key`). */
export type FileUriForm = 'https' | 's3';

/**
 * The object's address recorded in ArchivesSpace: with the `s3` form `s3://<bucket>/<key>` (the
 * same wherever the endpoint moves; the 2024 original's form), else its https URL: AWS
 * virtual-hosted style, or the configured endpoint.
 */
export function objectUrl(o: { bucket: string; region: string; endpoint?: string; forcePathStyle?: boolean; fileUriForm?: FileUriForm }, key: string): string {
  const path = key.split('/').map(encodeURIComponent).join('/');
  if (o.fileUriForm === 's3') return `s3://${o.bucket}/${path}`;
  if (!o.endpoint) return `https://${o.bucket}.s3.${o.region}.amazonaws.com/${path}`;
  const u = new URL(o.endpoint);
  const base = `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  return o.forcePathStyle ? `${base}/${o.bucket}/${path}` : `${u.protocol}//${o.bucket}.${u.host}/${path}`;
}

/**
 * The bucket and key an S3 file version names, in any of the forms Distillery and the original
 * wrote: `s3://bucket/key`, AWS virtual-hosted (`https://bucket.s3.amazonaws.com/key`,
 * `…s3-us-west-2…`, `…s3.us-west-2…`) and path style on any host (`http://host:port/bucket/key`).
 */
export function s3ObjectOf(uri: string): { bucket: string; key: string } | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return undefined;
  }
  const decode = (p: string) => p.split('/').map((x) => decodeURIComponent(x)).join('/');
  if (u.protocol === 's3:') return u.hostname && u.pathname.length > 1 ? { bucket: u.hostname, key: decode(u.pathname.slice(1)) } : undefined;
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  const hosted = /^(.+)\.s3(?:[.-][a-z0-9-]+)?\.amazonaws\.com$/.exec(u.hostname);
  if (hosted) return u.pathname.length > 1 ? { bucket: hosted[1], key: decode(u.pathname.slice(1)) } : undefined;
  const [bucket, ...rest] = u.pathname.slice(1).split('/');
  return bucket && rest.length ? { bucket, key: decode(rest.join('/')) } : undefined;
}
