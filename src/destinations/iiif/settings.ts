/**
 * Settings of ACCESS_PLATFORM=iiif: where the static IIIF files are published and the public URL
 * they are reached at. On S3 the cloud keys (AWS_ACCESS_KEY, AWS_SECRET_KEY, AWS_REGION,
 * S3_ENDPOINT, S3_FORCE_PATH_STYLE) are used for the access bucket too.
 */
import { isAbsolute } from 'node:path';
import type { SettingsReader } from '../../settings/reader.js';

export interface IiifSettings {
  baseUrl: string;
  /** A local folder (absolute, or relative to settings.ini), or an S3 bucket and prefix. */
  publishTo: { kind: 'folder'; path: string } | { kind: 's3'; bucket: string; prefix: string };
  tileSize: number;
  thumbnailSize: number;
  recordLinkBase?: string;
  /** A viewer URL to which the Manifest's URL is appended, encoded (e.g. Distillery's /viewer?manifest=). */
  viewerUrl?: string;
  s3?: { region: string; accessKeyId: string; secretAccessKey: string; endpoint?: string; forcePathStyle: boolean };
}

export function readIiifSettings(r: SettingsReader): IiifSettings {
  const help = 'needed when ACCESS_PLATFORM=iiif';
  const baseUrl = (r.url('IIIF_BASE_URL', { required: true, help: `the public URL the published IIIF files are reached at, e.g. https://iiif.example.edu/iiif (${help})` }) ?? '').replace(/\/+$/, '');
  const target = r.string('IIIF_PUBLISH_TO', { required: true, help: `a folder a web server serves, or s3://<bucket>/<prefix> (${help})` }) ?? '';
  let publishTo: IiifSettings['publishTo'] = { kind: 'folder', path: target };
  let s3: IiifSettings['s3'];
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(target);
  if (m) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(m[1])) r.problem('IIIF_PUBLISH_TO', `"${m[1]}" is not a valid S3 bucket name (3–63 lower-case letters, digits, dots and hyphens).`);
    publishTo = { kind: 's3', bucket: m[1], prefix: m[2].replace(/\/+$/, '') };
    const endpoint = r.url('S3_ENDPOINT', { help: 'only for S3-compatible stores other than AWS' });
    s3 = {
      region: r.string('AWS_REGION', { default: 'us-west-2' }),
      accessKeyId: r.string('AWS_ACCESS_KEY', { required: true, help: 'the access key id that may write to the IIIF bucket' }) ?? '',
      secretAccessKey: r.secret('AWS_SECRET_KEY', { required: true, help: 'the secret key that belongs to AWS_ACCESS_KEY' }) ?? '',
      endpoint,
      forcePathStyle: r.bool('S3_FORCE_PATH_STYLE', { default: endpoint !== undefined }),
    };
  } else if (target && /^[a-z][a-z0-9+.-]*:\/\//i.test(target)) {
    r.problem('IIIF_PUBLISH_TO', `"${target}" is neither a folder nor s3://<bucket>/<prefix>.`);
  } else if (target && !isAbsolute(target)) {
    publishTo = { kind: 'folder', path: target };
  }
  return {
    baseUrl,
    publishTo,
    tileSize: r.int('IIIF_TILE_SIZE', { default: 512, min: 64, max: 4096, help: 'tile width and height in pixels' }),
    thumbnailSize: r.int('IIIF_THUMBNAIL_SIZE', { default: 400, min: 32, max: 2000, help: 'longest side of the thumbnail in pixels' }),
    recordLinkBase: r.url('IIIF_RECORD_LINK_BASE', { help: "base of the archival objects' public pages; default ASPACE_PUBLIC_URL" }),
    viewerUrl: r.url('IIIF_VIEWER_URL', { help: "a viewer to which the Manifest's URL is appended, e.g. https://distillery.example.edu/viewer?manifest=" }),
    s3,
  };
}
