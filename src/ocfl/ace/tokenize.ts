/**
 * ACE tokens for an OCFL object's payload files (not inventories, sidecars or declarations: each
 * replication service checks those itself). One token store per version, holding the payload that
 * version added, kept in the companion folder beside the storage root, never inside the object.
 */
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import { objectPath } from '../layout.js';
import { tokenStorePath, elsewhereMarkerPath } from '../companion.js';
import { readObjectInventory } from '../inventory.js';
import { hashFile, sha256Hex } from '../../hash.js';
import { writeFileAtomic } from '../../atomicWrite.js';
import { entryFromToken, formatTokenStore, parseTokenStore, type TokenStoreEntry } from './tokenStore.js';
import { proofRoot } from './hashTree.js';
import type { Ims } from './ims.js';
import { PermanentError } from '../../policies.js';

/**
 * Requests tokens for the payload `version` added and writes `<version>.tokens` (plus a
 * `.sha256` file with the store's own digest, which a replication registers). Returns the store's path.
 */
export async function tokenizeVersion(rootPath: string, objectId: string, version: string, ims: Ims): Promise<string> {
  const objectRoot = join(rootPath, objectPath(objectId));
  const inv = await readObjectInventory(objectRoot);
  if (!inv) throw new PermanentError(`There is no OCFL object ${objectId} in ${rootPath}.`);
  if (!inv.versions[version]) throw new PermanentError(`${objectId} has no version ${version} (head is ${inv.head}).`);
  const sha256Of = new Map<string, string>();
  for (const [d, paths] of Object.entries(inv.fixity?.sha256 ?? {})) for (const p of paths) sha256Of.set(p, d.toLowerCase());
  const requests = [];
  for (const paths of Object.values(inv.manifest)) {
    for (const p of paths) {
      if (!p.startsWith(`${version}/`)) continue;
      // The sha256 recorded while the file was copied in; hash the file only if none was recorded.
      const digest = sha256Of.get(p) ?? (await hashFile(join(objectRoot, p), ['sha256'])).digests.sha256;
      requests.push({ name: p, sha256Hex: digest });
    }
  }
  requests.sort((a, b) => (a.name < b.name ? -1 : 1));
  const tokens = await ims.requestTokens(requests);
  const text = formatTokenStore(tokens.map((t) => entryFromToken(t, [t.name])));
  const path = tokenStorePath(rootPath, objectId, version);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, text);
  await writeFileAtomic(`${path}.sha256`, `${sha256Hex(text)}  ${basename(path)}\n`);
  return path;
}

/** ACE Audit Manager item states: A intact, C corrupt, M missing, T no token, I invalid token. */
export type AuditState = 'A' | 'C' | 'M' | 'T' | 'I';

export interface AuditItem {
  /** Content path relative to the object root. */
  path: string;
  state: AuditState;
  message: string;
}

export interface AuditResult {
  objectId: string;
  ok: boolean;
  items: AuditItem[];
  /** Content files not on this disk because their payload is held elsewhere (not audited here). */
  heldElsewhere: number;
  /** Token stores that could not be read. */
  problems: string[];
}

export interface AuditOptions {
  /** Called after each file is read with its byte count; a scheduled audit waits here to bound its I/O. */
  afterRead?: (bytes: number) => Promise<void>;
}

/**
 * Re-reads every payload file of the object, compares its sha512 and sha256 with the inventory,
 * and recomputes its ACE proof up to the round summary the IMS holds.
 */
