/**
 * Generated damage to valid objects, each verdict checked against the rule of the OCFL 1.1
 * specification (https://ocfl.io/1.1/spec/, validation-codes.md; RFC 3339 for dates; extension
 * 0009 for fixity algorithms). The expected verdicts below are written from those texts, not from
 * what the validator happens to report: every official 1.1 good object (and the sha256 warn
 * object) is damaged one way at a time — dates, digests, fixity blocks, version block types,
 * sidecars, keys at every level, stray files — and each case names the code the specification
 * gives, or "valid" when the change is allowed.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { cp, mkdtemp, readFile, rm, writeFile, mkdir, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { validateObject } from '../../src/ocfl/index.js';

const FIX11 = resolve(import.meta.dirname, '../fixtures/ocfl/1.1');
/**
 * Objects to damage: one version or several, the content directory named otherwise, uppercase
 * digests, md5 fixity already present, sha256 content addressing, no content at all. Dates are
 * tried on the first two only (the rule does not depend on the object).
 */
const BASES = [
  'good-objects/minimal_one_version_one_file',
  'good-objects/spec-ex-full',
  'good-objects/minimal_content_dir_called_stuff',
  'good-objects/minimal_uppercase_digests',
  'good-objects/updates_all_actions',
  'good-objects/minimal_no_content',
  'warn-objects/W004_uses_sha256',
].map((b) => join(FIX11, b));
const DATE_BASES = new Set(BASES.slice(0, 2));

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What the specification says of a damaged object: valid (maybe with a warning), or an error code. */
type Verdict = { valid: true; warning?: string } | { valid: false; code: string };

