/**
 * Technical facts of a JP2 file, read from its boxes and codestream markers (SIZ, COD, QCD) the
 * way jpylyzer reports them, and the ArchivesSpace strings the original built from them.
 */
import { open } from 'node:fs/promises';

export interface Jp2Technical {
  width: number;
  height: number;
  /** jpylyzer's `rsiz`, e.g. "ISO/IEC 15444-1". */
  standard: string;
  /** "5-3 reversible" or "9-7 irreversible". */
  transformation: string;
  /** "no quantization", "scalar derived" or "scalar expounded". */
  quantization: string;
  /** ArchivesSpace `file_format_version`, as the original wrote it. */
  fileFormatVersion: string;
  /** ArchivesSpace `caption`, as the original wrote it. */
  caption: string;
}

// The headers we need sit in the first few kilobytes; XMP written by exiftool may come before the codestream.
const HEAD_BYTES = 1 << 20;

export async function jp2Technical(path: string): Promise<Jp2Technical> {
  const fh = await open(path, 'r');
  let buf: Buffer;
  try {
    const size = (await fh.stat()).size;
    buf = Buffer.alloc(Math.min(size, HEAD_BYTES));
    await fh.read(buf, 0, buf.length, 0);
  } finally {
    await fh.close();
  }
  const cs = findCodestream(buf, path);
  return parseCodestream(cs, path);
}

function findCodestream(buf: Buffer, path: string): Buffer {
  if (buf.length >= 4 && buf.readUInt32BE(0) === 0xff4fff51) return buf; // bare J2K codestream
  if (buf.length < 12 || buf.subarray(4, 8).toString('latin1') !== 'jP  ') throw new Error(`${path} is not a JPEG 2000 (JP2) file`);
  let off = 0;
  while (off + 8 <= buf.length) {
    let len = buf.readUInt32BE(off);
    const type = buf.subarray(off + 4, off + 8).toString('latin1');
    let header = 8;
    if (len === 1) { len = Number(buf.readBigUInt64BE(off + 8)); header = 16; }
    if (type === 'jp2c') return buf.subarray(off + header);
    if (len === 0) break;
    off += len;
  }
  throw new Error(`${path}: no codestream box found in the first ${HEAD_BYTES} bytes`);
}

const RSIZ: Record<number, string> = {
  0: 'ISO/IEC 15444-1', 1: 'Profile 0', 2: 'Profile 1', 3: 'DCI 2K', 4: 'DCI 4K',
};

function standardOf(rsiz: number): string {
  if (rsiz & 0x8000) return 'ISO/IEC 15444-2';
  return RSIZ[rsiz] ?? `ISO/IEC 15444-1 (Rsiz ${rsiz})`;
}

const QUANT = ['no quantization', 'scalar derived', 'scalar expounded'];

function parseCodestream(cs: Buffer, path: string): Jp2Technical {
  if (cs.readUInt16BE(0) !== 0xff4f) throw new Error(`${path}: codestream does not start with SOC`);
  let off = 2;
  let siz: { rsiz: number; width: number; height: number } | undefined;
  let transformation: string | undefined;
  let quantization: string | undefined;
  while (off + 4 <= cs.length) {
    const marker = cs.readUInt16BE(off);
    if (marker === 0xff90 || marker === 0xff93 || marker === 0xffd9) break; // SOT, SOD, EOC: main header is over
    const len = cs.readUInt16BE(off + 2);
    const seg = cs.subarray(off + 4, off + 2 + len);
    if (marker === 0xff51) {
      const rsiz = seg.readUInt16BE(0);
      const xsiz = seg.readUInt32BE(2), ysiz = seg.readUInt32BE(6), xo = seg.readUInt32BE(10), yo = seg.readUInt32BE(14);
      siz = { rsiz, width: xsiz - xo, height: ysiz - yo };
    } else if (marker === 0xff52) {
      // Scod(1) progression(1) layers(2) mct(1) levels(1) cbw(1) cbh(1) cbstyle(1) transformation(1)
      transformation = seg[9] === 1 ? '5-3 reversible' : '9-7 irreversible';
    } else if (marker === 0xff5c) {
      quantization = QUANT[seg[0] & 0x1f] ?? `unknown (${seg[0] & 0x1f})`;
    }
    off += 2 + len;
  }
  if (!siz || !transformation || !quantization) throw new Error(`${path}: codestream main header lacks SIZ, COD or QCD`);
  const standard = standardOf(siz.rsiz);
  const { width, height } = siz;
  let caption = `width: ${width}; height: ${height}`;
  let fileFormatVersion = standard;
  if (transformation === '5-3 reversible' && quantization === 'no quantization') {
    caption += '; compression: lossless';
    fileFormatVersion += '; lossless (wavelet transformation: 5/3 reversible with no quantization)';
  } else if (transformation === '9-7 irreversible' && quantization === 'scalar expounded') {
    caption += '; compression: lossy';
    fileFormatVersion += '; lossy (wavelet transformation: 9/7 irreversible with scalar expounded quantization)';
  }
  return { width, height, standard, transformation, quantization, fileFormatVersion, caption };
}
