/**
 * IIIF access derivatives of one 24-megapixel scan — tiles and info.json, the full-size JPEG and
 * the thumbnail, all from one decode (src/destinations/iiif/imageService.ts) — against a bare
 * `vips dzsave --layout iiif3` of the same TIFF with the same tile size, which makes the tiles
 * alone. Runs alternate; medians of three.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeImageService } from '../destinations/iiif/imageService.js';
import { decodeForAccess } from '../images/accessPixels.js';
import { median, timed, writeTiff } from './images.js';
import type { BenchRow } from './types.js';

const run = promisify(execFile);
const TILE = 512;

export async function benchIiif(opts: { quick: boolean }): Promise<BenchRow[]> {
  const [width, height] = opts.quick ? [1500, 1000] : [6000, 4000];
  const dir = await mkdtemp(join(tmpdir(), 'distillery-bench-iiif-'));
  try {
    const tif = join(dir, 'scan.tif');
    await writeTiff(tif, width, height, 8);
    const bare: number[] = [];
    const ours: number[] = [];
    for (let r = 0; r < 3; r++) {
      const out = join(dir, `bare-${r}`);
      await mkdir(out);
      bare.push(await timed(() => run('vips', ['dzsave', tif, join(out, 'scan'), '--layout', 'iiif3', '--tile-size', String(TILE), '--suffix', '.jpg[Q=85]'])));
      const work = join(dir, `ours-${r}`);
      await mkdir(work);
      ours.push(await timed(async () => {
        const px = await decodeForAccess({ sourcePath: tif, jp2Path: join(dir, 'none.jp2') }, 'opj_decompress', work);
        await makeImageService(px, join(work, 'scan'), 'https://iiif.example.edu/iiif/images/scan', { tileSize: TILE, thumbnailSize: 400 });
      }));
    }
    const ratio = median(ours) / median(bare);
    return [
      { name: `iiif: ${width}x${height} RGB, tiles of ${TILE}, medians of 3`, value: '' },
      { name: 'iiif: bare vips dzsave --layout iiif3 (tiles only)', value: `${median(bare).toFixed(2)} s` },
      { name: 'iiif: access derivatives (one decode: tiles, full JPEG, thumbnail)', value: `${median(ours).toFixed(2)} s` },
      { name: 'iiif: derivatives / bare dzsave', value: ratio.toFixed(2), goal: '≤ 1.2', ok: ratio <= 1.2 },
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
