// Real SettingsReader and real tools on this machine (vips, opj_decompress, bundled exiftool).
import { describe, expect, it } from 'vitest';
import { imageToolVersions, readImageSettings } from '../../src/images/index.js';
import { SettingsReader } from '../../src/settings/reader.js';
import { availableParallelism } from 'node:os';

describe('readImageSettings', () => {
  it('defaults to vips, the Debian tool names, the bundled exiftool and one image per core', () => {
    const r = new SettingsReader({});
    expect(readImageSettings(r)).toEqual({
      encoder: 'vips', vipsCmd: 'vips', opjCompressCmd: 'opj_compress', opjDecompressCmd: 'opj_decompress',
      kduCompressCmd: undefined, exiftoolCmd: undefined, concurrency: availableParallelism(),
    });
    expect(r.problems).toEqual([]);
  });

  it('reports every problem at once by key', () => {
    const r = new SettingsReader({ JP2_ENCODER: 'kakadu', IMAGE_CONCURRENCY: 'many' });
    readImageSettings(r);
    expect(r.problems.map((p) => p.key)).toEqual(['KDU_COMPRESS_CMD', 'IMAGE_CONCURRENCY']);
    expect(r.problems[0].message).toBe('is required when JP2_ENCODER=kakadu: set it to the path of kdu_compress, or choose JP2_ENCODER=vips.');
    const bad = new SettingsReader({ JP2_ENCODER: 'imagemagick' });
    readImageSettings(bad);
    expect(bad.problems[0].message).toMatch(/^must be one of vips, opj, kakadu, but settings.ini has "imagemagick"/);
  });
});

describe('imageToolVersions', () => {
  it('lists the version of each configured tool', async () => {
    const s = readImageSettings(new SettingsReader({ JP2_ENCODER: 'opj' }));
    const v = await imageToolVersions(s);
    expect(v.map((x) => x.name)).toEqual(['encoder (opj)', 'opj_decompress', 'exiftool', 'sharp (libvips)']);
    expect(v[0].version).toMatch(/^2\.\d+\.\d+$/);
    expect(v[1].version).toMatch(/^2\.\d+\.\d+$/);
    expect(v[2].version).toMatch(/^\d+\.\d+/);
  });

  it('says a tool is unavailable, and how to fix it, instead of failing', async () => {
    const s = readImageSettings(new SettingsReader({ VIPS_CMD: '/nowhere/vips' }));
    const v = await imageToolVersions(s);
    expect(v[0]).toEqual({ name: 'encoder (vips)', version: 'unavailable: vips (/nowhere/vips) is not installed or not on PATH: install it or set its path in settings.ini.' });
    expect(v[1].version).toMatch(/^2\./);
  });
});
