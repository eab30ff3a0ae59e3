/**
 * What of a collection is preserved, where, and since when — built only from Distillery's own
 * records: the run records (each folder's result per step, with where the copy is), the OCFL
 * inventories (versions, dates, who ran them, every file and its digest) and the tape catalogue
 * (which verified tape file holds which file), the last audit (`audits/<C>.json`) and the
 * preservation network's record (`network/<C>.json`). Never parsed from log text.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { auditRecordOf, type AuditRecord, type CopyName, type Finding, type ItemState } from '../audit/records.js';
import { networkRecordOf, type VersionInNetwork } from '../destinations/network/records.js';
import type { Catalogue } from '../destinations/tape/catalogue.js';
import { loadCatalogue } from '../destinations/tape/catalogue.js';
import { objectPath, readInventory, stateOf } from '../ocfl/index.js';
import type { StatusFolder } from '../runs/statusFolder.js';
import type { CoreSettings } from '../settings/settings.js';

export interface FileCopies {
  /** Logical path in the OCFL object's head version. */
  path: string;
  sha512: string;
  /** Content path inside the object. */
  contentPath?: string;
  local: boolean;
  s3?: { bucket: string; key: string; storageClass?: string; verifiedAt: string };
  tape?: { indicator: string; file: number; verifiedAt?: string }[];
  /**
   * What the last audit found for this file, per copy it checked (a copy it did not read, e.g. a
   * released local file or a tape file not due yet, is left out), and each problem with what to do.
   */
  audit?: { at: string; copies: Partial<Record<CopyName, ItemState>>; problems: Finding[] };
}

/** The last audit of the collection (all its objects), for the page's summary. */
export interface AuditSummary {
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  copies: { copy: CopyName; checked: number; intact: number; notes: string[] }[];
  /** How many problems it found in all. */
  problems: number;
}

export interface FolderOverview {
  name: string;
  images: number;
  archivalObject?: string;
  digitalObject?: string;
  objectId?: string;
  versions: { version: string; created: string; user?: string; message?: string }[];
  files: FileCopies[];
  access?: { url: string; pages?: number; verifiedAt: string };
  /** The last audit of the folder's object: when, and every problem found in any copy (none: all intact). */
  audit?: { at: string; ok: boolean; problems: Finding[] };
  /** The preservation network's state of each version of the folder's object (DEPRECATED ones too, as `g<n>/<version>`). */
  network?: ({ version: string } & VersionInNetwork)[];
  /** The newest run that touched the folder, and its result per step. */
  lastRun?: { log: string; finishedAt?: string; steps: Record<string, string> };
  problems: string[];
}

export interface CollectionOverview {
  collectionId: string;
  runs: number;
  lastRunAt?: string;
  /** The collection's last audit; absent when it was never audited. */
  audit?: AuditSummary;
  folders: FolderOverview[];
}

export interface OverviewSources {
  status: StatusFolder;
  /** The local OCFL storage root; without it the overview has the run records only. */
  storageRoot?: string;
  tapeCatalogue?: string;
  /** Storage class the cloud process gives payload files (S3_STORAGE_CLASS). */
  storageClass?: string;
}

/** Where the overview's records are, from the settings every process reads. */
export function overviewSourcesOf(core: Pick<CoreSettings, 'folders' | 'modules'> & { reader?: { raw(key: string): string | undefined } }): Omit<OverviewSources, 'status'> {
  const catalogue = core.modules.onsite === 'tape' ? core.reader?.raw('TAPE_CATALOGUE') ?? join(core.folders.statusFiles, 'tape-catalogue.json') : undefined;
  return { storageRoot: join(core.folders.preservation, 'ocfl'), tapeCatalogue: catalogue, storageClass: core.reader?.raw('S3_STORAGE_CLASS') ?? (core.modules.cloud ? 'DEEP_ARCHIVE' : undefined) };
}

