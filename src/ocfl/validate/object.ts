/**
 * Validates one OCFL object root (1.0 or 1.1) against the specification: declaration, root and
 * version inventories with their sidecars, directory contents, and every content file's digest
 * (manifest and fixity). Read-only. Reports every problem it finds, not just the first.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, dirname, relative, sep } from 'node:path';
import { hashFile, isKnownAlgorithm, sha256Hex, sha512Hex, type DigestAlgorithm } from '../../hash.js';
import { Collector, type ValidationResult } from './result.js';
import { checkInventory, type CheckedInventory } from './inventoryCheck.js';
import { VERSION_RE } from '../paths.js';
import { companionPath } from '../companion.js';
import type { Inventory } from '../inventory.js';

/** Extension names registered at https://ocfl.github.io/extensions/ (OCFL/extensions befc324, January 2026). */
export const REGISTERED_EXTENSIONS = new Set([
  '0001-digest-algorithms',
  '0002-flat-direct-storage-layout',
  '0003-hash-and-id-n-tuple-storage-layout',
  '0004-hashed-n-tuple-storage-layout',
  '0005-mutable-head',
  '0006-flat-omit-prefix-storage-layout',
  '0007-n-tuple-omit-prefix-storage-layout',
  '0008-schema-registry',
  '0009-digest-algorithms',
  '0010-differential-n-tuple-omit-prefix-storage-layout',
  '0011-direct-clean-path-layout',
  '0012-hash-and-no-prefix-id-n-tuple-storage-layout',
]);

export interface ObjectValidationOptions {
  /** Re-hash every content file (default true). False checks structure and inventories only. */
  checkDigests?: boolean;
  /**
   * Content paths known to be held elsewhere (payload removed after it was sent). When omitted,
   * the marker Distillery writes in the storage root's companion folder is looked up.
   */
  payloadElsewhere?: Set<string>;
}

export async function validateObject(objectRoot: string, opts: ObjectValidationOptions = {}): Promise<ValidationResult> {
  const c = new Collector();
  await checkObject(objectRoot, c, opts);
  return c.result();
}