export async function auditObject(rootPath: string, objectId: string, ims: Ims, opts: AuditOptions = {}): Promise<AuditResult> {
  const objectRoot = join(rootPath, objectPath(objectId));
  const inv = await readObjectInventory(objectRoot);
  if (!inv) throw new PermanentError(`There is no OCFL object ${objectId} in ${rootPath}.`);
  const result: AuditResult = { objectId, ok: true, items: [], heldElsewhere: 0, problems: [] };

  const tokens = new Map<string, TokenStoreEntry>();
  const storeDir = dirname(tokenStorePath(rootPath, objectId, 'v1'));
  for (const name of (await readdir(storeDir).catch(() => [] as string[])).filter((n) => n.endsWith('.tokens')).sort()) {
    const storePath = join(storeDir, name);
    try {
      const text = await readFile(storePath, 'utf8');
      const recorded = await readFile(`${storePath}.sha256`, 'utf8').then((t) => t.split(/\s+/)[0], () => undefined);
      if (recorded && recorded !== sha256Hex(text)) result.problems.push(`${storePath} does not match its recorded sha256; it was changed after it was written.`);
      for (const e of parseTokenStore(text)) for (const id of e.identifiers) tokens.set(id, e);
    } catch (err) {
      result.problems.push(`${storePath}: ${(err as Error).message}`);
    }
  }
  const elsewhere = await readFile(elsewhereMarkerPath(rootPath, objectId), 'utf8').then((t) => new Set((JSON.parse(t) as { contentPaths: string[] }).contentPaths), () => new Set<string>());
  const sha256Of = new Map<string, string>();
  for (const [d, paths] of Object.entries(inv.fixity?.sha256 ?? {})) for (const p of paths) sha256Of.set(p, d.toLowerCase());
  const rounds = new Map<number, string>();
  for (const s of await ims.roundSummaries([...new Set([...tokens.values()].map((t) => t.round))])) rounds.set(s.round, s.hash.toLowerCase());

  const alg = inv.digestAlgorithm;
  for (const [digest, paths] of Object.entries(inv.manifest)) {
    for (const p of paths) {
      let digests: Record<string, string>;
      try {
        const read = await hashFile(join(objectRoot, p), [alg, 'sha256']);
        digests = read.digests;
        await opts.afterRead?.(read.bytes);
      } catch {
        if (!elsewhere.has(p)) {
          result.items.push({ path: p, state: 'M', message: `${p} is missing.` });
          continue;
        }
        // Held elsewhere: its bytes are audited in their copies; its token is checked here against
        // the sha256 the inventory records, so a lost or altered token store is found all the same.
        result.heldElsewhere++;
        const recorded = sha256Of.get(p);
        const token = tokens.get(p);
        if (!recorded) continue;
        if (!token) result.items.push({ path: p, state: 'T', message: `${p} (held elsewhere) has no ACE token; restore its version's token store from a preservation copy.` });
        else {
          const problem = tokenProblem(p, recorded, token, rounds, ims.host);
          if (problem) result.items.push({ path: p, state: 'I', message: `${problem} (held elsewhere; checked against the sha256 its inventory records)` });
        }
        continue;
      }
      if (digests[alg] !== digest.toLowerCase() || (sha256Of.has(p) && sha256Of.get(p) !== digests.sha256)) {
        result.items.push({ path: p, state: 'C', message: `${p} does not match its recorded digests: it is corrupt. Restore it from another copy.` });
        continue;
      }
      const token = tokens.get(p);
      if (!token) {
        result.items.push({ path: p, state: 'T', message: `${p} has no ACE token; run "distillery ocfl tokens" for its version.` });
        continue;
      }
      const problem = tokenProblem(p, digests.sha256, token, rounds, ims.host);
      if (problem) result.items.push({ path: p, state: 'I', message: problem });
      else result.items.push({ path: p, state: 'A', message: `${p} is intact (round ${token.round}).` });
    }
  }
  result.items.sort((a, b) => (a.path < b.path ? -1 : 1));
  result.ok = result.problems.length === 0 && result.items.every((i) => i.state === 'A');
  return result;
}

/** Why a token does not validate a file of this sha256 (ACE's proof up to the round summary), or undefined when it does. */
function tokenProblem(p: string, sha256: string, token: TokenStoreEntry, rounds: Map<number, string>, imsHost: string): string | undefined {
  let root: string;
  try {
    root = proofRoot(Buffer.from(sha256, 'hex'), token.proof).toString('hex');
  } catch (err) {
    return `${p}: ${(err as Error).message}`;
  }
  const summary = rounds.get(token.round);
  if (summary === undefined) return `${p}: round ${token.round} is not known to the IMS (${imsHost}).`;
  if (summary !== root) return `${p}: its token's proof does not lead to the summary of round ${token.round}; the token store was altered or the file's digest changed.`;
  return undefined;
}
