/**
 * One audit of one copy of one object: local payload (re-hashed and checked against its ACE
 * token) and S3 (stored size and checksum, read with HeadObject: no restore, no download).
 */
import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { S3Destination } from '../destinations/s3/index.js';
import { auditObject, type Ims } from '../ocfl/index.js';
import { sha256Hex } from '../hash.js';
import { tokenStorePath } from '../ocfl/companion.js';
import { readFile } from 'node:fs/promises';
import { silentReporter } from '../runs/reporter.js';
import type { AuditedObject } from './objects.js';
import type { CopyName, Finding, ItemState } from './records.js';

export interface CopyResult {
  copy: CopyName;
  checked: number;
  intact: number;
  notes: string[];
  findings: Finding[];
}

export function emptyResult(copy: CopyName): CopyResult {
  return { copy, checked: 0, intact: 0, notes: [], findings: [] };
}

const ACE_STATE: Record<string, ItemState> = { A: 'intact', C: 'corrupt', M: 'missing', T: 'missing token', I: 'invalid token' };

/** What to do about a local file in each state. */
function localAdvice(state: ItemState, obj: AuditedObject, path: string, storageRoot: string): string {
  const version = path.split('/')[0];
  switch (state) {
    case 'corrupt':
      return `${path} of ${obj.objectId} in the local copy does not match the digests its inventory records: it is corrupt. Restore this file from the S3 or tape copy, then audit again.`;
    case 'missing':
      return `${path} of ${obj.objectId} is missing from the local copy. Restore it from the S3 or tape copy, then audit again.`;
    case 'missing token':
      return `${path} of ${obj.objectId} has no ACE token. Restore its version's token store from a preservation copy (the S3 copy or the tape catalogue's copy hold every version's); if none holds it, make its version's tokens with \`distillery ocfl tokens ${storageRoot} ${obj.objectId} --version ${version}\`, then audit again.`;
    default:
      return '';
  }
}

export async function auditLocalCopy(storageRoot: string, obj: AuditedObject, ims: Ims, afterRead?: (bytes: number) => Promise<void>): Promise<CopyResult> {
  const r = emptyResult('local');
  const result = await auditObject(storageRoot, obj.objectId, ims, { afterRead });
  for (const item of result.items) {
    r.checked++;
    const state = ACE_STATE[item.state];
    if (state === 'intact') {
      r.intact++;
      continue;
    }
    const message = state === 'invalid token'
      ? `${item.message.replace(/\.$/, '')}. The file's digests match its inventory, so the token store or the IMS ledger was altered: restore the token store from a preservation copy; if it cannot be found, make the version's tokens again with \`distillery ocfl tokens\`.`
      : localAdvice(state, obj, item.path, storageRoot);
    r.findings.push({ copy: 'local', objectId: obj.objectId, path: item.path, state: state as Finding['state'], message });
  }
  for (const p of result.problems) {
    r.findings.push({ copy: 'local', objectId: obj.objectId, path: relative(storageRoot, p.split(/ does not match|: /)[0]), state: 'invalid token', message: `${p} Restore the token store from a preservation copy, then audit again.` });
  }
  if (result.heldElsewhere) r.notes.push(`${obj.objectId}: ${result.heldElsewhere} file(s) released from local disk are held by the preservation copies and were not read here (their ACE tokens were checked against the sha256 the inventory records).`);
  return r;
}

/**
 * Each content file, the root inventory and its sidecar: the stored size (against the local file
 * where it is still on disk) and the stored SHA-256 against the inventory's sha256 fixity (the
 * inventory and sidecar against the local bytes). Then every version's ACE token store and its
 * `.sha256`, kept beside the storage root: the store's stored size and SHA-256 against the sha256
 * the companion folder records for it (the `.sha256` file against its local bytes).
 */