/** Validates into a shared collector (the storage-root validator collects every object's issues). */
export async function checkObject(objectRoot: string, c: Collector, opts: ObjectValidationOptions = {}): Promise<{ specVersion?: string; id?: string }> {
  c.objects++;
  const entries = await readdir(objectRoot, { withFileTypes: true }).catch(() => undefined);
  if (!entries) {
    c.error('E003', objectRoot, 'This is not a readable directory, so it cannot be an OCFL object.');
    return {};
  }
  const names = new Set(entries.map((e) => e.name));
  const declarations = entries.filter((e) => e.name.startsWith('0=ocfl_object_'));
  if (declarations.length === 0) {
    c.error('E003', objectRoot, 'There is no object declaration file 0=ocfl_object_1.1.');
    if (!names.has('inventory.json')) c.error('E063', objectRoot, 'There is no inventory.json.');
    return {};
  }
  if (declarations.length > 1) c.error('E003', objectRoot, `There are ${declarations.length} object declaration files; there must be exactly one.`);
  const decl = declarations[0].name;
  const dm = /^0=ocfl_object_(1\.[01])$/.exec(decl);
  let specVersion: string | undefined;
  if (!dm) c.error('E004', join(objectRoot, decl), `The declaration ${decl} is not 0=ocfl_object_1.0 or 0=ocfl_object_1.1.`);
  else {
    specVersion = dm[1];
    const text = await readFile(join(objectRoot, decl), 'utf8').catch(() => undefined);
    if (text !== `ocfl_object_${specVersion}\n`) {
      c.error('E007', join(objectRoot, decl), `The declaration must contain "ocfl_object_${specVersion}" and a newline, but holds ${JSON.stringify(text)}.`);
    }
  }

  const rootInv = await loadInventory(objectRoot, objectRoot, c, specVersion);
  if (!rootInv) {
    // Without an inventory nothing else can be judged; report what the root holds anyway.
    for (const e of entries) if (!e.name.startsWith('0=') && !VERSION_RE.test(e.name) && !['extensions', 'logs'].includes(e.name) && !e.name.startsWith('inventory.json')) {
      c.error('E001', join(objectRoot, e.name), `The object root holds "${e.name}", which OCFL does not allow there.`);
    }
    return { specVersion };
  }
  const { checked } = rootInv;
  const inv = checked.inv;
  const alg = inv.digestAlgorithm;
  const contentDir = typeof inv.contentDirectory === 'string' ? inv.contentDirectory : 'content';

  // Object root entries.
  for (const e of entries) {
    const p = join(objectRoot, e.name);
    if (e.name === decl || e.name === 'inventory.json' || e.name === `inventory.json.${alg}`) continue;
    if (e.name === 'extensions' && e.isDirectory()) await checkExtensions(p, c);
    else if (e.name === 'logs' && e.isDirectory()) continue;
    else if (checked.versions.includes(e.name) && e.isDirectory()) continue;
    else if (VERSION_RE.test(e.name) && e.isDirectory()) c.error('E046', p, `Version directory ${e.name} is not in the root inventory (head is ${inv.head}); an install was interrupted or the root inventory is stale.`);
    else c.error('E001', p, `The object root holds ${e.isDirectory() ? 'a directory' : 'a file'} "${e.name}", which OCFL does not allow there.`);
  }

  const elsewhere = opts.payloadElsewhere ?? (await findElsewhereMarker(objectRoot, inv.id));
  // Content files on disk, and every version inventory.
  const onDisk = new Set<string>();
  const versionInvs: { v: string; checked: CheckedInventory }[] = [];
  for (const v of checked.versions) {
    const vdir = join(objectRoot, v);
    const ventries = await readdir(vdir, { withFileTypes: true }).catch(() => undefined);
    if (!ventries) {
      c.error('E010', vdir, `The inventory lists ${v} but there is no ${v} directory.`);
      continue;
    }
    const sidecars = ventries.filter((e) => e.name.startsWith('inventory.json.'));
    for (const e of ventries) {
      if (e.name === 'inventory.json' || sidecars.includes(e)) continue;
      if (e.name === contentDir && e.isDirectory()) {
        const files = await walk(join(vdir, contentDir), `${v}/${contentDir}`, c);
        if (files.length === 0) c.warn('W003', join(vdir, contentDir), `The ${contentDir} directory of ${v} is empty; leave it out when a version adds no files.`);
        for (const f of files) onDisk.add(f);
      } else if (e.isDirectory()) c.warn('W002', join(vdir, e.name), `Version directory ${v} holds an extra directory "${e.name}".`);
      else c.error('E015', join(vdir, e.name), `Version directory ${v} holds a file "${e.name}" outside its ${contentDir} directory.`);
    }
    if (!ventries.some((e) => e.name === 'inventory.json')) {
      c.warn('W010', vdir, `${v} has no inventory.json; every version SHOULD keep its inventory.`);
      for (const e of sidecars) c.error('E015', join(vdir, e.name), `Version directory ${v} holds a sidecar "${e.name}" but no inventory.json.`);
      continue;
    }
    const loaded = await loadInventory(vdir, objectRoot, c, undefined);
    // The only sidecar a version may hold is the one for its own inventory's algorithm.
    const valg = loaded?.checked.inv.digestAlgorithm ?? (v === inv.head ? alg : undefined);
    for (const e of sidecars) {
      if (valg !== undefined && e.name !== `inventory.json.${valg}`) {
        c.error('E015', join(vdir, e.name), `Version directory ${v} holds "${e.name}", but its inventory uses ${valg}; only inventory.json.${valg} may sit beside it.`);
      }
    }
    if (loaded) {
      versionInvs.push({ v, checked: loaded.checked });
      if (v === inv.head && !loaded.bytes.equals(rootInv.bytes)) {
        c.error('E064', join(vdir, 'inventory.json'), `The root inventory.json differs from the inventory of the head version ${v}.`);
      }
    }
  }

  // Which content files need which digests: the root algorithm, fixity algorithms, and older inventories' algorithms.
  const needs = new Map<string, { alg: string; digest: string; code: string; source: string }[]>();
  const need = (p: string, a: string, d: string, code: string, source: string) => {
    if (!needs.has(p)) needs.set(p, []);
    needs.get(p)!.push({ alg: a, digest: d.toLowerCase(), code, source });
  };
  for (const [p, d] of checked.contentDigest) need(p, alg, d, 'E092', 'the root inventory manifest');
  for (const [falg, block] of Object.entries(inv.fixity ?? {})) {
    if (typeof block !== 'object' || block === null) continue;
    for (const [d, list] of Object.entries(block)) if (Array.isArray(list)) for (const p of list) if (typeof p === 'string') need(p, falg, d, 'E093', `the ${falg} fixity block`);
  }

  for (const { v, checked: vc } of versionInvs) {
    const vinv = vc.inv;
    const where = join(objectRoot, v, 'inventory.json');
    if (v !== inv.head) {
      if (vinv.head !== v) c.error('E040', where, `The inventory in ${v} has head ${JSON.stringify(vinv.head)}; it must be ${v}.`);
      if (vinv.id !== inv.id) c.error('E037', where, `The inventory in ${v} has id ${JSON.stringify(vinv.id)} but the object id is ${JSON.stringify(inv.id)}.`);
      if ((vinv.contentDirectory ?? 'content') !== contentDir) c.error('E019', where, `contentDirectory differs between ${v} and the root inventory.`);
      compareHistory(inv, checked, vinv, vc, v, where, c);
    }
    // Every content file of versions up to v must be in v's manifest.
    const upTo = new Set(vc.versions);
    for (const f of onDisk) if (upTo.has(f.split('/')[0]) && !vc.contentDigest.has(f)) c.error('E023', join(objectRoot, f), `${f} is in the object but not in the manifest of ${v}'s inventory.`);
    if (v !== inv.head && vinv.digestAlgorithm !== alg && isKnownAlgorithm(vinv.digestAlgorithm)) {
      for (const [p, d] of vc.contentDigest) need(p, vinv.digestAlgorithm, d, 'E092', `the ${v} inventory manifest`);
    } else if (v !== inv.head) {
      for (const [p, d] of vc.contentDigest) {
        const rootD = checked.contentDigest.get(p);
        if (rootD && rootD !== d) c.error('E092', where, `The ${v} inventory gives ${p} the digest ${d}, but the root inventory gives ${rootD}.`);
      }
    }
  }

  // Each version conforms to the same or a later specification than the one before it (E103).
  let before: { v: string; spec: string } | undefined;
  for (const v of checked.versions) {
    const spec = v === inv.head ? checked.specVersion : versionInvs.find((x) => x.v === v)?.checked.specVersion;
    if (!spec) continue;
    if (before && spec < before.spec) {
      c.error('E103', join(objectRoot, v, 'inventory.json'), `${v} declares OCFL ${spec}, older than the ${before.spec} of ${before.v} before it; a version may only keep or raise the specification version.`);
    }
    before = { v, spec };
  }

  for (const f of onDisk) if (!checked.contentDigest.has(f)) c.error('E023', join(objectRoot, f), `${f} is in the object but not in the root inventory's manifest.`);
  const checkDigests = opts.checkDigests !== false;
  let heldElsewhere = 0;
  for (const [p, list] of needs) {
    if (!onDisk.has(p)) {
      if (elsewhere?.has(p)) {
        heldElsewhere++;
        continue;
      }
      const codes = new Set(list.map((n) => n.code));
      for (const code of codes) c.error(code, join(objectRoot, p), `${p} is listed in ${list.find((n) => n.code === code)!.source} but does not exist.`);
      continue;
    }
    if (!checkDigests) continue;
    const algs = [...new Set(list.map((n) => n.alg))].filter(isKnownAlgorithm) as DigestAlgorithm[];
    const { digests } = await hashFile(join(objectRoot, p), algs);
    for (const n of list) {
      if (!isKnownAlgorithm(n.alg)) continue;
      if (digests[n.alg] !== n.digest) c.error(n.code, join(objectRoot, p), `${p} has ${n.alg} ${digests[n.alg]}, but ${n.source} says ${n.digest}.`);
    }
  }
  if (heldElsewhere > 0) {
    c.note('I-PAYLOAD-ELSEWHERE', objectRoot, `${heldElsewhere} content file(s) are held elsewhere (sent to their destinations and removed here); their digests were not re-read.`);
  }
  return { specVersion, id: inv.id };
}

