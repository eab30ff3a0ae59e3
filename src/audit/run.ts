/**
 * `distillery audit`: every copy of a collection's objects (or of all), checked and kept as
 * records; a failed audit is loud (an error log line, the status file the form shows, and the
 * optional notify command).
 */
import type { S3Destination } from '../destinations/s3/index.js';
import type { TapeDestination } from '../destinations/tape/index.js';
import { runChild } from '../childProcess.js';
import { policies } from '../policies.js';
import type { Logger } from '../log.js';
import type { Ims } from '../ocfl/index.js';
import { auditLocalCopy, auditS3Copy, emptyResult, type CopyResult } from './copies.js';
import { objectsToAudit } from './objects.js';
import { Pace } from './pace.js';
import { AUDIT_FORMAT, auditStatusPath, refreshAuditStatus, saveAuditRecord, type AuditRecord, type AuditStatus, type CopyName } from './records.js';
import type { AuditSettings } from './settings.js';
import { auditTape } from './tape.js';

export interface AuditDeps {
  storageRoot: string;
  /** The shared status folder (records and the status file go there). */
  statusDir: string;
  ims: Ims;
  settings: AuditSettings;
  log: Logger;
  s3?: S3Destination;
  tape?: TapeDestination;
  /** Per-node audit state from the preservation network, when it is on. */
  network?: (collectionId: string, objectIds: string[]) => Promise<CopyResult>;
  signal?: AbortSignal;
}

export interface AuditOutcome {
  ok: boolean;
  records: AuditRecord[];
  status: AuditStatus;
  /** Said once for the whole audit (tape to load, cycle too long). */
  notes: string[];
}

/** Audits one collection, or every object in the storage root (and the nightly tape files) when `collectionId` is undefined. */
export async function runAudit(deps: AuditDeps, collectionId?: string): Promise<AuditOutcome> {
  const startedAt = new Date().toISOString();
  const objects = await objectsToAudit(deps.storageRoot, collectionId);
  const pace = new Pace(deps.settings.rateMBps);
  const perCollection = new Map<string, Map<CopyName, CopyResult>>();
  const objectsOf = new Map<string, string[]>();
  const add = (c: string, r: CopyResult) => {
    const copies = perCollection.get(c) ?? new Map<CopyName, CopyResult>();
    perCollection.set(c, copies);
    const into = copies.get(r.copy) ?? emptyResult(r.copy);
    copies.set(r.copy, into);
    into.checked += r.checked;
    into.intact += r.intact;
    into.notes.push(...r.notes);
    into.findings.push(...r.findings);
  };
  if (collectionId !== undefined) perCollection.set(collectionId, new Map());
  for (const obj of objects) {
    objectsOf.set(obj.collectionId, [...(objectsOf.get(obj.collectionId) ?? []), obj.objectId]);
    add(obj.collectionId, await auditLocalCopy(deps.storageRoot, obj, deps.ims, pace.after));
    if (deps.s3) add(obj.collectionId, await auditS3Copy(deps.s3, deps.storageRoot, obj, deps.signal));
  }
  const notes: string[] = [];
  if (collectionId !== undefined && objects.length === 0) notes.push(`No OCFL object of collection ${collectionId} is in ${deps.storageRoot}.`);
  if (deps.tape) {
    const tape = await auditTape(deps.tape, deps.statusDir, deps.settings, collectionId);
    for (const [c, r] of tape.byCollection) add(c, r);
    notes.push(...tape.notes);
  }
  if (deps.network) for (const [c, ids] of objectsOf) add(c, await deps.network(c, ids));

  const finishedAt = new Date().toISOString();
  const records: AuditRecord[] = [];
  for (const [c, copies] of perCollection) {
    const findings = [...copies.values()].flatMap((r) => r.findings);
    const record: AuditRecord = {
      format: AUDIT_FORMAT, collectionId: c, startedAt, finishedAt, ok: findings.length === 0,
      objects: objectsOf.get(c) ?? [],
      copies: [...copies.values()].map((r) => ({ copy: r.copy, checked: r.checked, intact: r.intact, notes: r.notes })),
      findings,
    };
    await saveAuditRecord(deps.statusDir, record);
    records.push(record);
  }
  const status = await refreshAuditStatus(deps.statusDir);
  const ok = records.every((r) => r.ok);
  for (const r of records) {
    if (r.ok) deps.log.info({ collection: r.collectionId, copies: r.copies.map((c) => `${c.copy} ${c.intact}/${c.checked}`) }, 'audit passed');
    else deps.log.error({ collection: r.collectionId, findings: r.findings.length, first: r.findings[0]?.message }, `AUDIT FAILED for ${r.collectionId}: ${r.findings.length} problem(s)`);
  }
  for (const n of notes) deps.log.warn({ note: n }, 'audit note');
  if (!ok && deps.settings.notifyCommand) {
    const failed = records.filter((r) => !r.ok);
    const summary = `Distillery audit failed: ${failed.map((r) => `${r.collectionId} (${r.findings.length} problem(s), first: ${r.findings[0].message})`).join('; ')}`;
    await runChild(deps.settings.notifyCommand, [auditStatusPath(deps.statusDir), summary], { tool: 'AUDIT_NOTIFY_CMD', policy: policies.shortRequest }).catch((err: Error) =>
      deps.log.error({ err: err.message }, `AUDIT_NOTIFY_CMD failed: ${err.message}`),
    );
  }
  return { ok, records, status, notes };
}