export async function auditS3Copy(s3: S3Destination, storageRoot: string, obj: AuditedObject, signal?: AbortSignal): Promise<CopyResult> {
  const r = emptyResult('s3');
  const inv = obj.inventory;
  const objectRoot = join(storageRoot, obj.objectPath);
  const sha256Of = new Map<string, string>();
  for (const [d, paths] of Object.entries(inv.fixity?.sha256 ?? {})) for (const p of paths) sha256Of.set(p, d.toLowerCase());
  const files: { path: string; sha256?: string }[] = [];
  for (const paths of Object.values(inv.manifest)) for (const p of paths) files.push({ path: p, sha256: sha256Of.get(p) });
  for (const name of ['inventory.json', `inventory.json.${inv.digestAlgorithm}`]) {
    const text = await readFile(join(objectRoot, name)).catch(() => undefined);
    if (text) files.push({ path: name, sha256: sha256Hex(text) });
  }
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  const rerun = `Run the cloud process for collection ${obj.collectionId} again: it sends the file anew from the local copy (restore the local payload first if it was released).`;
  for (const f of files) {
    await checkStored(s3, r, obj, { path: f.path, key: `${s3.prefix}${obj.objectPath}/${f.path}`, local: join(objectRoot, f.path), sha256: f.sha256, against: 'the inventory', missingAdvice: rerun, corruptAdvice: rerun }, signal);
  }
  // Token stores: checked against what the companion folder records; a version with no local
  // store (it added no payload, or its store is lost: the local audit reports that) is not checked here.
  for (const v of Object.keys(inv.versions)) {
    const store = tokenStorePath(storageRoot, obj.objectId, v);
    const storeBytes = await readFile(store).catch(() => undefined);
    const recordText = await readFile(`${store}.sha256`, 'utf8').catch(() => undefined);
    const recorded = recordText?.trim().split(/\s+/)[0]?.toLowerCase() || (storeBytes ? sha256Hex(storeBytes) : undefined);
    if (!recorded) continue;
    const key = s3.tokenStoreKey(obj.objectPath, v);
    const advice = `Run the cloud process for collection ${obj.collectionId} again: it sends ${v}'s token store anew from the local companion folder (if the local store is lost or damaged too, restore it from the tape copy or make ${v}'s tokens with \`distillery ocfl tokens ${storageRoot} ${obj.objectId} --version ${v}\` first).`;
    await checkStored(s3, r, obj, { path: `${v}.tokens`, key, local: store, sha256: recorded, against: `the sha256 recorded for ${v}'s token store`, missingAdvice: advice, corruptAdvice: advice, what: `the ACE token store of ${v}` }, signal);
    if (recordText !== undefined) {
      await checkStored(s3, r, obj, { path: `${v}.tokens.sha256`, key: `${key}.sha256`, local: `${store}.sha256`, sha256: sha256Hex(Buffer.from(recordText)), against: 'the local companion folder', missingAdvice: advice, corruptAdvice: advice, what: `the recorded sha256 of ${v}'s token store` }, signal);
    }
  }
  return r;
}

/** One key: present, its stored size against the local file (while on disk) and its stored SHA-256 against the expected one. */
async function checkStored(
  s3: S3Destination, r: CopyResult, obj: AuditedObject,
  f: { path: string; key: string; local: string; sha256?: string; against: string; missingAdvice: string; corruptAdvice: string; what?: string },
  signal?: AbortSignal,
): Promise<void> {
  const scope = { reporter: silentReporter, signal };
  const where = s3.urlOf(f.key);
  const what = f.what ? ` (${f.what})` : '';
  r.checked++;
  let stored;
  try {
    stored = await s3.storedAt(f.key, scope);
  } catch (err) {
    r.checked--;
    r.notes.push(`${where} could not be checked: ${(err as Error).message}`);
    return;
  }
  if (!stored) {
    r.findings.push({ copy: 's3', objectId: obj.objectId, path: f.path, state: 'missing', message: `${where}${what} is missing from the bucket. ${f.missingAdvice}` });
    return;
  }
  const localBytes = await stat(f.local).then((s) => s.size, () => undefined);
  const problems: string[] = [];
  if (localBytes !== undefined && stored.bytes !== localBytes) problems.push(`it stores ${stored.bytes} bytes, the file has ${localBytes}`);
  if (!f.sha256) problems.push('the inventory records no sha256 for it');
  else if (!stored.sha256) problems.push('the bucket records no SHA-256 for it');
  else if (stored.sha256 !== f.sha256) problems.push(`its stored SHA-256 ${stored.sha256.slice(0, 16)}… differs from ${f.against === 'the inventory' ? "the inventory's" : f.against} ${f.sha256.slice(0, 16)}…`);
  if (problems.length === 0) {
    r.intact++;
    return;
  }
  r.findings.push({ copy: 's3', objectId: obj.objectId, path: f.path, state: 'corrupt', message: `${where}${what} does not match ${f.against}: ${problems.join('; ')}. ${f.corruptAdvice}` });
}