export async function collectionOverview(collectionId: string, src: OverviewSources): Promise<CollectionOverview> {
  const runs = (await src.status.archived(collectionId)).filter((r) => r.record).reverse(); // oldest first
  const folders = new Map<string, FolderOverview & { s3Keys?: { bucket: string; keys: string[]; at: string; version?: string }; packaged?: string }>();
  for (const run of runs) {
    const record = run.record!;
    const at = record.finishedAt ?? record.startedAt ?? '';
    for (const f of record.folders ?? []) {
      const o = folders.get(f.name) ?? { name: f.name, images: f.images, versions: [], files: [], problems: [] };
      o.images = f.images || o.images;
      const s = f.steps;
      if (s.metadata?.where?.aspace) {
        o.archivalObject = s.metadata.where.aspace.archivalObject;
        o.digitalObject = s.metadata.where.aspace.digitalObject;
      }
      if (s.package?.state === 'done' && s.package.where?.ocfl) {
        o.objectId = s.package.where.ocfl.objectId;
        o.packaged = s.package.where.ocfl.version;
      }
      // The cloud step is done only when every file of the object's version is in the bucket and verified.
      if (s.cloud?.state === 'done' && s.cloud.where?.s3) o.s3Keys = { ...s.cloud.where.s3, at, ...(o.packaged ? { version: o.packaged } : {}) };
      if (s.access?.state === 'done' && s.access.where?.access) o.access = { url: s.access.where.access.url, pages: s.access.counts?.pages, verifiedAt: at };
      o.lastRun = { log: run.log, finishedAt: record.finishedAt, steps: Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.state])) };
      o.problems = Object.entries(s).filter(([, v]) => v.state === 'failed').map(([k, v]) => `${k}: ${v.why ?? 'failed'}`);
      folders.set(f.name, o);
    }
  }

  const catalogue: Catalogue | undefined = src.tapeCatalogue && existsSync(src.tapeCatalogue) ? await loadCatalogue(src.tapeCatalogue) : undefined;
  // A damaged audit or network record must not take the overview down: it says so instead.
  const recordProblems: string[] = [];
  const audit = await auditRecordOf(src.status.dir, collectionId).catch((e: Error) => void recordProblems.push(e.message));
  const network = await networkRecordOf(src.status.dir, collectionId).catch((e: Error) => void recordProblems.push(`The network record cannot be read (${e.message}).`));
  const out: FolderOverview[] = [];
  for (const o of [...folders.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const { s3Keys, packaged: _packaged, ...folder } = o;
    if (folder.objectId && src.storageRoot) {
      const inv = await readInventory(src.storageRoot, folder.objectId);
      if (!inv) {
        folder.problems.push(`OCFL object ${folder.objectId} is not in ${src.storageRoot}`);
      } else {
        folder.versions = Object.entries(inv.versions).map(([version, v]) => ({ version, created: v.created, user: v.user?.name, message: v.message }));
        const root = join(src.storageRoot, objectPath(folder.objectId));
        const objectRoot = objectPath(folder.objectId);
        const state = [...stateOf(inv)].map(([path, digest]) => ({ path, digest, contentPath: Object.entries(inv.manifest).find(([d]) => d.toLowerCase() === digest)?.[1]?.[0] }));
        const inBucket = s3Keys ? s3KeyOf(s3Keys, state.map((f) => f.contentPath).filter((c): c is string => c !== undefined)) : () => undefined;
        for (const { path, digest, contentPath } of state) {
          const key = contentPath && inBucket(contentPath);
          const tape = contentPath && catalogue ? tapeCopies(catalogue, `${objectRoot}/${contentPath}`) : [];
          const local = contentPath ? existsSync(join(root, contentPath)) : false;
          const audited = audit && contentPath ? fileAudit(audit, folder.objectId, objectRoot, contentPath, { local, s3: Boolean(key) }) : undefined;
          folder.files.push({
            path,
            sha512: digest,
            ...(contentPath ? { contentPath } : {}),
            local,
            ...(key && s3Keys ? { s3: { bucket: s3Keys.bucket, key, ...(src.storageClass ? { storageClass: src.storageClass } : {}), verifiedAt: s3Keys.at } } : {}),
            ...(tape.length ? { tape } : {}),
            ...(audited ? { audit: audited } : {}),
          });
        }
      }
    }
    if (folder.objectId && audit?.objects.includes(folder.objectId)) {
      const found = audit.findings.filter((f) => f.objectId === folder.objectId);
      folder.audit = { at: audit.finishedAt, ok: found.length === 0, problems: found };
    }
    const inNetwork = folder.objectId ? network?.objects[folder.objectId] : undefined;
    if (inNetwork) folder.network = Object.entries(inNetwork).map(([version, v]) => ({ version, ...v })).sort((a, b) => a.version.localeCompare(b.version, 'en', { numeric: true }));
    out.push(folder);
  }
  if (recordProblems.length && out[0]) out[0].problems.push(...recordProblems);
  const last = runs.at(-1)?.record;
  return {
    collectionId,
    runs: runs.length,
    ...(last?.finishedAt ? { lastRunAt: last.finishedAt } : {}),
    ...(audit ? { audit: { startedAt: audit.startedAt, finishedAt: audit.finishedAt, ok: audit.ok, copies: audit.copies, problems: audit.findings.length } } : {}),
    folders: out,
  };
}