async function loadInventory(dir: string, objectRoot: string, c: Collector, expectSpec: string | undefined): Promise<{ checked: CheckedInventory; bytes: Buffer } | undefined> {
  const path = join(dir, 'inventory.json');
  const bytes = await readFile(path).catch(() => undefined);
  if (!bytes) {
    if (dir === objectRoot) c.error('E063', path, 'There is no root inventory.json.');
    return undefined;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    c.error('E033', path, `inventory.json is not valid JSON: ${(err as Error).message}`);
    return undefined;
  }
  const checked = checkInventory(doc, path, c, expectSpec);
  const alg = checked.inv?.digestAlgorithm;
  if (alg === 'sha512' || alg === 'sha256') {
    const sidecarPath = join(dir, `inventory.json.${alg}`);
    const text = await readFile(sidecarPath, 'utf8').catch(() => undefined);
    if (text === undefined) c.error('E058', sidecarPath, `The sidecar inventory.json.${alg} is missing.`);
    else {
      // DIGEST, spaces or tabs, inventory.json; a line end of CRLF and trailing whitespace (as
      // sha512sum on Windows writes) are tolerated and noted.
      const m = /^([0-9a-fA-F]+)[ \t]+inventory\.json(\n?)(\s*)$/.exec(text);
      if (!m) c.error('E061', sidecarPath, 'The sidecar must hold the digest, whitespace and "inventory.json".');
      else {
        if (m[3] !== '') c.note('I-SIDECAR-WHITESPACE', sidecarPath, 'The sidecar has a CRLF line end or trailing whitespace after "inventory.json"; accepted.');
        const actual = alg === 'sha512' ? sha512Hex(bytes) : sha256Hex(bytes);
        if (m[1].toLowerCase() !== actual) c.error('E060', sidecarPath, `inventory.json has ${alg} ${actual}, but its sidecar says ${m[1]}.`);
      }
    }
  }
  return checked.usable ? { checked, bytes } : undefined;
}

