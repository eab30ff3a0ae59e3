/**
 * Page derivatives with the real tools (sharp, opj_compress/opj_decompress, tesseract): from the
 * TIFF when it is there, from the verified JP2 when the TIFF is gone, and a clear message when
 * neither exists.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePageDerivatives, type DerivativeOptions } from '../../../src/destinations/islandora/derivatives.js';
import { writePage } from './fixtures.js';

const opts: DerivativeOptions = {
  jp2Encoder: 'opj_compress',
  jp2BitsPerPixel: 0.5,
  opjCompressCommand: 'opj_compress',
  opjDecompressCommand: 'opj_decompress',
  tesseractCommand: 'tesseract',
};

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'distillery-derivs-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('page derivatives', () => {
  it('decodes the verified JP2 when the TIFF is gone, and OCRs its 16-bit grey pixels', async () => {
    const tif = join(work, 'grey16.tif');
    await writePage(tif, 'Lossless source page', 'grey16');
    const jp2 = join(work, 'page-LOSSLESS.jp2');
    execFileSync('opj_compress', ['-i', tif, '-o', jp2]);
    const out = join(work, 'fromjp2');
    await mkdir(out);
    const result = await makePageDerivatives({ sourcePath: join(work, 'missing.tif'), jp2Path: jp2 }, out, opts);
    expect(result).toEqual({ width: 1200, height: 500, ocr: true });
    expect((await readdir(out)).sort()).toEqual(['HOCR.html', 'JP2.jp2', 'JPG.jpg', 'OBJ.jp2', 'OCR.txt', 'TN.jpg']);
    expect(await readFile(join(out, 'OCR.txt'), 'utf8')).toMatch(/Lossless source page/);
    const tn = await sharp(join(out, 'TN.jpg')).metadata();
    expect([tn.width, tn.height]).toEqual([200, 83]);
    expect(await readFile(join(out, 'JP2.jp2'))).toEqual(await readFile(join(out, 'OBJ.jp2')));
  });

  it('says what to do when neither the TIFF nor the JP2 exists', async () => {
    await expect(makePageDerivatives({ sourcePath: join(work, 'a.tif'), jp2Path: join(work, 'a.jp2') }, work, opts)).rejects.toThrow(
      `Neither the TIFF ${join(work, 'a.tif')} nor its JP2 ${join(work, 'a.jp2')} exists; run the distill step again.`,
    );
  });

  it('publishes a page without OCR when Tesseract fails, and says why', async () => {
    const tif = join(work, 'rgb.tif');
    await writePage(tif, 'No OCR here', 'rgb8');
    const out = join(work, 'noocr');
    await mkdir(out);
    const result = await makePageDerivatives({ sourcePath: tif, jp2Path: '' }, out, { ...opts, tesseractCommand: 'false' });
    expect(result.ocr).toBe(false);
    expect(result.ocrProblem).toMatch(/^Tesseract failed/);
    expect((await readdir(out)).sort()).toEqual(['JP2.jp2', 'JPG.jpg', 'OBJ.jp2', 'TN.jpg']);
  });
  it('a Tesseract that never exits is stopped at the OCR time-out with every process it started; the page is published without OCR, saying why', async () => {
    const { policies } = await import('../../../src/policies.js');
    const { writeFile } = await import('node:fs/promises');
    const tif = join(work, 'hang.tif');
    await writePage(tif, 'A page whose OCR hangs', 'rgb8');
    // The stand-in starts a child of its own (as tesseract's OpenMP threads would not, but a
    // wrapper script might), records both process ids, and never exits.
    const pids = join(work, 'hung-tesseract.pids');
    const hung = join(work, 'hung-tesseract');
    await writeFile(hung, `#!/bin/sh\nsleep 600 &\necho "$$ $!" > ${pids}\nwait\n`, { mode: 0o755 });
    const out = join(work, 'hung');
    await mkdir(out);
    const before = policies.ocr.timeoutMs;
    policies.ocr.timeoutMs = 1_000;
    let result;
    const started = Date.now();
    try {
      result = await makePageDerivatives({ sourcePath: tif, jp2Path: join(work, 'none.jp2') }, out, { ...opts, tesseractCommand: hung });
    } finally {
      policies.ocr.timeoutMs = before;
    }
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(result.ocr).toBe(false);
    expect(result.ocrProblem).toMatch(/^Tesseract did not finish in time and was stopped \(time-out 1 s, OCR policy; if it needs longer, raise ISLANDORA_OCR_TIMEOUT in settings\.ini\)/);
    // The fault fired (the stand-in ran), and it and its child were killed with it.
    const [script, child] = (await readFile(pids, 'utf8')).trim().split(' ').map(Number);
    expect(script).toBeGreaterThan(0);
    expect(child).toBeGreaterThan(0);
    // Gone (or a zombie waiting for a parent that no longer runs: no longer running either way).
    const running = async (pid: number) => !/^\d+ \(.*\) Z/.test(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => `${pid} (gone) Z`));
    await new Promise((r) => setTimeout(r, 200));
    expect(await running(script)).toBe(false);
    expect(await running(child)).toBe(false);
    expect((await readdir(out)).sort()).toEqual(['JP2.jp2', 'JPG.jpg', 'OBJ.jp2', 'TN.jpg']);
  }, 120_000);
});
