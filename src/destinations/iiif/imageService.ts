/**
 * A static IIIF Image API 3.0 service (level 0) for one preserved image, made from one decode of
 * its pixels: tiles and info.json (libvips' iiif3 tile layout, through sharp), a full-size JPEG at
 * `full/max/0/default.jpg` and a thumbnail, each listed in info.json's `sizes` so a level-0
 * client asks only for files that exist. Every file a client can derive from info.json is checked
 * to exist before the service counts as made.
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fromPixels, type AccessPixels } from '../../images/accessPixels.js';

export interface ImageServiceOptions {
  tileSize: number;
  thumbnailSize: number;
  /** Dublin Core XMP packet embedded in the full-size JPEG and the thumbnail. */
  xmp?: string;
}

export interface ImageInfo {
  '@context': string;
  id: string;
  type: 'ImageService3';
  protocol: string;
  profile: 'level0';
  width: number;
  height: number;
  tiles: { width: number; height?: number; scaleFactors: number[] }[];
  sizes?: { width: number; height: number }[];
}

export interface MadeImageService {
  info: ImageInfo;
  thumbnail: { width: number; height: number; path: string };
  /** Paths of every file of the service, relative to its folder; info.json last. */
  files: string[];
}

export const FULL_IMAGE = 'full/max/0/default.jpg';

/**
 * Writes the service for `serviceId` (its public URL, ending in the folder's name) into `dir`,
 * which must not exist yet; its parent is made if missing.
 */
export async function makeImageService(px: AccessPixels, dir: string, serviceId: string, o: ImageServiceOptions): Promise<MadeImageService> {
  const cut = serviceId.lastIndexOf('/');
  const parentId = serviceId.slice(0, cut);
  const name = serviceId.slice(cut + 1);
  if (!dir.endsWith(`/${name}`)) throw new Error(`The image folder ${dir} must be named ${name}, as its service id ends.`);
  const { width, height } = px.info;
  const thumb = thumbnailSize(width, height, o.thumbnailSize);
  const thumbPath = `full/${thumb.width},${thumb.height}/0/default.jpg`;
  const withXmp = (s: ReturnType<typeof fromPixels>) => (o.xmp ? s.withXmp(o.xmp) : s);

  // The three derivatives at once from the same pixels (libvips threads overlap); the full image and
  // the thumbnail are written beside the tile folder, then moved into it.
  // The tiler makes the folder's parent itself, but the two JPEGs beside it may be written first.
  const fullTmp = `${dir}.full.jpg`;
  const thumbTmp = `${dir}.thumb.jpg`;
  await mkdir(dirname(dir), { recursive: true });
  await Promise.all([
    fromPixels(px).jpeg({ quality: 85 }).tile({ size: o.tileSize, layout: 'iiif3', id: parentId }).toFile(dir),
    withXmp(fromPixels(px).jpeg({ quality: 90 })).toFile(fullTmp),
    withXmp(fromPixels(px).resize(thumb.width, thumb.height, { fit: 'fill' }).jpeg({ quality: 80 })).toFile(thumbTmp),
  ]);
  await rm(join(dir, '..', 'vips-properties.xml'), { force: true });
  await mkdir(join(dir, 'full/max/0'), { recursive: true });
  await mkdir(join(dir, `full/${thumb.width},${thumb.height}/0`), { recursive: true });
  await rename(fullTmp, join(dir, FULL_IMAGE));
  await rename(thumbTmp, join(dir, thumbPath));

  const info = JSON.parse(await readFile(join(dir, 'info.json'), 'utf8')) as ImageInfo;
  if (info.id !== serviceId || info.width !== width || info.height !== height) {
    throw new Error(`The tiler wrote an info.json for ${info.id} (${info.width}×${info.height}), not ${serviceId} (${width}×${height}).`);
  }
  // sizes: the whole image at each size a level-0 client may ask for (the tiler's smallest level and the thumbnail).
  const sizes = new Map<string, { width: number; height: number }>();
  for (const p of await readdir(join(dir, 'full'))) {
    const m = /^(\d+),(\d+)$/.exec(p);
    if (m) sizes.set(p, { width: Number(m[1]), height: Number(m[2]) });
  }
  info.sizes = [...sizes.values()].sort((a, b) => a.width - b.width);
  await writeFile(join(dir, 'info.json'), `${JSON.stringify(info, null, 2)}\n`);

  const missing = await missingFiles(dir, info);
  if (missing.length) throw new Error(`The IIIF tiles of ${serviceId} are incomplete: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''} missing.`);
  const files = (await listFiles(dir)).filter((f) => f !== 'info.json');
  return { info, thumbnail: { ...thumb, path: thumbPath }, files: [...files.sort(), 'info.json'] };
}

/** The thumbnail's size: the longest side `size` pixels, never enlarged. */
export function thumbnailSize(width: number, height: number, size: number): { width: number; height: number } {
  const scale = Math.min(1, size / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Every file a level-0 client may request, as it derives them from info.json (tiles and sizes). */
export function expectedFiles(info: ImageInfo): string[] {
  const out = new Set<string>([FULL_IMAGE]);
  const { width: w, height: h } = info;
  for (const t of info.tiles) {
    const tw = t.width;
    const th = t.height ?? t.width;
    for (const s of t.scaleFactors) {
      for (let y = 0; y < h; y += th * s) {
        for (let x = 0; x < w; x += tw * s) {
          const rw = Math.min(tw * s, w - x);
          const rh = Math.min(th * s, h - y);
          const region = x === 0 && y === 0 && rw === w && rh === h ? 'full' : `${x},${y},${rw},${rh}`;
          out.add(`${region}/${Math.ceil(rw / s)},${Math.ceil(rh / s)}/0/default.jpg`);
        }
      }
    }
  }
  for (const size of info.sizes ?? []) out.add(`full/${size.width},${size.height}/0/default.jpg`);
  return [...out];
}

export async function missingFiles(dir: string, info: ImageInfo): Promise<string[]> {
  const missing: string[] = [];
  for (const f of expectedFiles(info)) {
    const st = await stat(join(dir, f)).catch(() => undefined);
    if (!st?.isFile() || st.size === 0) missing.push(f);
  }
  return missing;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}