interface Mutation {
  name: string;
  /** A date case: tried on DATE_BASES only. */
  date?: boolean;
  /** The rule, quoted or summarised from the specification. */
  rule: string;
  verdict: Verdict;
  /** Only for objects where it applies (e.g. ones with content files). */
  applies?: (inv: Json) => boolean;
  apply: (obj: string, inv: Json) => Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Helpers that change an object

async function readInv(obj: string): Promise<Json> {
  return JSON.parse(await readFile(join(obj, 'inventory.json'), 'utf8')) as Json;
}

/** Writes `inv` as the root inventory and the head version's, each with a correct sidecar. */
async function writeInv(obj: string, inv: Json): Promise<void> {
  const bytes = JSON.stringify(inv, null, 1);
  const alg = inv.digestAlgorithm as string;
  const side = `${createHash(alg).update(bytes).digest('hex')} inventory.json\n`;
  for (const d of [obj, join(obj, inv.head)]) {
    await writeFile(join(d, 'inventory.json'), bytes);
    await writeFile(join(d, `inventory.json.${alg}`), side);
  }
}

const edit = (change: (inv: Json) => void) => async (obj: string, inv: Json) => {
  change(inv);
  await writeInv(obj, inv);
};

const firstContent = (inv: Json): { digest: string; path: string } => {
  const [digest, paths] = Object.entries(inv.manifest as Record<string, string[]>)[0];
  return { digest, path: paths[0] };
};
const hasContent = (inv: Json) => Object.keys(inv.manifest).length > 0;

/** Digest values computed by tools other than the validator: Node's crypto, coreutils b2sum, OpenSSL, stat. */
function reference(alg: string, file: string, bytes: Buffer): string {
  switch (alg) {
    case 'md5':
    case 'sha1':
    case 'sha256':
    case 'sha512':
      return createHash(alg).update(bytes).digest('hex');
    case 'blake2b-512':
      return execFileSync('b2sum', ['-l', '512', file], { encoding: 'utf8' }).split(' ')[0];
    case 'blake2b-160':
    case 'blake2b-256':
    case 'blake2b-384':
      return execFileSync('b2sum', ['-l', alg.slice(8), file], { encoding: 'utf8' }).split(' ')[0];
    case 'sha512/256':
      return execFileSync('openssl', ['dgst', '-sha512-256', '-r', file], { encoding: 'utf8' }).split(' ')[0];
    case 'size':
      return String(bytes.length);
    default:
      throw new Error(alg);
  }
}

/** A digest of the same shape with one hex digit changed (or, for size, one more byte). */
const wrong = (alg: string, d: string) => (alg === 'size' ? String(Number(d) + 1) : (d[0] === '0' ? '1' : '0') + d.slice(1));

// ---------------------------------------------------------------------------------------------
// Dates (RFC 3339 §5.6 date-time with full-time; §5.7 ranges; spec: "to the second", a time zone)

/** A small seeded generator, so every run tests the same cases. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const p2 = (n: number) => String(n).padStart(2, '0');
/** Days in a month, from the calendar (Date.UTC of day 0 of the next month). */
const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

function dateCases(): { created: string; valid: boolean; why: string }[] {
  const r = rng(20241205);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const out: { created: string; valid: boolean; why: string }[] = [];
  for (let i = 0; i < 12; i++) {
    const y = int(1970, 2099);
    const m = int(1, 12);
    const d = int(1, daysIn(y, m));
    const [h, mi, s] = [int(0, 23), int(0, 59), int(0, 59)];
    const oh = int(0, 23);
    const om = int(0, 59);
    const off = i % 3 === 0 ? 'Z' : `${i % 2 ? '+' : '-'}${p2(oh)}:${p2(om)}`;
    const frac = i % 4 === 1 ? `.${int(0, 999999)}` : '';
    const base = (yy = y, mm = m, dd = d, hh = h, mn = mi, ss = s, o = off) => `${yy}-${p2(mm)}-${p2(dd)}T${p2(hh)}:${p2(mn)}:${p2(ss)}${frac}${o}`;
    out.push({ created: base(), valid: true, why: 'a real date and time' });
    const kind = i % 8;
    if (kind === 0) out.push({ created: base(y, 13 + int(0, 86)), valid: false, why: 'month above 12' });
    if (kind === 1) out.push({ created: base(y, m, daysIn(y, m) + 1), valid: false, why: 'day after the last of its month' });
    if (kind === 2) out.push({ created: base(y, m, 0), valid: false, why: 'day 0' });
    if (kind === 3) out.push({ created: base(y, m, d, 24 + int(0, 75)), valid: false, why: 'hour above 23' });
    if (kind === 4) out.push({ created: base(y, m, d, h, 60 + int(0, 39)), valid: false, why: 'minute above 59' });
    if (kind === 5) out.push({ created: base(y, m, d, h, mi, s, `+${p2(24 + int(0, 75))}:00`), valid: false, why: 'offset hour above 23' });
    if (kind === 6) out.push({ created: base(y, m, d, h, mi, s, `-00:${p2(60 + int(0, 39))}`), valid: false, why: 'offset minute above 59' });
    if (kind === 7) out.push({ created: base().replace(/([+-]\d\d:\d\d|Z)$/, ''), valid: false, why: 'no time zone' });
  }
  // 29 February exists only in leap years (divisible by 4, except centuries not divisible by 400).
  for (const y of [1900, 2000, 2023, 2024, 2100]) {
    const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
    out.push({ created: `${y}-02-29T12:00:00Z`, valid: leap, why: leap ? '29 February of a leap year' : '29 February of a common year' });
  }
  // Second 60 only at a leap second (IERS Bulletin C: the last was at the end of 2016-12-31 UTC).
  out.push({ created: '2016-12-31T23:59:60Z', valid: true, why: 'the leap second of 2016' });
  out.push({ created: '2017-01-01T00:59:60+01:00', valid: true, why: 'the same leap second, at +01:00' });
  out.push({ created: '2017-12-31T23:59:60Z', valid: false, why: 'no leap second at the end of 2017' });
  out.push({ created: '2016-12-31T22:59:60Z', valid: false, why: 'second 60 an hour early' });
  out.push({ created: '2016-12-31T23:59Z', valid: false, why: 'no seconds' });
  out.push({ created: '2016-12-31 23:59:59Z', valid: false, why: 'no T' });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The mutations

const FIXITY_REGISTERED = ['md5', 'sha1', 'sha256', 'sha512', 'blake2b-512', 'blake2b-160', 'blake2b-256', 'blake2b-384', 'sha512/256', 'size'];

function mutations(): Mutation[] {
  const list: Mutation[] = [];
  for (const c of dateCases()) {
    list.push({
      name: `created ${c.created} (${c.why})`,
      date: true,
      rule: 'created MUST be an RFC 3339 date-time (E049)',
      verdict: c.valid ? { valid: true } : { valid: false, code: 'E049' },
      apply: edit((inv) => (inv.versions[inv.head].created = c.created)),
    });
  }

  // Digests
  list.push({
    name: 'a manifest digest (and the state using it) changed to another value of the same shape',
    rule: 'the manifest digest must be the digest of the file at each of its content paths (E092)',
    verdict: { valid: false, code: 'E092' },
    applies: hasContent,
    apply: edit((inv) => {
      const { digest } = firstContent(inv);
      const bad = wrong('x', digest);
      inv.manifest[bad] = inv.manifest[digest];
      delete inv.manifest[digest];
      for (const v of Object.values(inv.versions as Record<string, Json>)) {
        if (v.state[digest]) {
          v.state[bad] = v.state[digest];
          delete v.state[digest];
        }
      }
    }),
  });
  list.push({
    name: 'a state digest that is not in the manifest',
    rule: 'every state digest MUST correspond to a manifest digest (E050)',
    verdict: { valid: false, code: 'E050' },
    applies: hasContent,
    apply: edit((inv) => {
      const state = inv.versions[inv.head].state as Record<string, string[]>;
      state['f'.repeat(inv.digestAlgorithm === 'sha256' ? 64 : 128)] = ['not-stored.txt'];
    }),
  });

  // Fixity blocks
  for (const alg of FIXITY_REGISTERED) {
    list.push({
      name: `a correct ${alg} fixity value`,
      rule: `${alg} is ${['md5', 'sha1', 'sha256', 'sha512', 'blake2b-512'].includes(alg) ? 'named by the specification' : 'registered by extension 0009'}; a matching value is valid`,
      verdict: { valid: true },
      applies: hasContent,
      apply: async (obj, inv) => {
        const { path } = firstContent(inv);
        const file = join(obj, path);
        inv.fixity = { [alg]: { [reference(alg, file, await readFile(file))]: [path] } };
        await writeInv(obj, inv);
      },
    });
    list.push({
      name: `a wrong ${alg} fixity value`,
      rule: 'fixity values MUST match the digests of the files at their content paths (E093)',
      verdict: { valid: false, code: 'E093' },
      applies: hasContent,
      apply: async (obj, inv) => {
        const { path } = firstContent(inv);
        const file = join(obj, path);
        inv.fixity = { [alg]: { [wrong(alg, reference(alg, file, await readFile(file)))]: [path] } };
        await writeInv(obj, inv);
      },
    });
  }
  for (const alg of ['crc32', 'sha3-256', 'SHA512', 'md6']) {
    list.push({
      name: `an unregistered fixity algorithm ${alg}`,
      rule: 'fixity algorithms are those of the specification or of a registered extension (0009) (E056)',
      verdict: { valid: false, code: 'E056' },
      applies: hasContent,
      apply: edit((inv) => (inv.fixity = { [alg]: { '00000000': [firstContent(inv).path] } })),
    });
  }
  list.push({
    name: 'a fixity content path not in the manifest',
    rule: 'fixity content paths MUST be content paths of the manifest (E057)',
    verdict: { valid: false, code: 'E057' },
    applies: hasContent,
    apply: edit((inv) => (inv.fixity = { md5: { d41d8cd98f00b204e9800998ecf8427e: ['v1/content/not-there.txt'] } })),
  });
  list.push({
    name: 'one md5 digest twice in a fixity block, differing only in case',
    rule: 'each digest occurs only once per fixity algorithm, regardless of case (E097)',
    verdict: { valid: false, code: 'E097' },
    applies: hasContent,
    apply: async (obj, inv) => {
      const { path } = firstContent(inv);
      const d = createHash('md5').update(await readFile(join(obj, path))).digest('hex');
      if (d === d.toUpperCase()) throw new Error('digest without letters');
      inv.fixity = { md5: { [d]: [path], [d.toUpperCase()]: [path] } };
      await writeInv(obj, inv);
    },
  });
  list.push({
    name: 'an empty fixity block',
    rule: 'fixity, if present, MUST be a JSON object, which may be empty',
    verdict: { valid: true },
    apply: edit((inv) => (inv.fixity = {})),
  });
  list.push({
    name: 'fixity as a list',
    rule: 'fixity MUST be a JSON object (E111)',
    verdict: { valid: false, code: 'E111' },
    apply: edit((inv) => (inv.fixity = [])),
  });

  // Version block types
  for (const [what, value] of [['a string', 'v'], ['a number', 1], ['a list', []], ['null', null]] as const) {
    list.push({
      name: `the head version block as ${what}`,
      rule: 'each version block MUST be a JSON object (E047)',
      verdict: { valid: false, code: 'E047' },
      apply: edit((inv) => (inv.versions[inv.head] = value)),
    });
  }
  list.push({
    name: 'created as a number',
    rule: 'created MUST be an RFC 3339 date-time string (E049)',
    verdict: { valid: false, code: 'E049' },
    apply: edit((inv) => (inv.versions[inv.head].created = 1700000000)),
  });
  list.push({
    name: 'no created',
    rule: 'a version block MUST have created (E048)',
    verdict: { valid: false, code: 'E048' },
    apply: edit((inv) => delete inv.versions[inv.head].created),
  });
  list.push({
    name: 'message as a number',
    rule: 'message MUST be a JSON string (E094)',
    verdict: { valid: false, code: 'E094' },
    apply: edit((inv) => (inv.versions[inv.head].message = 42)),
  });
  list.push({
    name: 'user as a string',
    rule: 'user MUST be a JSON object with a name (E054)',
    verdict: { valid: false, code: 'E054' },
    apply: edit((inv) => (inv.versions[inv.head].user = 'someone')),
  });
  list.push({
    name: 'user without a name',
    rule: 'user MUST contain a name (E054)',
    verdict: { valid: false, code: 'E054' },
    apply: edit((inv) => (inv.versions[inv.head].user = { address: 'mailto:a@example.org' })),
  });
  list.push({
    name: 'no message and no user',
    rule: 'a version SHOULD have message and user (W007)',
    verdict: { valid: true, warning: 'W007' },
    apply: edit((inv) => {
      delete inv.versions[inv.head].message;
      delete inv.versions[inv.head].user;
    }),
  });

  // Keys at every level
  list.push({ name: 'an extra top-level key', rule: 'no keys that are not specified (E102)', verdict: { valid: false, code: 'E102' }, apply: edit((inv) => (inv.extra = 1)) });
  list.push({ name: 'an extra key in a version block', rule: 'no keys that are not specified (E102)', verdict: { valid: false, code: 'E102' }, apply: edit((inv) => (inv.versions[inv.head].tags = ['x'])) });
  list.push({
    name: 'an extra key in user',
    rule: 'no keys that are not specified (E102); user holds name and address',
    verdict: { valid: false, code: 'E102' },
    apply: edit((inv) => (inv.versions[inv.head].user = { name: 'A', address: 'mailto:a@example.org', role: 'archivist' })),
  });
  list.push({
    name: 'keys in another order at every level',
    rule: 'JSON key order has no meaning; the object is unchanged',
    verdict: { valid: true },
    apply: edit((inv) => {
      const reverse = (o: Json): Json => Object.fromEntries(Object.entries(o).reverse().map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? reverse(v as Json) : v]));
      const r = reverse(inv);
      for (const k of Object.keys(inv)) delete inv[k];
      Object.assign(inv, r);
    }),
  });