/** Each version an older inventory describes must have the same state (E066) and metadata (W011) as in the root. */
function compareHistory(root: Inventory, rc: CheckedInventory, old: Inventory, oc: CheckedInventory, v: string, where: string, c: Collector): void {
  const sameAlg = root.digestAlgorithm === old.digestAlgorithm;
  for (const ov of oc.versions) {
    const rb = root.versions[ov];
    const ob = old.versions[ov];
    if (!rb || !ob || typeof rb.state !== 'object' || typeof ob.state !== 'object') {
      if (!rb) c.error('E066', where, `The ${v} inventory has version ${ov}, which the root inventory lacks.`);
      continue;
    }
    const rs = logical(rb.state, sameAlg ? undefined : rootPathsOf(root));
    const os = logical(ob.state, sameAlg ? undefined : rootPathsOf(old));
    let differs = rs.size !== os.size;
    if (!differs) {
      for (const [p, d] of rs) {
        const o = os.get(p);
        if (o === undefined) { differs = true; break; }
        if (sameAlg ? o !== d : !overlaps(d, o)) { differs = true; break; }
      }
    }
    if (differs) c.error('E066', where, `The ${v} inventory describes version ${ov} differently from the root inventory.`);
    if (rb.created !== ob.created || rb.message !== ob.message || canonicalJson(rb.user) !== canonicalJson(ob.user)) {
      c.warn('W011', where, `The ${v} inventory's created, message or user for ${ov} differ from the root inventory.`);
    }
  }
  void rc;
}

/** JSON with object keys sorted: key order carries no meaning in an inventory (spec §3.5). */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'undefined';
}

/** logical path → digest, or (across algorithms) logical path → content paths joined. */
function logical(state: Record<string, string[]>, paths?: Map<string, string[]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [d, list] of Object.entries(state)) {
    if (!Array.isArray(list)) continue;
    for (const p of list) out.set(p, paths ? (paths.get(d.toLowerCase()) ?? []).join('\u0000') : d.toLowerCase());
  }
  return out;
}
function rootPathsOf(inv: Inventory): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const [d, list] of Object.entries(inv.manifest ?? {})) m.set(d.toLowerCase(), Array.isArray(list) ? list : []);
  return m;
}
function overlaps(a: string, b: string): boolean {
  const as = new Set(a.split('\u0000'));
  return b.split('\u0000').some((x) => as.has(x));
}

async function walk(dir: string, rel: string, c: Collector): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const p = join(dir, e.name);
    const r = `${rel}/${e.name}`;
    if (e.isSymbolicLink()) c.error('E090', p, `${r} is a symbolic link; OCFL objects may not contain links.`);
    else if (e.isDirectory()) {
      const inner = await walk(p, r, c);
      const hasAny = (await readdir(p)).length > 0;
      if (!hasAny) c.error('E024', p, `${r} is an empty directory; content directories may not hold empty directories.`);
      out.push(...inner);
    } else out.push(r);
  }
  return out;
}

/** An extensions directory: in an object (E067, W013) or a storage root (E112, W016). */
async function checkExtensions(dir: string, c: Collector, where: 'object' | 'storage root' = 'object'): Promise<void> {
  const [fileCode, nameCode] = where === 'object' ? ['E067', 'W013'] : ['E112', 'W016'];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (!e.isDirectory()) c.error(fileCode, p, `The extensions directory holds a file "${e.name}"; only extension directories may be there.`);
    else if (!REGISTERED_EXTENSIONS.has(e.name)) c.warn(nameCode, p, `"${e.name}" is not a registered OCFL extension.`);
  }
}
export { checkExtensions };

/**
 * Finds the "payload held elsewhere" marker for an object inside a Distillery storage root, by
 * walking up to the storage root declaration.
 */
async function findElsewhereMarker(objectRoot: string, id: string): Promise<Set<string> | undefined> {
  let dir = dirname(objectRoot);
  for (let i = 0; i < 12; i++) {
    const isRoot = await stat(join(dir, '0=ocfl_1.1')).then(() => true, () => stat(join(dir, '0=ocfl_1.0')).then(() => true, () => false));
    if (isRoot) {
      const rel = relative(dir, objectRoot).split(sep).join('/');
      const marker = join(companionPath(dir), 'payload-elsewhere', `${rel}.json`);
      const text = await readFile(marker, 'utf8').catch(() => undefined);
      if (!text) return undefined;
      const parsed = JSON.parse(text) as { objectId: string; contentPaths: string[] };
      return parsed.objectId === id ? new Set(parsed.contentPaths) : undefined;
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
  return undefined;
}
