/**
 * Checks one inventory document against OCFL §3.5 (structure, paths, digests, version blocks).
 * File-system facts (which files exist, their digests) are checked by object.ts.
 */
import { pathProblem, findConflict, VERSION_RE } from '../paths.js';
import type { Collector } from './result.js';
import type { Inventory } from '../inventory.js';

const TOP_KEYS = new Set(['id', 'type', 'digestAlgorithm', 'head', 'contentDirectory', 'manifest', 'versions', 'fixity']);
const VERSION_KEYS = new Set(['created', 'message', 'state', 'user']);
const USER_KEYS = new Set(['name', 'address']);
/** The specification's five algorithms and those extension 0009 registers; nothing else (crc32 is in neither). */
const FIXITY_ALGS = new Set(['md5', 'sha1', 'sha256', 'sha512', 'blake2b-512', 'blake2b-160', 'blake2b-256', 'blake2b-384', 'sha512/256', 'size']);
const DIGEST_LENGTH: Record<string, number> = { sha512: 128, sha256: 64, sha1: 40, md5: 32, 'blake2b-512': 128 };
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
    if (typeof cd !== 'string' || cd === '' || cd.includes('/')) {
      c.error('E017', where, `contentDirectory ${JSON.stringify(cd)} must be a non-empty name without "/".`);
    } else if (cd === '.' || cd === '..') {
      c.error('E018', where, `contentDirectory ${JSON.stringify(cd)} may not be . or ..`);
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
      const padded = names.filter((n) => VERSION_RE.test(n) && n.startsWith('v0') && n.length > 2);
      if (padded.length > 0) {
        // Padded names of width w hold numbers below 10^(w-2); a later version that needs more
        // digits cannot start with "v0", as zero-padded names must (e.g. v01…v09 then v10).
        const w = Math.max(...padded.map((n) => n.length));
        for (const n of names) {
          if (VERSION_RE.test(n) && !n.startsWith('v0') && Number(n.slice(1)) >= 10 ** (w - 2)) {
            c.error('E011', where, `Version ${n} follows zero-padded names of width ${w}, which cannot hold it; zero-padded names must start with "v0".`);
          }
        }
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
  for (const k of Object.keys(block)) if (!VERSION_KEYS.has(k)) c.error('E102', where, `The version block has a key "${k}" that OCFL does not allow.`);
  if (!('created' in block)) c.error('E048', where, 'The version has no "created".');
  else {
    const problem = typeof block.created === 'string' ? createdProblem(block.created) : 'it is not a string';
    if (problem) c.error('E049', where, `created ${JSON.stringify(block.created)} is not an RFC 3339 date-time to the second with a time zone: ${problem}.`);
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
  } else if (Object.keys(block.user).some((k) => !USER_KEYS.has(k))) {
    for (const k of Object.keys(block.user)) if (!USER_KEYS.has(k)) c.error('E102', where, `The version user has a key "${k}" that OCFL does not allow (only name and address).`);
  } else if (!('address' in block.user)) c.warn('W008', where, 'The version user has no "address".');
  else if (typeof block.user.address !== 'string' || !URI_RE.test(block.user.address)) {
    c.warn('W009', where, `The user address ${JSON.stringify(block.user.address)} is not a URI (e.g. mailto:name@example.org).`);
  }
}

const CREATED_RE = /^(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(\.\d+)?(?:[Zz]|([+-])(\d\d):(\d\d))$/;

/** UTC days that ended with a leap second (IERS Bulletin C; none has been added since 2016). */
const LEAP_SECOND_DAYS = new Set([
  '1972-06-30', '1972-12-31', '1973-12-31', '1974-12-31', '1975-12-31', '1976-12-31', '1977-12-31', '1978-12-31',
  '1979-12-31', '1981-06-30', '1982-06-30', '1983-06-30', '1985-06-30', '1987-12-31', '1989-12-31', '1990-12-31',
  '1992-06-30', '1993-06-30', '1994-06-30', '1995-12-31', '1997-06-30', '1998-12-31', '2005-12-31', '2008-12-31',
  '2012-06-30', '2015-06-30', '2016-12-31',
]);

/**
 * Why `s` is not an RFC 3339 date-time (§5.6) with seconds and an offset, or undefined when it is.
 * Every field is range-checked (month 1–12, the day within its month and leap year, hour 0–23,
 * minute 0–59, offsets to 23:59); second 60 is accepted only at a real leap second (§5.7).
 */
export function createdProblem(s: string): string | undefined {
  const m = CREATED_RE.exec(s);
  if (!m) return 'expected YYYY-MM-DDThh:mm:ss with an optional fraction and Z or ±hh:mm';
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number);
  if (mo < 1 || mo > 12) return `month ${m[2]} does not exist`;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  if (d < 1 || d > days) return `day ${m[3]} does not exist in ${m[1]}-${m[2]}`;
  if (h > 23) return `hour ${m[4]} does not exist`;
  if (mi > 59) return `minute ${m[5]} does not exist`;
  if (m[8] && (Number(m[9]) > 23 || Number(m[10]) > 59)) return `offset ${m[8]}${m[9]}:${m[10]} does not exist`;
  if (sec > 60) return `second ${m[6]} does not exist`;
  if (sec === 60) {
    const offsetMinutes = m[8] ? (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) : 0;
    const utc = new Date(Date.UTC(y, mo - 1, d, h, mi, 59) - offsetMinutes * 60_000);
    const iso = utc.toISOString();
    if (!(iso.endsWith('T23:59:59.000Z') && LEAP_SECOND_DAYS.has(iso.slice(0, 10)))) return 'second 60 is allowed only at a leap second';
  }
  return undefined;
}
