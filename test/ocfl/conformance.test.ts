/**
 * Validator rules found missing or wrong when the validator was checked against the OCFL 1.1
 * specification (https://ocfl.io/1.1/spec/, validation-codes.md) and extension 0009. Each case
 * starts from a valid official fixture copied to a temp folder, changes one thing and checks the
 * verdict the specification gives.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { cp, mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { validateObject, validateStorageRoot, commitVersion } from '../../src/ocfl/index.js';
import { ocflCommand } from '../../src/ocfl/cli.js';
import { META } from './helpers.js';

const FIX11 = resolve(import.meta.dirname, '../fixtures/ocfl/1.1');
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A copy of a 1.1 good fixture (minimal_one_version_one_file unless named). */
export async function copyFixture(name = 'minimal_one_version_one_file', kind = 'good-objects'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ocfl-conf-'));
  dirs.push(dir);
  const obj = join(dir, name);
  await cp(join(FIX11, kind, name), obj, { recursive: true });
  return obj;
}

/** Rewrites the root inventory and the head version's copy (with correct sidecars) after `change`. */
export async function mutate(obj: string, change: (inv: Json) => void): Promise<void> {
  const inv = JSON.parse(await readFile(join(obj, 'inventory.json'), 'utf8')) as Json;
  change(inv);
  const bytes = JSON.stringify(inv, null, 2);
  const alg = inv.digestAlgorithm as string;
  const side = `${createHash(alg).update(bytes).digest('hex')} inventory.json\n`;
  for (const d of [obj, join(obj, inv.head)]) {
    await writeFile(join(d, 'inventory.json'), bytes);
    await writeFile(join(d, `inventory.json.${alg}`), side);
  }
}

/** The distinct error codes (the root and head inventories, both changed, report the same problem). */
const codes = (r: { errors: { code: string }[] }) => [...new Set(r.errors.map((e) => e.code))].sort();

describe('created is a real RFC 3339 date-time (E049)', () => {
  const invalid = [
    '2021-13-01T00:00:00Z', // month 13
    '2020-02-30T00:00:00Z', // 30 February
    '2021-02-29T00:00:00Z', // 29 February in a common year
    '1900-02-29T00:00:00Z', // 1900 is not a leap year
    '2021-01-32T00:00:00Z', // day 32
    '2021-04-31T00:00:00Z', // 31 April
    '2021-01-01T24:00:00Z', // hour 24
    '2021-01-01T12:60:00Z', // minute 60
    '2021-01-01T12:00:61Z', // second 61
    '2021-06-30T23:59:60Z', // no leap second that day
    '2016-12-31T12:59:60Z', // leap second day, wrong time
    '2021-01-01T12:00:00+24:00', // offset hour 24
    '2021-01-01T12:00:00+05:60', // offset minute 60
    '2021-01-01 12:00:00Z', // no T
    '2021-01-01T12:00Z', // no seconds
    '2021-01-01T12:00:00', // no offset
  ];
  const valid = ['2016-12-31T23:59:60Z', '2016-12-31T18:59:60-05:00', '2015-06-30T23:59:60.5Z', '2024-02-29T23:59:59.123456+14:00', '2000-02-29T00:00:00z', '2019-03-14t20:31:00-00:00'];

  it.each(invalid)('%s is rejected with E049', async (created) => {
    const obj = await copyFixture();
    await mutate(obj, (inv) => (inv.versions.v1.created = created));
    const r = await validateObject(obj);
    expect(codes(r)).toEqual(['E049']);
  });
  it.each(valid)('%s is accepted', async (created) => {
    const obj = await copyFixture();
    await mutate(obj, (inv) => (inv.versions.v1.created = created));
    const r = await validateObject(obj);
    expect(r.errors).toEqual([]);
  });
});