/**
 * One file's state in the last audit, per copy: a finding names it (local and S3 by content path,
 * tape by its path in the storage root), or the copy was checked for the object and found it
 * intact. A copy the audit did not read for this file (released locally, not sent to S3, a tape
 * file not due this night, an S3 key that could not be asked) gets no state: nothing is claimed.
 */
function fileAudit(audit: AuditRecord, objectId: string, objectRoot: string, contentPath: string, has: { local: boolean; s3: boolean }): FileCopies['audit'] {
  if (!audit.objects.includes(objectId)) return undefined;
  const problems = audit.findings.filter((f) => f.objectId === objectId && (f.copy === 'tape' ? f.path === `${objectRoot}/${contentPath}` : f.path === contentPath));
  const copies: Partial<Record<CopyName, ItemState>> = {};
  const checked = (c: CopyName) => audit.copies.some((x) => x.copy === c && x.checked > 0);
  if (has.local && checked('local')) copies.local = 'intact';
  const key = `${objectRoot}/${contentPath}`;
  if (has.s3 && checked('s3') && !audit.copies.some((x) => x.copy === 's3' && x.notes.some((n) => n.includes(key)))) copies.s3 = 'intact';
  for (const f of problems) copies[f.copy] = f.state;
  return Object.keys(copies).length || problems.length ? { at: audit.finishedAt, copies, problems } : undefined;
}

/**
 * The S3 key of each content file the folder's last done cloud step verified: the keys it named
 * (its images), and the other files of the version it sent (folder and collection records), whose
 * keys share the images' object prefix. A file of a later version than the one sent has none.
 */
function s3KeyOf(sent: { keys: string[]; version?: string }, contentPaths: string[]): (contentPath: string) => string | undefined {
  let prefix: string | undefined;
  for (const cp of contentPaths) {
    const k = sent.keys.find((key) => key.endsWith(`/${cp}`));
    if (k) {
      prefix = k.slice(0, k.length - cp.length);
      break;
    }
  }
  const num = (v: string | undefined) => Number(/^v(\d+)/.exec(v ?? '')?.[1] ?? NaN);
  return (cp) => {
    const named = sent.keys.find((key) => key.endsWith(`/${cp}`));
    if (named) return named;
    if (prefix === undefined || !(num(cp) <= num(sent.version))) return undefined;
    return `${prefix}${cp}`;
  };
}

