/**
 * The report process on real files (TIFFs written by sharp, a corrupt one, a JPEG named .tif) and
 * the ArchivesSpace stand-in (src/archivesspace/standin). It must list every problem and change
 * nothing: the stand-in's records and the file tree are compared before and after.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchivesSpaceClient } from '../../src/archivesspace/client.js';
import { buildSeed, demoSeed, startArchivesSpaceStandIn, type StandInHandle } from '../../src/archivesspace/standin/index.js';
import { writeSampleScan } from '../../src/demo/sampleScans.js';
import { runOnce } from '../../src/alchemist/worker.js';
import { DistillProcessor } from '../../src/distill/processor.js';
import { silentLogger } from '../../src/log.js';
import { reportCommand } from '../../src/report/cli.js';
import { StatusFolder } from '../../src/runs/statusFolder.js';
import { buildReport } from '../../src/report/report.js';
import { renderReportText } from '../../src/report/render.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';
let root: string;
let s: StandInHandle;
let client: ArchivesSpaceClient;
const C = 'RPT';
const coll = () => join(root, C);

/** Every file and folder with size and mtime, to prove the report wrote nothing. */
function snapshotTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      const st = statSync(p);
      out.push(`${p} ${e.isDirectory() ? 'dir' : st.size} ${st.mtimeMs}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'report-'));
  const scan = (folder: string, n: number, seed: number) => writeSampleScan(join(coll(), folder, `${folder}_${String(n).padStart(4, '0')}.tif`), { width: 64, height: 48, seed });
  await scan('RPT_001_01', 1, 1);
  await scan('RPT_001_01', 2, 2);
  writeFileSync(join(coll(), 'RPT_001_01', 'notes.txt'), 'scanner notes');
  await scan('RPT_001_02', 1, 3);
  await scan('RPT_001_02', 2, 4);
  truncateSync(join(coll(), 'RPT_001_02', 'RPT_001_02_0002.tif'), 600); // corrupt: pixels cut off
  writeFileSync(join(coll(), 'RPT_001_02', 'RPT_001_02_0003.tif'), await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } }).jpeg().toBuffer());
  await scan('RPT_001_03', 1, 5); // no archival object
  mkdirSync(join(coll(), 'RPT_001_04')); // empty
  await scan('RPT_001_05', 1, 6); // already has a digital object with one component
  await scan('RPT_001_05', 2, 7);

  await scan('RPT_001_06', 1, 8); // a digital object with its id exists, linked to the series instead

  const seed = buildSeed({ collectionId: C, title: 'Report Collection', folders: ['RPT_001_01', 'RPT_001_02', 'RPT_001_04', 'RPT_001_05', 'RPT_001_06'] });
  seed.repositories[0].digital_objects = [
    { digital_object_id: 'RPT_001_05', title: 'Folder RPT_001_05', components: [{ component_id: 'abcd_efgh', label: 'Image 0001', file_versions: [{ file_uri: 's3://x/1.jp2' }] }] },
    { digital_object_id: 'RPT_001_06', title: 'Misfiled' },
  ];
  seed.repositories[0].resources![0].children![0].digital_object = 'RPT_001_06';
  const ao5 = seed.repositories[0].resources![0].children![0].children!.find((c) => c.component_id === 'RPT_001_05')!;
  ao5.digital_object = 'RPT_001_05';
  s = await startArchivesSpaceStandIn({ seed });
  client = new ArchivesSpaceClient({ baseUrl: s.url, username: 'admin', password: 'admin', repositoryId: 2, staffUrl: 'https://staff.example.edu' });
});
afterAll(async () => {
  await s?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('buildReport', () => {
  it('lists every problem, folder by folder, and writes nothing anywhere', async () => {
    const recordsBefore = JSON.stringify(s.state.toSnapshot().records);
    const treeBefore = snapshotTree(root);
    const logStart = s.state.requestLog.length;

    const report = await buildReport({ collectionId: C, collectionPath: coll(), aspace: client, processes: ['report', 'cloud'] });

    expect(JSON.stringify(s.state.toSnapshot().records)).toBe(recordsBefore);
    expect(snapshotTree(root)).toEqual(treeBefore);
    const writes = s.state.requestLog.slice(logStart).filter((r) => r.method !== 'GET');
    expect(writes.every((r) => r.path.endsWith('/login'))).toBe(true);

    const msgs = report.problems.map((p) => `${p.path.slice(coll().length + 1)} | ${p.message}`);
    expect(msgs).toEqual([
      expect.stringMatching(/^RPT_001_02\/RPT_001_02_0002\.tif \| RPT_001_02_0002\.tif is not a readable TIFF \(.*corrupt.*\); a run would fail this image\.$/),
      'RPT_001_02/RPT_001_02_0003.tif | RPT_001_02_0003.tif is not a readable TIFF (not a TIFF (JPEG data)); a run would fail this image.',
      'RPT_001_03 | RPT_001_03: No records found with component_id: RPT_001_03. Give the folder\'s archival object this Component Unique Identifier in ArchivesSpace, or rename the folder.',
      'RPT_001_04 | Folder "RPT_001_04" is empty and is skipped.',
      expect.stringMatching(
        /^RPT_001_06 \| Digital object RPT_001_06 \(\/repositories\/2\/digital_objects\/\d+\) is linked to \/repositories\/2\/archival_objects\/\d+, not to this folder's archival object; a run would stop on this folder\.$/,
      ),
    ]);
    expect(report.totals).toEqual({ folders: 5, images: 9, readableImages: 7, bytes: expect.any(Number), problems: 5 });

    const [f1, f2, f3, f5, f6] = report.folders;
    expect(f6.digitalObject).toMatchObject({ digitalObjectId: 'RPT_001_06', linked: false });
    expect(f1).toMatchObject({
      name: 'RPT_001_01',
      componentId: 'RPT_001_01',
      images: 2,
      archivalObject: { title: 'Folder RPT_001_01', level: 'file', staffUrl: expect.stringMatching(/^https:\/\/staff\.example\.edu\/resolve\/readonly\?uri=\/repositories\/2\/archival_objects\/\d+$/) },
      preservedAsIs: ['notes.txt'],
      wouldCreate: { digitalObject: true, components: 3, byProcess: [{ process: 'cloud', what: expect.stringContaining('2 images as lossless JPEG 2000 in an OCFL object version sent to S3') }] },
    });
    expect(f1.arrangement).toMatchObject({ collectionId: C, seriesId: '1' });
    expect(f2.wouldCreate.components).toBe(1);
    expect(f3.archivalObject).toBeUndefined();
    expect(f3.wouldCreate).toEqual({ digitalObject: false, components: 0, byProcess: [] });
    expect(f5.digitalObject).toMatchObject({ digitalObjectId: 'RPT_001_05', linked: true, components: [{ componentId: 'abcd_efgh', label: 'Image 0001', fileVersions: 1 }] });
    expect(f5.wouldCreate).toMatchObject({ digitalObject: false, components: 1 });
  });

  it('renders a readable table with the problems first', async () => {
    const report = await buildReport({ collectionId: C, collectionPath: coll(), aspace: client, processes: [] });
    const text = renderReportText(report);
    const lines = text.split('\n');
    expect(lines[0]).toBe('📋 Report on available files: RPT — Report Collection');
    expect(lines[2]).toMatch(/^ {3}5 folders, 9 images \(7 readable\), [\d.]+ KB; 5 problems\. Nothing was changed\.$/);
    expect(text.indexOf('⚠️ Problems (5)')).toBeLessThan(text.indexOf('Folder  '));
    expect(text).toContain('   📄 preserved as it is (with a component each): notes.txt');
    expect(text).toMatch(/RPT_001_06\s+1\s+[\d.]+ KB\s+Folder RPT_001_06 \(file\)\s+RPT_001_06 \(unlinked\), 0 components/);
    expect(text).toMatch(/RPT_001_01\s+2\s+[\d.]+ KB\s+Folder RPT_001_01 \(file\)\s+—\s+digital object, 3 components/);
    expect(text).toMatch(/RPT_001_03\s+1\s+[\d.]+ KB\s+— not found/);
    expect(text).toMatch(/RPT_001_05\s+2\s+[\d.]+ KB\s+Folder RPT_001_05 \(file\)\s+RPT_001_05, 1 component\s+1 component/);
    // With no destination chosen, all three are described.
    expect(text).toContain('   onsite: 2 images as lossless JPEG 2000 written to LTO tape');
    expect(text).toContain('   access: an access copy of 2 pages');
  });

  it('reports a collection ArchivesSpace does not know, and a missing folder', async () => {
    const report = await buildReport({ collectionId: 'NOPE', collectionPath: join(root, 'NOPE'), aspace: client, processes: [] });
    expect(report.problems.map((p) => p.message)).toEqual([
      'No collection found in ArchivesSpace with the ID: NOPE. Check the collection ID against the resource\'s identifier (and ASPACE_REPOSITORY_ID).',
      expect.stringMatching(/^The collection folder .*NOPE does not exist\./),
    ]);
    expect(report.folders).toEqual([]);
  });
});

describe('distillery report', () => {
  it('reports on the demo collection, as text and as JSON', async () => {
    const demo = await startArchivesSpaceStandIn({ seed: demoSeed() });
    const stage = mkdtempSync(join(tmpdir(), 'report-demo-'));
    try {
      for (const [folder, n] of [['DEMO_001_01', 3], ['DEMO_001_02', 2], ['DEMO_002_01', 3]] as const) {
        for (let i = 1; i <= n; i++) await writeSampleScan(join(stage, 'DEMO', folder, `${folder}_000${i}.tif`), { width: 40, height: 30, seed: i });
      }
      const aspace = new ArchivesSpaceClient({ baseUrl: demo.url, username: 'admin', password: 'admin', repositoryId: 2 });
      const out: string[] = [];
      const code = await reportCommand(['DEMO'], { aspace, collectionsRoots: [join(stage, 'missing'), stage], out: (t) => out.push(t) });
      expect(code).toBe(0);
      expect(out[0]).toContain('📋 Report on available files: DEMO — Demonstration Collection');
      expect(out[0]).toContain('✅ No problems found.');
      expect(out[0]).toMatch(/DEMO_002_01\s+3\s+[\d.]+ KB\s+Wind tunnel, 1931 \(file\)/);
      expect(out[0]).toContain('in Demonstration Collection / series 2: Photographs / subseries 1: Laboratory');

      const json: string[] = [];
      expect(await reportCommand(['DEMO', '--json', '--processes', 'cloud'], { aspace, collectionsRoots: [stage], out: (t) => json.push(t) })).toBe(0);
      const parsed = JSON.parse(json[0]);
      expect(parsed.folders.map((f: { componentId: string }) => f.componentId)).toEqual(['DEMO_001_01', 'DEMO_001_02', 'DEMO_002_01']);
      expect(parsed.totals.images).toBe(8);
      expect(parsed.processes).toEqual(['cloud']);
    } finally {
      await demo.close();
      rmSync(stage, { recursive: true, force: true });
    }
  });

  it('exits 2 when there are problems and 1 with a clear message on bad input', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const deps = { aspace: client, collectionsRoots: [root], out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    expect(await reportCommand([C], deps)).toBe(2);
    expect(await reportCommand(['bad/id'], deps)).toBe(1);
    expect(err.at(-1)).toBe('"bad/id" is not a collection ID: use letters, digits and - . ~ _ only, as in ArchivesSpace.');
    expect(await reportCommand(['ZZZ'], deps)).toBe(1);
    expect(err.at(-1)).toBe(`No folder named ZZZ in ${root} (case matters). Check the collection ID, or give the folder with --path.`);
    expect(await reportCommand([C, '--processes', 'cloud,fax'], deps)).toBe(1);
    expect(err.at(-1)).toBe('Unknown process fax: choose among cloud, onsite, access.');
    expect(await reportCommand([], deps)).toBe(1);
    expect(err.at(-1)).toMatch(/^Usage: distillery report <collection>/);
  });

  it('the form\'s report process keeps the report with the run, moves nothing and writes nothing in ArchivesSpace', async () => {
    const demo = await startArchivesSpaceStandIn({ seed: demoSeed() });
    const base = mkdtempSync(join(tmpdir(), 'report-run-'));
    try {
      const folders = { stage1: join(base, 'stage1'), stage2: join(base, 'stage2'), stage3: join(base, 'stage3') };
      for (const f of Object.values(folders)) mkdirSync(f, { recursive: true });
      for (const [folder, n] of [['DEMO_001_01', 2], ['DEMO_002_01', 1]] as const) {
        for (let i = 1; i <= n; i++) await writeSampleScan(join(folders.stage1, 'DEMO', folder, `${folder}_000${i}.tif`), { width: 40, height: 30, seed: i });
      }
      const aspace = new ArchivesSpaceClient({ baseUrl: demo.url, username: 'admin', password: 'admin', repositoryId: 2 });
      // The processor as src/wiring.ts builds it, with only the report available.
      const processor = new DistillProcessor({
        aspace: () => aspace,
        destination: () => 'not configured in this test',
        tools: async () => { throw new Error('a report-only run must not open the image tools'); },
        preservationDir: join(base, 'preservation'),
        report: async ({ collectionId, collectionPath, aspace: a, processes }) => {
          const report = await buildReport({ collectionId, collectionPath, aspace: a as ArchivesSpaceClient, processes });
          return { text: renderReportText(report), data: report, problems: report.problems.length };
        },
      });
      const status = new StatusFolder(join(base, 'status'));
      const recordsBefore = JSON.stringify(demo.state.toSnapshot().records);
      const treeBefore = snapshotTree(folders.stage1);
      await status.requestRun({ collectionId: 'DEMO', processes: ['report'], user: { email: 'archivist@example.edu', name: 'Ada Archivist' } });
      await runOnce({ status, folders, processor, log: silentLogger, staleClaimMs: 600_000 });

      const [run] = await status.archived('DEMO');
      expect(run.record!.state).toBe('succeeded');
      const text = run.record!.attachments?.reportText as string;
      expect(text).toContain('📋 Report on available files: DEMO — Demonstration Collection');
      expect(text).toMatch(/DEMO_001_01\s+2\s+[\d.]+ KB/);
      expect((run.record!.attachments?.report as { totals: { images: number } }).totals.images).toBe(3);
      expect(readFileSync(join(status.dir, run.log), 'utf8')).toContain('Report on available files: DEMO');
      expect(snapshotTree(folders.stage1)).toEqual(treeBefore);
      expect(readdirSync(folders.stage2)).toEqual([]);
      expect(JSON.stringify(demo.state.toSnapshot().records)).toBe(recordsBefore);
    } finally {
      await demo.close();
      rmSync(base, { recursive: true, force: true });
    }
  });
});
