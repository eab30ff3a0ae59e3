/**
 * BLAKE2b with any digest length from 1 to 64 bytes (RFC 7693). Node's crypto offers only the
 * 64-byte form (blake2b512), and a shorter BLAKE2b is not a truncation of it (the length is part
 * of the parameter block), so the fixity algorithms blake2b-160, -256 and -384 of OCFL extension
 * 0009 need this. Streaming, 64-bit words held as pairs of 32-bit halves.
 */
const IV = new Uint32Array([
  0xf3bcc908, 0x6a09e667, 0x84caa73b, 0xbb67ae85, 0xfe94f82b, 0x3c6ef372, 0x5f1d36f1, 0xa54ff53a,
  0xade682d1, 0x510e527f, 0x2b3e6c1f, 0x9b05688c, 0xfb41bd6b, 0x1f83d9ab, 0x137e2179, 0x5be0cd19,
]);

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];

export class Blake2b {
  private readonly h = new Uint32Array(16);
  private readonly v = new Uint32Array(32);
  /** The block being filled, and a view of it as 32 little-endian words (the message m). */
  private readonly buf = new Uint8Array(128);
  private readonly m = new Uint32Array(this.buf.buffer);
  private bufLen = 0;
  /** Bytes compressed so far (the counter t), below 2^53 in practice. */
  private t = 0;

  constructor(private readonly outLen: number) {
    if (!Number.isInteger(outLen) || outLen < 1 || outLen > 64) throw new Error(`BLAKE2b digest length ${outLen} is not 1…64 bytes.`);
    this.h.set(IV);
    this.h[0] ^= 0x01010000 ^ outLen; // parameter block: digest length, no key, fanout 1, depth 1
  }

  update(data: Uint8Array): this {
    let off = 0;
    while (off < data.length) {
      if (this.bufLen === 128) {
        this.t += 128;
        this.compress(false);
        this.bufLen = 0;
      }
      const n = Math.min(128 - this.bufLen, data.length - off);
      this.buf.set(data.subarray(off, off + n), this.bufLen);
      this.bufLen += n;
      off += n;
    }
    return this;
  }

  digest(encoding: 'hex'): string {
    this.t += this.bufLen;
    this.buf.fill(0, this.bufLen);
    this.compress(true);
    const out = Buffer.alloc(64);
    for (let i = 0; i < 16; i++) out.writeUInt32LE(this.h[i], i * 4);
    return out.subarray(0, this.outLen).toString(encoding);
  }

  private compress(last: boolean): void {
    const { v, m, h } = this;
    for (let i = 0; i < 16; i++) {
      v[i] = h[i];
      v[i + 16] = IV[i];
    }
    v[24] ^= this.t >>> 0;
    v[25] ^= Math.floor(this.t / 0x100000000);
    if (last) {
      v[28] = ~v[28];
      v[29] = ~v[29];
    }
    if (!LITTLE_ENDIAN) for (let i = 0; i < 32; i++) m[i] = new DataView(this.buf.buffer).getUint32(i * 4, true);
    for (let r = 0; r < 12; r++) {
      const s = SIGMA[r % 10];
      G(v, m, 0, 8, 16, 24, s[0], s[1]);
      G(v, m, 2, 10, 18, 26, s[2], s[3]);
      G(v, m, 4, 12, 20, 28, s[4], s[5]);
      G(v, m, 6, 14, 22, 30, s[6], s[7]);
      G(v, m, 0, 10, 20, 30, s[8], s[9]);
      G(v, m, 2, 12, 22, 24, s[10], s[11]);
      G(v, m, 4, 14, 16, 26, s[12], s[13]);
      G(v, m, 6, 8, 18, 28, s[14], s[15]);
    }
    for (let i = 0; i < 16; i++) h[i] ^= v[i] ^ v[i + 16];
  }
}

/** v[a] += v[b] + m[x] (64-bit, a, b even indexes of low halves). */
function add3(v: Uint32Array, a: number, b: number, mlo: number, mhi: number): void {
  const lo = v[a] + v[b];
  let hi = v[a + 1] + v[b + 1] + (lo >= 0x100000000 ? 1 : 0);
  const lo2 = (lo >>> 0) + mlo;
  hi += mhi + (lo2 >= 0x100000000 ? 1 : 0);
  v[a] = lo2;
  v[a + 1] = hi;
}

/** v[d] = rotr64(v[d] ^ v[a], n). */
function xorRot(v: Uint32Array, d: number, a: number, n: number): void {
  const xl = v[d] ^ v[a];
  const xh = v[d + 1] ^ v[a + 1];
  if (n === 32) {
    v[d] = xh;
    v[d + 1] = xl;
  } else if (n < 32) {
    v[d] = (xl >>> n) | (xh << (32 - n));
    v[d + 1] = (xh >>> n) | (xl << (32 - n));
  } else {
    const k = n - 32;
    v[d] = (xh >>> k) | (xl << (32 - k));
    v[d + 1] = (xl >>> k) | (xh << (32 - k));
  }
}

/** v[a] += v[b] (64-bit). */
function add2(v: Uint32Array, a: number, b: number): void {
  const lo = v[a] + v[b];
  v[a + 1] = v[a + 1] + v[b + 1] + (lo >= 0x100000000 ? 1 : 0);
  v[a] = lo;
}

function G(v: Uint32Array, m: Uint32Array, a: number, b: number, c: number, d: number, ix: number, iy: number): void {
  add3(v, a, b, m[ix * 2], m[ix * 2 + 1]);
  xorRot(v, d, a, 32);
  add2(v, c, d);
  xorRot(v, b, c, 24);
  add3(v, a, b, m[iy * 2], m[iy * 2 + 1]);
  xorRot(v, d, a, 16);
  add2(v, c, d);
  xorRot(v, b, c, 63);
}
