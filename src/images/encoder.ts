/**
 * Lossless JPEG 2000 encoders: reversible 5/3 wavelet, no quantization. sharp's libvips has no
 * OpenJPEG, so we call Debian's `vips` or `opj_compress`, or a site's licensed Kakadu.
 */
import { availableParallelism } from 'node:os';
import { runChild } from '../childProcess.js';
import { policies } from '../policies.js';

export interface Jp2Encoder {
  name: string;
  version(): Promise<string>;
  encodeLossless(tiff: string, jp2: string, signal?: AbortSignal): Promise<void>;
}

export type EncoderTool = 'vips' | 'opj' | 'kakadu';

/**
 * One image's encode may take minutes for a very large scan, never as long as the imageTool policy;
 * past it the encoder is stopped with a message (vips can spin forever when the disk fills while it writes).
 */
const encodeOpts = (signal?: AbortSignal) => ({ signal, policy: policies.imageTool, hint: FULL_DISK_HINT });
export const FULL_DISK_HINT = 'A full disk can make it hang or fail: check the free space in LOSSLESS_PRESERVATION_FILES, then run again.';
const check = { policy: policies.toolCheck };

export function makeEncoder(opts: { tool: EncoderTool; command?: string; threads?: number }): Jp2Encoder {
  const threads = Math.max(1, opts.threads ?? 1);
  switch (opts.tool) {
    case 'vips': {
      const cmd = opts.command ?? 'vips';
      return {
        name: 'vips',
        async version() { return (await runChild(cmd, ['--version'], check)).stdout.trim(); },
        async encodeLossless(tiff, jp2, signal) {
          // vips' jp2ksave with `lossless` uses the reversible 5/3 transform and no quantization.
          await runChild(cmd, ['copy', tiff, `${jp2}[lossless]`], { env: { ...process.env, VIPS_CONCURRENCY: String(threads) }, ...encodeOpts(signal) });
        },
      };
    }
    case 'opj': {
      const cmd = opts.command ?? 'opj_compress';
      return {
        name: 'opj_compress',
        async version() { return firstVersion((await runChild(cmd, ['-h'], { ...check, exit: 'return' })).stdout); },
        async encodeLossless(tiff, jp2, signal) {
          // opj_compress defaults to one quality layer, reversible 5/3, no quantization.
          await runChild(cmd, ['-i', tiff, '-o', jp2, '-threads', String(threads)], encodeOpts(signal));
        },
      };
    }
    case 'kakadu': {
      const cmd = opts.command ?? 'kdu_compress';
      return {
        name: 'kdu_compress',
        async version() { const r = await runChild(cmd, ['-v'], { ...check, exit: 'return' }); return firstVersion(r.stdout + r.stderr); },
        async encodeLossless(tiff, jp2, signal) {
          await runChild(cmd, ['-i', tiff, '-o', jp2, 'Creversible=yes', 'Clevels=6', 'Corder=RPCL', '-rate', '-', '-num_threads', String(threads)], encodeOpts(signal));
        },
      };
    }
  }
}

export function firstVersion(text: string): string {
  return /\d+\.\d+(\.\d+)?/.exec(text)?.[0] ?? (text.split('\n')[0] ?? '').trim();
}

export const defaultThreads = (): number => availableParallelism();