describe('fixity values are checked for every registered algorithm (E093), unregistered ones refused (E056)', () => {
  /** Extension 0009 values computed by other tools: coreutils b2sum, OpenSSL, the file size. */
  function reference(file: string): Record<string, string> {
    const b2 = (bits: number) => execFileSync('b2sum', ['-l', String(bits), file], { encoding: 'utf8' }).split(' ')[0];
    return {
      'blake2b-160': b2(160),
      'blake2b-256': b2(256),
      'blake2b-384': b2(384),
      'sha512/256': execFileSync('openssl', ['dgst', '-sha512-256', '-r', file], { encoding: 'utf8' }).split(' ')[0],
      size: String(statSync(file).size),
    };
  }
  /** The fixture with all the specification's fixity digests, plus the five of extension 0009. */
  async function allFixity(): Promise<string> {
    const obj = await copyFixture('ocfl_object_all_fixity_digests');
    const inv = JSON.parse(await readFile(join(obj, 'inventory.json'), 'utf8')) as Json;
    const extra: Record<string, Record<string, string[]>> = {};
    for (const paths of Object.values(inv.manifest as Record<string, string[]>)) {
      for (const p of paths) for (const [alg, d] of Object.entries(reference(join(obj, p)))) ((extra[alg] ??= {})[d] ??= []).push(p);
    }
    await mutate(obj, (i) => Object.assign(i.fixity, extra));
    return obj;
  }

  it('correct values of all ten algorithms are valid', async () => {
    const obj = await allFixity();
    const inv = JSON.parse(await readFile(join(obj, 'inventory.json'), 'utf8')) as Json;
    expect(Object.keys(inv.fixity).sort()).toEqual(['blake2b-160', 'blake2b-256', 'blake2b-384', 'blake2b-512', 'md5', 'sha1', 'sha256', 'sha512', 'sha512/256', 'size']);
    const r = await validateObject(obj);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it.each(['sha512/256', 'blake2b-160', 'blake2b-256', 'blake2b-384', 'size', 'md5', 'blake2b-512'])('a wrong %s value gives E093', async (alg) => {
    const obj = await allFixity();
    await mutate(obj, (inv) => {
      const block = inv.fixity[alg] as Record<string, string[]>;
      const [d, paths] = Object.entries(block)[0];
      delete block[d];
      // Same shape, different value: a digit changed, or one more byte.
      const wrong = alg === 'size' ? String(Number(d) + 1) : (d[0] === '0' ? '1' : '0') + d.slice(1);
      block[wrong] = paths;
    });
    const r = await validateObject(obj);
    expect(codes(r)).toEqual(['E093']);
  });

  it('crc32, registered neither in the specification nor in extension 0009, gives E056', async () => {
    const obj = await copyFixture();
    await mutate(obj, (inv) => {
      const path = Object.values(inv.manifest as Record<string, string[]>)[0][0];
      inv.fixity = { crc32: { '7ee28ae3': [path] } };
    });
    expect(codes(await validateObject(obj))).toContain('E056');
  });
});

describe('version directories and sidecars', () => {
  it('a sidecar for the other algorithm in a version directory gives E015', async () => {
    const obj = await copyFixture(); // sha512
    await writeFile(join(obj, 'v1', 'inventory.json.sha256'), `${createHash('sha256').update(await readFile(join(obj, 'v1', 'inventory.json'))).digest('hex')} inventory.json\n`);
    expect(codes(await validateObject(obj))).toEqual(['E015']);
  });

  it.each([
    ['CRLF', (d: string) => `${d} inventory.json\r\n`],
    ['trailing spaces', (d: string) => `${d}\tinventory.json  \n`],
    ['trailing blank lines', (d: string) => `${d} inventory.json\n\n`],
  ])('a sidecar with %s is accepted (noted, not an error)', async (_what, text) => {
    const obj = await copyFixture();
    const digest = createHash('sha512').update(await readFile(join(obj, 'inventory.json'))).digest('hex');
    await writeFile(join(obj, 'inventory.json.sha512'), text(digest));
    const r = await validateObject(obj);
    expect(r.errors).toEqual([]);
    expect(r.notes.map((n) => n.code)).toContain('I-SIDECAR-WHITESPACE');
  });

  it('a sidecar without "inventory.json" or with two digests is still E061', async () => {
    const obj = await copyFixture();
    const digest = createHash('sha512').update(await readFile(join(obj, 'inventory.json'))).digest('hex');
    await writeFile(join(obj, 'inventory.json.sha512'), `${digest}\n`);
    expect(codes(await validateObject(obj))).toContain('E061');
    await writeFile(join(obj, 'inventory.json.sha512'), `${digest} inventory.json\n${digest} inventory.json\n`);
    expect(codes(await validateObject(obj))).toContain('E061');
  });
});

describe('unknown keys at every level (E102) and contentDirectory (E017/E018)', () => {
  it('an extra key in a version block gives E102', async () => {
    const obj = await copyFixture();
    await mutate(obj, (inv) => (inv.versions.v1.note = 'extra'));
    expect(codes(await validateObject(obj))).toEqual(['E102']);
  });
  it('an extra key in user gives E102', async () => {
    const obj = await copyFixture();
    await mutate(obj, (inv) => (inv.versions.v1.user.orcid = 'https://orcid.org/0000-0002-1825-0097'));
    expect(codes(await validateObject(obj))).toEqual(['E102']);
  });
  it.each(['.', '..'])('contentDirectory "%s" gives E018, not E017', async (cd) => {
    const obj = await copyFixture();
    await mutate(obj, (inv) => (inv.contentDirectory = cd));
    const got = codes(await validateObject(obj));
    expect(got).toContain('E018');
    expect(got).not.toContain('E017');
  });
  it('contentDirectory with a slash gives E017', async () => {
    const obj = await copyFixture();
    await mutate(obj, (inv) => (inv.contentDirectory = 'a/b'));
    expect(codes(await validateObject(obj))).toContain('E017');
  });
});

describe('W011 compares values, not JSON key order', () => {
  it('user keys in another order in the version inventory give no warning; a changed value does', async () => {
    const obj = await copyFixture('updates_three_versions_one_file');
    const v1 = JSON.parse(await readFile(join(obj, 'v1', 'inventory.json'), 'utf8')) as Json;
    const user = v1.versions.v1.user as Json;
    expect(Object.keys(user).length).toBe(2);
    v1.versions.v1.user = Object.fromEntries(Object.entries(user).reverse());
    const write = async (inv: Json) => {
      const bytes = JSON.stringify(inv, null, 2);
      await writeFile(join(obj, 'v1', 'inventory.json'), bytes);
      await writeFile(join(obj, 'v1', 'inventory.json.sha512'), `${createHash('sha512').update(bytes).digest('hex')} inventory.json\n`);
    };
    await write(v1);
    const same = await validateObject(obj);
    expect(same.errors).toEqual([]);
    expect(same.warnings).toEqual([]);
    v1.versions.v1.user.name = 'Someone Else';
    await write(v1);
    expect((await validateObject(obj)).warnings.map((w) => w.code)).toEqual(['W011']);
  });
});

describe('storage roots', () => {
  async function root(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'ocfl-conf-root-'));
    dirs.push(dir);
    const r = join(dir, 'root');
    await mkdir(join(dir, 'src'));
    await writeFile(join(dir, 'src', 'a.txt'), 'a');
    await commitVersion(r, 'ark:/99999/conf1', [{ logicalPath: 'a.txt', sourcePath: join(dir, 'src', 'a.txt') }], META);
    return r;
  }

  it('the root Distillery writes is valid', async () => {
    const r = await validateStorageRoot(await root());
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });
  it('an ocfl_layout.json naming an unregistered extension gives E071', async () => {
    const r = await root();
    await writeFile(join(r, 'ocfl_layout.json'), JSON.stringify({ extension: '9999-my-layout', description: 'ours' }));
    expect(codes(await validateStorageRoot(r))).toEqual(['E071']);
  });
  it('a file in the storage root extensions/ gives E112 (the object-level E067 is for objects)', async () => {
    const r = await root();
    await writeFile(join(r, 'extensions', 'notes.txt'), 'x');
    expect(codes(await validateStorageRoot(r))).toEqual(['E112']);
  });
  it('"ocfl validate" on a storage root that lost its declaration reports E069, not E003/E063', async () => {
    const r = await root();
    await rm(join(r, '0=ocfl_1.1'));
    let out = '';
    const code = await ocflCommand(['validate', r, '--json'], { out: (t) => (out += t), err: () => {} });
    expect(code).toBe(1);
    const got = (JSON.parse(out) as { errors: { code: string }[] }).errors.map((e) => e.code);
    expect(got).toEqual(['E069']);
  });
});
