/**
 * One audit of one copy of one object: local payload (re-hashed and checked against its ACE
 * token) and S3 (stored size and checksum, read with HeadObject: no restore, no download).
 */
import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { S3Destination } from '../destinations/s3/index.js';
import { auditObject, type Ims } from '../ocfl/index.js';
import { sha256Hex } from '../hash.js';
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
 * inventory and sidecar against the local bytes).
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
  const scope = { reporter: silentReporter, signal };
  for (const f of files) {
    r.checked++;
    const key = `${obj.objectPath}/${f.path}`;
    let stored;
    try {
      stored = await s3.stored(key, scope);
    } catch (err) {
      r.checked--;
      r.notes.push(`${s3.where}${key} could not be checked: ${(err as Error).message}`);
      continue;
    }
    const rerun = `Run the cloud process for collection ${obj.collectionId} again: it sends the file anew from the local copy (restore the local payload first if it was released).`;
    if (!stored) {
      r.findings.push({ copy: 's3', objectId: obj.objectId, path: f.path, state: 'missing', message: `${s3.where}${key} is missing from the bucket. ${rerun}` });
      continue;
    }
    const localBytes = await stat(join(objectRoot, f.path)).then((s) => s.size, () => undefined);
    const problems: string[] = [];
    if (localBytes !== undefined && stored.bytes !== localBytes) problems.push(`it stores ${stored.bytes} bytes, the file has ${localBytes}`);
    if (!f.sha256) problems.push('the inventory records no sha256 for it');
    else if (!stored.sha256) problems.push('the bucket records no SHA-256 for it');
    else if (stored.sha256 !== f.sha256) problems.push(`its stored SHA-256 ${stored.sha256.slice(0, 16)}… differs from the inventory's ${f.sha256.slice(0, 16)}…`);
    if (problems.length === 0) {
      r.intact++;
      continue;
    }
    r.findings.push({ copy: 's3', objectId: obj.objectId, path: f.path, state: 'corrupt', message: `${s3.where}${key} does not match the inventory: ${problems.join('; ')}. ${rerun}` });
  }
  return r;
}