  // Sidecars
  list.push({
    name: 'the root sidecar with a wrong digest',
    rule: 'the sidecar MUST contain the digest of the inventory (E060)',
    verdict: { valid: false, code: 'E060' },
    apply: async (obj, inv) => {
      const p = join(obj, `inventory.json.${inv.digestAlgorithm}`);
      const text = await readFile(p, 'utf8');
      await writeFile(p, (text[0] === '0' ? '1' : '0') + text.slice(1));
    },
  });
  list.push({
    name: 'no root sidecar',
    rule: 'every inventory MUST have its sidecar (E058)',
    verdict: { valid: false, code: 'E058' },
    apply: (obj, inv) => rm(join(obj, `inventory.json.${inv.digestAlgorithm}`)),
  });
  list.push({
    name: 'a sidecar without the file name',
    rule: 'the sidecar MUST follow the format DIGEST inventory.json (E061)',
    verdict: { valid: false, code: 'E061' },
    apply: async (obj, inv) => {
      const p = join(obj, `inventory.json.${inv.digestAlgorithm}`);
      await writeFile(p, (await readFile(p, 'utf8')).split(/\s/)[0] + '\n');
    },
  });
  list.push({
    name: 'a sidecar ending in CRLF',
    rule: 'DIGEST, whitespace, inventory.json: the line end is not part of the format; accepted',
    verdict: { valid: true },
    apply: async (obj, inv) => {
      const p = join(obj, `inventory.json.${inv.digestAlgorithm}`);
      await writeFile(p, (await readFile(p, 'utf8')).replace(/\n$/, '\r\n'));
    },
  });
  list.push({
    name: 'a sidecar of the other algorithm beside the head version inventory',
    rule: 'a version directory holds only the inventory and its digest, and nothing else as files (E015)',
    verdict: { valid: false, code: 'E015' },
    apply: async (obj, inv) => {
      const other = inv.digestAlgorithm === 'sha512' ? 'sha256' : 'sha512';
      const bytes = await readFile(join(obj, inv.head, 'inventory.json'));
      await writeFile(join(obj, inv.head, `inventory.json.${other}`), `${createHash(other).update(bytes).digest('hex')} inventory.json\n`);
    },
  });
  list.push({
    name: 'a sidecar of the other algorithm in the object root',
    rule: 'the object root holds nothing but what the specification lists (E001)',
    verdict: { valid: false, code: 'E001' },
    apply: async (obj, inv) => {
      const other = inv.digestAlgorithm === 'sha512' ? 'sha256' : 'sha512';
      const bytes = await readFile(join(obj, 'inventory.json'));
      await writeFile(join(obj, `inventory.json.${other}`), `${createHash(other).update(bytes).digest('hex')} inventory.json\n`);
    },
  });

