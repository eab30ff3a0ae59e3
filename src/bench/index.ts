/**
 * `npm run bench`: measures what the brief asks to be fast, on this machine, and prints one table.
 * Options: --quick (smaller inputs, for a smoke run), --only images|ocfl|s3|iiif|web|run, and
 * --encoder vips|opj|kakadu to measure the images with another JPEG 2000 encoder.
 */
import type { BenchRow } from './types.js';

type BenchOptions = { quick: boolean; settings?: Record<string, string> };

const sections: Record<string, () => Promise<(opts: BenchOptions) => Promise<BenchRow[]>>> = {
  images: async () => (await import('./images.js')).benchImages,
  ocfl: async () => (await import('./ocfl.js')).benchOcfl,
  s3: async () => (await import('./s3.js')).benchS3,
  iiif: async () => (await import('./iiif.js')).benchIiif,
  web: async () => (await import('./web.js')).benchWeb,
  run: async () => (await import('./run.js')).benchRun,
};

async function main(args: string[]): Promise<number> {
  const quick = args.includes('--quick');
  const onlyIdx = args.indexOf('--only');
  const only = onlyIdx >= 0 ? args[onlyIdx + 1]?.split(',') : undefined;
  const encoderIdx = args.indexOf('--encoder');
  const settings = encoderIdx >= 0 ? { JP2_ENCODER: args[encoderIdx + 1] ?? '' } : undefined;
  const rows: { section: string; row: BenchRow }[] = [];
  let failed = 0;
  for (const [section, load] of Object.entries(sections)) {
    if (only && !only.includes(section)) continue;
    process.stderr.write(`bench: ${section}…\n`);
    try {
      const run = await load();
      for (const row of await run({ quick, settings })) rows.push({ section, row });
    } catch (err) {
      failed++;
      rows.push({ section, row: { name: 'error', value: err instanceof Error ? err.message : String(err), ok: false } });
    }
  }
  const w = (f: (r: { section: string; row: BenchRow }) => string) => Math.max(...rows.map((r) => f(r).length), 4);
  const cols = [w((r) => r.section), w((r) => r.row.name), w((r) => r.row.value), w((r) => r.row.goal ?? '')];
  const line = (a: string, b: string, c: string, d: string, e: string) =>
    `${a.padEnd(cols[0])}  ${b.padEnd(cols[1])}  ${c.padStart(cols[2])}  ${d.padEnd(cols[3])}  ${e}`;
  console.log(line('part', 'measure', 'value', 'goal', ''));
  for (const { section, row } of rows) {
    console.log(line(section, row.name, row.value, row.goal ?? '', row.ok === undefined ? '' : row.ok ? 'met' : 'NOT MET'));
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
