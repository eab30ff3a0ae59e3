/**
 * The report as plain text (status stream, run log, command line) and as JSON. Plain text only:
 * the status page escapes it and shows it in a monospace block.
 */
import { basename } from 'node:path';
import type { Report, ReportFolder } from './report.js';

export function renderReportText(report: Report): string {
  const out: string[] = [];
  const title = report.collection ? `${report.collectionId} — ${report.collection.title}` : report.collectionId;
  out.push(`📋 Report on available files: ${title}`);
  if (report.collection) out.push(`   ArchivesSpace: ${report.collection.staffUrl}`);
  const t = report.totals;
  out.push(
    `   ${t.folders} folder${t.folders === 1 ? '' : 's'}, ${t.images} image${t.images === 1 ? '' : 's'} (${t.readableImages} readable), ${formatBytes(t.bytes)}; ` +
      `${t.problems} problem${t.problems === 1 ? '' : 's'}. Nothing was changed.`,
  );
  out.push('');
  if (report.problems.length > 0) {
    out.push(`⚠️ Problems (${report.problems.length})`);
    for (const p of report.problems) out.push(`  - ${relative(p.path, report.collectionPath)}: ${p.message}`);
    out.push('');
  } else {
    out.push('✅ No problems found.');
    out.push('');
  }
  if (report.folders.length > 0) {
    const rows = report.folders.map(row);
    const header = ['Folder', 'Images', 'Size', 'Archival object', 'Digital object', 'Would create'];
    out.push(...table([header, ...rows]));
    out.push('');
    for (const f of report.folders) out.push(...details(f));
  }
  return out.join('\n').replace(/\n+$/, '');
}

export function renderReportJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function row(f: ReportFolder): string[] {
  const ao = f.archivalObject ? `${truncate(f.archivalObject.title || f.archivalObject.displayString, 40)} (${f.archivalObject.level})` : '— not found';
  const d = f.digitalObject
    ? `${f.digitalObject.digitalObjectId}${f.digitalObject.linked ? '' : ' (unlinked)'}, ${f.digitalObject.components.length} component${f.digitalObject.components.length === 1 ? '' : 's'}`
    : '—';
  const create: string[] = [];
  if (f.wouldCreate.digitalObject) create.push('digital object');
  if (f.wouldCreate.components > 0) create.push(`${f.wouldCreate.components} component${f.wouldCreate.components === 1 ? '' : 's'}`);
  const images = f.unreadable.length > 0 ? `${f.images} (${f.unreadable.length} bad)` : String(f.images);
  return [f.name, images, formatBytes(f.bytes), ao, d, f.archivalObject ? create.join(', ') || 'nothing new' : '—'];
}

function details(f: ReportFolder): string[] {
  const out = [`📁 ${f.name} (component id ${f.componentId})`];
  if (f.archivalObject) {
    const a = f.archivalObject;
    out.push(`   ${a.displayString} · ${a.level}${a.dates.length ? ` · ${a.dates.join(', ')}` : ''}`);
    out.push(`   ${a.staffUrl}`);
  }
  if (f.arrangement) {
    const arr = f.arrangement;
    const path = [arr.collectionDisplay, arr.seriesDisplay && `series ${arr.seriesId}: ${arr.seriesDisplay}`, arr.subseriesDisplay && `subseries ${arr.subseriesId}: ${arr.subseriesDisplay}`].filter(Boolean);
    out.push(`   in ${path.join(' / ')}`);
  }
  if (f.digitalObject) out.push(`   digital object: ${f.digitalObject.staffUrl}`);
  for (const p of f.wouldCreate.byProcess) out.push(`   ${p.process}: ${p.what}`);
  if (f.preservedAsIs?.length) out.push(`   📄 preserved as it is (with a component each): ${f.preservedAsIs.join(', ')}`);
  if (f.junk?.length) out.push(`   🗑️ skipped as system junk (JUNK_FILES): ${f.junk.join(', ')}`);
  if (f.originalS3) {
    const gb = f.bytes / 1e9;
    out.push(
      `   ☁️ the original Distillery's S3 copies: ${f.originalS3.copies} (${formatBytes(f.originalS3.bytes)}). ORIGINAL_S3_COPIES=keep uploads nothing for this folder; ` +
        `repackage adds a second copy of about ${formatBytes(f.bytes)} (≈ $${(gb * 0.00099).toFixed(4)} a month in Deep Archive) until the original's keys are deleted.`,
    );
  }
  for (const p of f.problems) out.push(`   ⚠️ ${p}`);
  out.push('');
  return out;
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

function truncate(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

function relative(path: string, root: string): string {
  if (path === root) return basename(root);
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}