  // Stray files and directories
  list.push({ name: 'a file in the object root', rule: 'nothing else in the object root (E001)', verdict: { valid: false, code: 'E001' }, apply: (obj) => writeFile(join(obj, 'README.txt'), 'x') });
  list.push({ name: 'a directory in the object root', rule: 'nothing else in the object root (E001)', verdict: { valid: false, code: 'E001' }, apply: (obj) => mkdir(join(obj, 'metadata')).then(() => writeFile(join(obj, 'metadata', 'a'), 'x')) });
  list.push({ name: 'a file in the head version directory', rule: 'no other files in a version directory (E015)', verdict: { valid: false, code: 'E015' }, apply: (obj, inv) => writeFile(join(obj, inv.head, 'notes.txt'), 'x') });
  list.push({
    name: 'a directory beside the content directory',
    rule: 'a version directory SHOULD NOT hold other directories (W002)',
    verdict: { valid: true, warning: 'W002' },
    apply: (obj, inv) => mkdir(join(obj, inv.head, 'extra')).then(() => writeFile(join(obj, inv.head, 'extra', 'a'), 'x')),
  });
  list.push({
    name: 'a file in a content directory that no manifest lists',
    rule: 'every file in the object MUST be in the manifest (E023)',
    verdict: { valid: false, code: 'E023' },
    apply: async (obj, inv) => {
      const dir = join(obj, inv.head, (inv.contentDirectory as string | undefined) ?? 'content');
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'stray-file.bin'), 'not listed');
    },
  });
  list.push({ name: 'a file directly in extensions/', rule: 'extensions holds only extension directories (E067)', verdict: { valid: false, code: 'E067' }, apply: (obj) => mkdir(join(obj, 'extensions'), { recursive: true }).then(() => writeFile(join(obj, 'extensions', 'x.txt'), 'x')) });
  list.push({
    name: 'an unregistered extension directory',
    rule: 'extension directories SHOULD have registered names (W013)',
    verdict: { valid: true, warning: 'W013' },
    apply: (obj) => mkdir(join(obj, 'extensions', 'local-notes'), { recursive: true }).then(() => writeFile(join(obj, 'extensions', 'local-notes', 'a'), 'x')),
  });
  list.push({
    name: 'a log file',
    rule: 'the logs directory may hold anything (W012 is advice for writers)',
    verdict: { valid: true },
    apply: (obj) => mkdir(join(obj, 'logs'), { recursive: true }).then(() => appendFile(join(obj, 'logs', 'events.log'), 'checked\n')),
  });
  return list;
}