/** Verified tape files holding a path (relative to the storage root). */
function tapeCopies(cat: Catalogue, path: string): { indicator: string; file: number; verifiedAt?: string }[] {
  const out: { indicator: string; file: number; verifiedAt?: string }[] = [];
  for (const t of cat.tapes) {
    if (t.erasedAt) continue;
    for (const f of t.files) {
      if (f.state !== 'verified') continue;
      if (f.objects.some((o) => o.files.some((x) => x.path === path))) out.push({ indicator: t.indicator, file: f.number, ...(f.verifiedAt ? { verifiedAt: f.verifiedAt } : {}) });
    }
  }
  return out;
}

/** The overview as text for the command line. */
export function renderOverviewText(o: CollectionOverview): string {
  const lines: string[] = [`${o.collectionId}: ${o.folders.length} folder${o.folders.length === 1 ? '' : 's'}, ${o.runs} run${o.runs === 1 ? '' : 's'}${o.lastRunAt ? `, last ended ${o.lastRunAt}` : ''}`];
  if (o.audit) lines.push(`Last audit ${o.audit.finishedAt}: ${o.audit.ok ? 'every copy checked is intact' : `${o.audit.problems} problem${o.audit.problems === 1 ? '' : 's'}`} (${o.audit.copies.map((c) => `${c.copy} ${c.intact}/${c.checked}`).join(', ')})`);
  else lines.push('Never audited: `distillery audit ' + o.collectionId + '` checks every copy.');
  if (o.folders.length === 0) lines.push('  No run has recorded a folder of this collection yet.');
  for (const f of o.folders) {
    lines.push('', `${f.name} (${f.images} image${f.images === 1 ? '' : 's'})`);
    if (f.archivalObject) lines.push(`  archival object  ${f.archivalObject}`);
    if (f.digitalObject) lines.push(`  digital object   ${f.digitalObject}`);
    lines.push(`  OCFL object      ${f.objectId ?? '(not packaged)'}`);
    for (const v of f.versions) lines.push(`    ${v.version}  ${v.created}  ${v.user ?? ''}`.trimEnd());
    if (f.access) lines.push(`  access           ${f.access.url}${f.access.pages ? ` (${f.access.pages} pages)` : ''}`);
    for (const file of f.files) {
      const where = [file.local ? 'local' : '', file.s3 ? `s3://${file.s3.bucket}/${file.s3.key}${file.s3.storageClass ? ` ${file.s3.storageClass}` : ''}` : '', ...(file.tape ?? []).map((t) => `tape ${t.indicator} file ${t.file}`)].filter(Boolean);
      const audited = Object.entries(file.audit?.copies ?? {}).map(([c, st]) => `${c} ${st}`);
      lines.push(`  ${file.path}`, `      ${where.length ? where.join('; ') : 'no copy recorded'}${audited.length ? ` · audit: ${audited.join(', ')}` : ''}`);
    }
    if (f.network?.length) lines.push(`  network          ${f.network.map((n) => `${n.version} ${n.status}${n.problem ? ` (${n.problem})` : ''}`).join('; ')}`);
    if (f.audit) lines.push(`  last audit       ${f.audit.at} ${f.audit.ok ? 'every copy checked intact' : `${f.audit.problems.length} problem${f.audit.problems.length === 1 ? '' : 's'}`}`);
    for (const file of f.files) for (const p of file.audit?.problems ?? []) lines.push(`  ❌ ${file.path}: ${p.copy} ${p.state.toUpperCase()}: ${p.message}`);
    for (const p of unplacedProblems(f)) lines.push(`  ❌ ${p.copy} ${p.state.toUpperCase()} ${p.path}: ${p.message}`);
    for (const p of f.problems) lines.push(`  ⚠️ last run: ${p}`);
  }
  return lines.join('\n');
}

/** The folder's audit problems that no file of it shows (a network node, a tape file of several files, the inventory). */
export function unplacedProblems(f: FolderOverview): Finding[] {
  const placed = new Set(f.files.flatMap((file) => file.audit?.problems ?? []).map((p) => `${p.copy}\u0000${p.path}`));
  return (f.audit?.problems ?? []).filter((p) => !placed.has(`${p.copy}\u0000${p.path}`));
}
