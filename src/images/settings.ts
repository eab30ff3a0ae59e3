/** Image settings: which JPEG 2000 encoder, the tool commands, and how many images at once. */
import { availableParallelism } from 'node:os';
import type { SettingsReader } from '../settings/reader.js';
import type { EncoderTool } from './encoder.js';

export interface ImageSettings {
  encoder: EncoderTool;
  vipsCmd: string;
  opjCompressCmd: string;
  opjDecompressCmd: string;
  kduCompressCmd?: string;
  /** Empty: the exiftool bundled with exiftool-vendored. */
  exiftoolCmd?: string;
  concurrency: number;
}

export function readImageSettings(r: SettingsReader): ImageSettings {
  const encoder = r.oneOf('JP2_ENCODER', ['vips', 'opj', 'kakadu'] as const, {
    default: 'vips', help: 'vips (default: as fast as opj_compress here, a seventh of the memory), opj, or kakadu with KDU_COMPRESS_CMD',
  }) ?? 'vips';
  const kduCompressCmd = r.string('KDU_COMPRESS_CMD');
  if (encoder === 'kakadu' && !kduCompressCmd) {
    r.problem('KDU_COMPRESS_CMD', 'is required when JP2_ENCODER=kakadu: set it to the path of kdu_compress, or choose JP2_ENCODER=vips.');
  }
  return {
    encoder,
    vipsCmd: r.string('VIPS_CMD', { default: 'vips' }),
    opjCompressCmd: r.string('OPJ_COMPRESS_CMD', { default: 'opj_compress' }),
    opjDecompressCmd: r.string('OPJ_DECOMPRESS_CMD', { default: 'opj_decompress' }),
    kduCompressCmd,
    exiftoolCmd: r.string('EXIFTOOL_CMD'),
    concurrency: r.int('IMAGE_CONCURRENCY', { default: availableParallelism(), min: 1, max: 256, help: 'images converted at once; default the number of cores' }),
  };
}