// ---------------------------------------------------------------------------------------------

const work = mkdtemp(join(tmpdir(), 'ocfl-mut-'));
afterAll(async () => rm(await work, { recursive: true, force: true }));

const MUTATIONS = mutations();

describe.each(BASES.map((b) => [b.split('/').slice(-1)[0], b]))('damaging %s', (_name, base) => {
  const baseInv = JSON.parse(readFileSync(join(base, 'inventory.json'), 'utf8')) as Json;
  // Only damage that applies to this object (nothing to change in a fixity value without content).
  const cases = MUTATIONS.filter((m) => (!m.date || DATE_BASES.has(base)) && (!m.applies || m.applies(baseInv))).map((m) => [m.name, m] as const);
  let baseline: Set<string> | undefined;
  it.each(cases)('%s', async (_n, m) => {
    // The object's own warnings before any damage (W004 for the sha256 object).
    baseline ??= new Set((await validateObject(base)).warnings.map((w) => w.code));
    const obj = join(await work, `${Math.random().toString(36).slice(2)}`);
    await cp(base, obj, { recursive: true });
    await m.apply(obj, await readInv(obj));
    const r = await validateObject(obj);
    const errors = [...new Set(r.errors.map((e) => e.code))];
    const why = `${m.rule}; reported ${JSON.stringify(r.errors.concat(r.warnings).map((i) => `${i.code} ${i.message}`))}`;
    if (m.verdict.valid) {
      expect(errors, why).toEqual([]);
      const allowed = new Set([...baseline, ...(m.verdict.warning ? [m.verdict.warning] : [])]);
      for (const w of r.warnings) expect(allowed.has(w.code), why).toBe(true);
      if (m.verdict.warning) expect(r.warnings.map((w) => w.code), why).toContain(m.verdict.warning);
    } else {
      expect(r.valid, why).toBe(false);
      expect(errors, why).toContain(m.verdict.code);
    }
    await rm(obj, { recursive: true, force: true });
  });
});
