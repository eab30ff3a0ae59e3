/**
 * Checks one inventory document against OCFL §3.5 (structure, paths, digests, version blocks).
 * File-system facts (which files exist, their digests) are checked by object.ts.
 */
import { pathProblem, findConflict, VERSION_RE } from '../paths.js';
import type { Collector } from './result.js';
import type { Inventory } from '../inventory.js';

const TOP_KEYS = new Set(['id', 'type', 'digestAlgorithm', 'head', 'contentDirectory', 'manifest', 'versions', 'fixity']);
const FIXITY_ALGS = new Set(['md5', 'sha1', 'sha256', 'sha512', 'blake2b-512', 'blake2b-160', 'blake2b-256', 'blake2b-384', 'sha512/256', 'size', 'crc32']);
const DIGEST_LENGTH: Record<string, number> = { sha512: 128, sha256: 64, sha1: 40, md5: 32, 'blake2b-512': 128 };
const CREATED_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;
const URI_RE = /^[a-z][a-z0-9+.-]*:\S*$/i;

export interface CheckedInventory {
  inv: Inventory;
  /** Version names sorted by number. */
  versions: string[];
  /** Content path → digest (lowercase) from the manifest. */
  contentDigest: Map<string, string>;
  /** The spec version from `type`, e.g. "1.1", when it is well formed. */
  specVersion?: string;
  /** False when the document is too broken to compare with anything. */
  usable: boolean;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkInventory(doc: unknown, where: string, c: Collector, expectSpec: string | undefined): CheckedInventory {
  const empty: CheckedInventory = { inv: doc as Inventory, versions: [], contentDigest: new Map(), usable: false };
  if (!isObj(doc)) {
    c.error('E033', where, 'The inventory is not a JSON object.');
    return empty;
  }
  for (const k of Object.keys(doc)) if (!TOP_KEYS.has(k)) c.error('E102', where, `The inventory has a key "${k}" that OCFL does not allow.`);
  for (const k of ['id', 'type', 'digestAlgorithm', 'head'] as const) if (!(k in doc)) c.error('E036', where, `The inventory has no "${k}".`);
  for (const k of ['manifest', 'versions'] as const) if (!(k in doc)) c.error('E041', where, `The inventory has no "${k}".`);

  if ('id' in doc) {
    if (typeof doc.id !== 'string' || doc.id === '') c.error('E037', where, 'The inventory "id" must be a non-empty string.');
    else if (!URI_RE.test(doc.id)) c.warn('W005', where, `The object id "${doc.id}" is not a URI; ids SHOULD be URIs.`);
  }
  let specVersion: string | undefined;
  if ('type' in doc) {
    const m = typeof doc.type === 'string' ? /^https:\/\/ocfl\.io\/(1\.[01])\/spec\/#inventory$/.exec(doc.type) : null;
    if (!m) c.error('E038', where, `The inventory "type" ${JSON.stringify(doc.type)} is not an OCFL inventory type.`);
    else {
      specVersion = m[1];
      if (expectSpec && specVersion !== expectSpec) c.error('E038', where, `The inventory type says OCFL ${specVersion} but the object declares ${expectSpec}.`);
    }
  }
  const alg = doc.digestAlgorithm;
  if ('digestAlgorithm' in doc) {
    if (alg === 'sha256') c.warn('W004', where, 'The inventory uses sha256; sha512 SHOULD be used.');
    else if (alg !== 'sha512') c.error('E025', where, `digestAlgorithm ${JSON.stringify(alg)} is not sha512 or sha256.`);
  }
  let contentDirectory = 'content';
  if ('contentDirectory' in doc) {
    const cd = doc.contentDirectory;
    if (typeof cd !== 'string' || cd === '' || cd.includes('/') || cd === '.' || cd === '..') {
      c.error('E017', where, `contentDirectory ${JSON.stringify(cd)} must be a single name other than . or ..`);
    } else contentDirectory = cd;
  }

  // versions
  const versions: string[] = [];
  if ('versions' in doc) {
    if (!isObj(doc.versions)) c.error('E044', where, '"versions" must be a JSON object.');
    else {
      const names = Object.keys(doc.versions);
      if (names.length === 0) c.error('E008', where, 'The inventory has no versions.');
      const nums: number[] = [];
      const widths = new Set<number>();
      for (const n of names) {
        if (!VERSION_RE.test(n)) {
          c.error('E104', where, `Version name "${n}" is not "v" followed by a number.`);
          continue;
        }
        versions.push(n);
        nums.push(Number(n.slice(1)));
        if (n.startsWith('v0')) {
          widths.add(n.length);
          if (n === 'v0') c.error('E009', where, 'Versions start at v1.');
        } else widths.add(0);
      }
      versions.sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
      if (widths.size > 1) c.error('E013', where, 'Version names mix zero-padded and unpadded forms or padding widths.');
      else if (!widths.has(0) && widths.size === 1) {
        c.warn('W001', where, 'Version names are zero-padded; OCFL recommends v1, v2, …');
        const w = [...widths][0];
        const max = Math.max(...nums);
        if (String(max).length > w - 2) c.error('E011', where, `Zero-padded version names of width ${w} cannot hold version ${max}.`);
      }
      const sorted = [...nums].sort((a, b) => a - b);
      sorted.forEach((n, i) => {
        if (n !== i + 1) {
          if (i === 0) c.error('E009', where, `Versions start at ${versions[0]}, not 1.`);
          else c.error('E010', where, `Version ${i + 1} is missing from the sequence.`);
        }
      });
      for (const v of versions) checkVersionBlock((doc.versions as Json)[v], `${where} versions.${v}`, c);
    }
  }
  if ('head' in doc) {
    const last = versions[versions.length - 1];
    if (typeof doc.head !== 'string' || !VERSION_RE.test(doc.head)) c.error('E040', where, `head ${JSON.stringify(doc.head)} is not a version name.`);
    else if (last && doc.head !== last) c.error('E040', where, `head is ${doc.head} but the latest version is ${last}.`);
  }

  // manifest
  const contentDigest = new Map<string, string>();
  const manifestDigests = new Set<string>();
  if ('manifest' in doc) {
    if (!isObj(doc.manifest)) c.error('E106', where, '"manifest" must be a JSON object.');
    else {
      const paths: string[] = [];
      for (const [digest, list] of Object.entries(doc.manifest)) {
        const lower = digest.toLowerCase();
        if (manifestDigests.has(lower)) c.error('E096', where, `Digest ${digest} appears more than once in the manifest.`);
        manifestDigests.add(lower);
        if (typeof alg === 'string' && DIGEST_LENGTH[alg] && (digest.length !== DIGEST_LENGTH[alg] || !/^[0-9a-f]+$/i.test(digest))) {
          c.error('E096', where, `Manifest key ${digest} is not a ${alg} digest.`);
        }
        if (!Array.isArray(list)) {
          c.error('E092', where, `Manifest entry ${digest} must be a list of content paths.`);
          continue;
        }
        for (const p of list) {
          if (typeof p !== 'string') { c.error('E099', where, `Content path ${JSON.stringify(p)} is not a string.`); continue; }
          const prob = pathProblem(p);
          if (prob === 'leading-or-trailing-slash') c.error('E100', where, `Content path "${p}" begins or ends with /.`);
          else if (prob) c.error('E099', where, `Content path "${p}" has an empty, . or .. segment.`);
          else {
            const segs = p.split('/');
            if (!versions.includes(segs[0]) || segs[1] !== contentDirectory || segs.length < 3) {
              c.error('E042', where, `Content path "${p}" is not inside a version's ${contentDirectory} directory.`);
            }
          }
          paths.push(p);
          contentDigest.set(p, lower);
        }
      }
      const conflict = findConflict(paths);
      if (conflict) c.error('E101', where, `Content paths "${conflict[0]}" and "${conflict[1]}" are not unique or one is a directory of the other.`);
    }
  }

  // state digests must be in the manifest, and every manifest digest used
  const used = new Set<string>();
  if (isObj(doc.versions)) {
    for (const v of versions) {
      const block = (doc.versions as Json)[v];
      if (!isObj(block) || !isObj(block.state)) continue;
      for (const d of Object.keys(block.state)) {
        used.add(d.toLowerCase());
        if (isObj(doc.manifest) && !(d in doc.manifest)) {
          c.error('E050', where, `State digest ${d} in ${v} is not a manifest key${manifestDigests.has(d.toLowerCase()) ? ' (it differs only in case; spell it as the manifest does)' : ''}.`);
        }
      }
    }
    if (isObj(doc.manifest)) for (const d of Object.keys(doc.manifest)) if (!used.has(d.toLowerCase())) c.error('E107', where, `Manifest digest ${d} is not used by any version's state.`);
  }

  // fixity
  if ('fixity' in doc) {
    if (!isObj(doc.fixity)) c.error('E111', where, '"fixity" must be a JSON object.');
    else {
      for (const [falg, block] of Object.entries(doc.fixity)) {
        if (!FIXITY_ALGS.has(falg)) c.error('E056', where, `Fixity algorithm "${falg}" is not one OCFL or extension 0009 knows.`);
        if (!isObj(block)) { c.error('E057', where, `Fixity block ${falg} must map digests to content paths.`); continue; }
        const seen = new Set<string>();
        for (const [d, list] of Object.entries(block)) {
          if (seen.has(d.toLowerCase())) c.error('E097', where, `Digest ${d} appears more than once in the ${falg} fixity block.`);
          seen.add(d.toLowerCase());
          if (!Array.isArray(list)) { c.error('E057', where, `Fixity ${falg} entry ${d} must be a list of content paths.`); continue; }
          for (const p of list) {
            const prob = typeof p === 'string' ? pathProblem(p) : 'bad-segment';
            if (prob === 'leading-or-trailing-slash') c.error('E100', where, `Fixity content path "${p}" begins or ends with /.`);
            else if (prob) c.error('E099', where, `Fixity content path ${JSON.stringify(p)} has an empty, . or .. segment.`);
            else if (!contentDigest.has(p as string)) c.error('E057', where, `Fixity content path "${p}" is not in the manifest.`);
          }
        }
      }
    }
  }
  const usable = isObj(doc.manifest) && isObj(doc.versions) && typeof doc.head === 'string' && (alg === 'sha512' || alg === 'sha256');
  return { inv: doc as unknown as Inventory, versions, contentDigest, specVersion, usable };
}

function checkVersionBlock(block: unknown, where: string, c: Collector): void {
  if (!isObj(block)) {
    c.error('E047', where, 'A version block must be a JSON object.');
    return;
  }
  if (!('created' in block)) c.error('E048', where, 'The version has no "created".');
  else if (typeof block.created !== 'string' || !CREATED_RE.test(block.created)) {
    c.error('E049', where, `created ${JSON.stringify(block.created)} is not an RFC 3339 date-time to the second with a time zone.`);
  }
  if (!('state' in block)) c.error('E048', where, 'The version has no "state".');
  else if (!isObj(block.state)) c.error('E050', where, '"state" must map digests to logical paths.');
  else {
    const paths: string[] = [];
    for (const [d, list] of Object.entries(block.state)) {
      if (!Array.isArray(list)) { c.error('E050', where, `State entry ${d} must be a list of logical paths.`); continue; }
      for (const p of list) {
        if (typeof p !== 'string') { c.error('E052', where, `Logical path ${JSON.stringify(p)} is not a string.`); continue; }
        const prob = pathProblem(p);
        if (prob === 'leading-or-trailing-slash') c.error('E053', where, `Logical path "${p}" begins or ends with /.`);
        else if (prob) c.error('E052', where, `Logical path "${p}" has an empty, . or .. segment.`);
        paths.push(p);
      }
    }
    const conflict = findConflict(paths);
    if (conflict) c.error('E095', where, `Logical paths "${conflict[0]}" and "${conflict[1]}" are not unique or one is a directory of the other.`);
  }
  if (!('message' in block)) c.warn('W007', where, 'The version has no "message".');
  else if (typeof block.message !== 'string') c.error('E094', where, '"message" must be a string.');
  if (!('user' in block)) c.warn('W007', where, 'The version has no "user".');
  else if (!isObj(block.user) || typeof block.user.name !== 'string' || block.user.name === '') {
    c.error('E054', where, '"user" must be an object with a non-empty "name".');
  } else if (!('address' in block.user)) c.warn('W008', where, 'The version user has no "address".');
  else if (typeof block.user.address !== 'string' || !URI_RE.test(block.user.address)) {
    c.warn('W009', where, `The user address ${JSON.stringify(block.user.address)} is not a URI (e.g. mailto:name@example.org).`);
  }
}
