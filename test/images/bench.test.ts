// Runs the real image benchmark at its --quick size, once: every row has a measured value.
import { describe, expect, it } from 'vitest';
import { benchImages } from '../../src/bench/images.js';

describe('benchImages --quick', () => {
  it('measures encode, verifying decode, convert step, the original\'s way, exiftool and memory', async () => {
    const rows = await benchImages({ quick: true, runs: 1 });
    console.log(rows.map((r) => `${r.name}: ${r.value} ${r.goal ?? ''} ${r.ok === undefined ? '' : r.ok ? 'met' : 'NOT MET'}`).join('\n'));
    const names = rows.map((r) => r.name);
    for (const d of [8, 16]) {
      for (const n of ['bare JP2 encode per image', 'bare verifying decode per image', 'convert step per image', "the original's way per image, one after another"]) {
        expect(names).toContain(`images ${d}-bit: ${n}`);
        expect(rows.find((r) => r.name === `images ${d}-bit: ${n}`)?.value).toMatch(/^\d+\.\d\d s$/);
      }
      expect(rows.find((r) => r.name === `images ${d}-bit: convert step / (bare encode + bare decode)`)?.goal).toBe('≤ 1.05');
      expect(rows.find((r) => r.name === `images ${d}-bit: convert step / the original's way`)?.goal).toBe('≤ 0.25');
    }
    expect(rows.find((r) => r.name === 'exiftool: warm pool speed-up')?.value).toMatch(/^\d+\.\d×$/);
    expect(rows.find((r) => r.name.startsWith('images: peak memory'))?.value).toMatch(/^[1-9]\d* MB$/);
  }, 180_000);
});
