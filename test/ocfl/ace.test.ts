/**
 * ACE-format tokens with the local IMS stand-in (LocalIms: ACE's round algorithm with a ledger on
 * disk in place of the remote service, which cannot run here). Compatibility is checked against a
 * token store written by the real UMIACS IMS (ace-cli/store in the ACE repository, BSD licence).
 */
import { describe, it, expect, afterEach, beforeAll, afterAll } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { readdirSync, statSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  commitVersion,
  objectPath,
  removeLocalPayload,
  tokenizeVersion,
  auditObject,
  LocalIms,
} from '../../src/ocfl/index.js';
import { buildTree, proofRoot, parseTokenStore, formatTokenStore, entryFromToken } from '../../src/ocfl/ace/index.js';
import { SEED_HASH } from '../../src/ocfl/ace/ims.js';
import { META, REPO, tempRoot, writeFiles } from './helpers.js';

// Two entries of a token store written by ims.umiacs.umd.edu (round 2907794).
const REAL_STORE =
  'SHA-256 ims.umiacs.umd.edu SHA-256-0 2907794 2011-01-10T11:21:57.280-05:00 481\n./acestore.py\n\n' +
  'X:436d202da16228d9bc54ebebe9aa5048bed8e00118c2444454f5ff013ad4383d\n' +
  'X:105d39511a553ba8105f75ba4ea7dbac798ff12503f637573b153a0d86cfeacc:86d0098b084a861ff265d14cb10806be5d61d79b86c3df5dd29c35901dbb82fc\n' +
  'X:2eb8f41eaf91975b7fef74fac6e2b94db5661d7474a9247104bb123a354d6f19\n' +
  'X:75bdc5cb68a28b9f67b28a11830a3782f8a8bbc530d2f7855d3fbbfd780acab9:f614d210e52b489f3aedd5c8c26e8222fde14b13d58d7c264e53cb97cf5bbbbc\n' +
  'ea82278383755a3f5ec40aa09633218f01681db80dbe54493a74c3dbc58cc7d4:X\n\n' +
  'SHA-256 ims.umiacs.umd.edu SHA-256-0 2907794 2011-01-10T11:21:57.280-05:00 482\n./acestore.pyc\n\n' +
  '906b55fce458c812560c3bbb517d067a203599bbe40beceb4e84e56fb60fd1e1:X\n' +
  'X:105d39511a553ba8105f75ba4ea7dbac798ff12503f637573b153a0d86cfeacc:86d0098b084a861ff265d14cb10806be5d61d79b86c3df5dd29c35901dbb82fc\n' +
  'X:2eb8f41eaf91975b7fef74fac6e2b94db5661d7474a9247104bb123a354d6f19\n' +
  'X:75bdc5cb68a28b9f67b28a11830a3782f8a8bbc530d2f7855d3fbbfd780acab9:f614d210e52b489f3aedd5c8c26e8222fde14b13d58d7c264e53cb97cf5bbbbc\n' +
  'ea82278383755a3f5ec40aa09633218f01681db80dbe54493a74c3dbc58cc7d4:X\n\n';

describe('ACE token store format', () => {
  it('reads and rewrites a store from the real IMS byte for byte', () => {
    const entries = parseTokenStore(REAL_STORE);
    expect(entries.map((e) => e.identifiers)).toEqual([['./acestore.py'], ['./acestore.pyc']]);
    expect(entries[0]).toMatchObject({ digestService: 'SHA-256', imsHost: 'ims.umiacs.umd.edu', tokenClass: 'SHA-256-0', round: 2907794 });
    expect(formatTokenStore(entries)).toBe(REAL_STORE);
  });

  it('recomputes both proofs of the real store to the same round hash (the siblings give each file\'s digest)', () => {
    const [a, b] = parseTokenStore(REAL_STORE);
    // acestore.py and acestore.pyc are siblings: each one's first proof line holds the other's digest.
    const digestPy = Buffer.from(b.proof[0].split(':')[0], 'hex');
    const digestPyc = Buffer.from(a.proof[0].split(':')[1], 'hex');
    const rootA = proofRoot(digestPy, a.proof);
    expect(proofRoot(digestPyc, b.proof)).toEqual(rootA);
    expect(proofRoot(randomBytes(32), a.proof)).not.toEqual(rootA);
  });

  it('rejects a store whose entry length or header is wrong', () => {
    expect(() => parseTokenStore(REAL_STORE.replace(' 481\n', ' 480\n'))).toThrow(/does not have the 480 bytes/);
    expect(() => parseTokenStore(REAL_STORE.replace('ims.umiacs.umd.edu', 'local-ims'))).toThrow(/Bad token store header/);
  });
});

describe('hash tree', () => {
  it.each([1, 2, 3, 4, 5, 7, 8, 13])('with %i leaves and a link, every proof leads to the root and has 2 or 3 hashes a line', (n) => {
    const leaves = Array.from({ length: n }, () => randomBytes(32));
    const link = randomBytes(32);
    const tree = buildTree(leaves, link);
    tree.proofs.forEach((proof, i) => {
      expect(proofRoot(leaves[i], proof)).toEqual(tree.root);
      for (const line of proof) expect([2, 3]).toContain(line.split(':').length);
      expect(proof.at(-1)).toBe(`${link.toString('hex')}:X`);
    });
  });

  it('gives three leaves one parent, as HashTreeBuilder distributes the remainder', () => {
    const leaves = [1, 2, 3].map((i) => createHash('sha256').update(String(i)).digest());
    const tree = buildTree(leaves);
    expect(tree.root).toEqual(createHash('sha256').update(Buffer.concat(leaves)).digest());
    expect(tree.proofs[1]).toEqual([`${leaves[0].toString('hex')}:X:${leaves[2].toString('hex')}`]);
  });
});

describe('tokenizeVersion and auditObject', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('tokens validate; a flipped byte in a payload or in a proof is caught', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const id = 'https://example.org/obj/ace';
    const f = await writeFiles(join(t.dir, 'in'), { 'a.jp2': 'image a', 'b.jp2': 'image b', 'c.jp2': 'image c', 'd.jp2': 'image d' });
    await commitVersion(t.root, id, ['a.jp2', 'b.jp2', 'c.jp2'].map((k) => ({ logicalPath: k, sourcePath: f[k] })), META);
    const ims = new LocalIms(join(t.dir, 'ledger.jsonl'), { minimumLeaves: 4 });
    const store1 = await tokenizeVersion(t.root, id, 'v1', ims);
    expect(store1).toBe(join(t.dir, 'root-distillery', 'tokens', objectPath(id), 'v1.tokens'));
    const text = await readFile(store1, 'utf8');
    const entries = parseTokenStore(text);
    expect(entries.map((e) => e.identifiers[0])).toEqual(['v1/content/a.jp2', 'v1/content/b.jp2', 'v1/content/c.jp2']);
    expect(entries[0].imsHost).toBe('local.ims.invalid');
    expect(entries[0].date).toMatch(/\+00:00$/);

    await commitVersion(t.root, id, ['a.jp2', 'd.jp2'].map((k) => ({ logicalPath: k, sourcePath: f[k] })), META);
    await tokenizeVersion(t.root, id, 'v2', ims);
    const ledger = (await readFile(join(t.dir, 'ledger.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(ledger.map((r) => r.round)).toEqual([0, 1, 2]); // the seed round, then two rounds
    expect(ledger[1].prevHash).toBe(ledger[0].hash);
    expect(ledger[2].prevHash).toBe(ledger[1].hash);
    expect(ledger[1].leafCount).toBe(4); // padded to the minimum
    expect(await ims.checkLedger()).toEqual([]);
    expect(await ims.publishWitness()).toMatchObject({ startRound: 1, endRound: 2, roundCount: 2 });

    let audit = await auditObject(t.root, id, ims);
    expect(audit.ok).toBe(true);
    expect(audit.items.map((i) => i.state)).toEqual(['A', 'A', 'A', 'A']);

    // A flipped byte in a payload file.
    const obj = join(t.root, objectPath(id));
    const target = join(obj, 'v1/content/b.jp2');
    const bytes = await readFile(target);
    bytes[0] ^= 1;
    await writeFile(target, bytes);
    audit = await auditObject(t.root, id, ims);
    expect(audit.ok).toBe(false);
    expect(audit.items.find((i) => i.path === 'v1/content/b.jp2')).toMatchObject({ state: 'C' });
    bytes[0] ^= 1;
    await writeFile(target, bytes);

    // A flipped hex digit in a proof.
    const lines = text.split('\n');
    const proofLine = lines.findIndex((l) => /^[0-9a-f]{64}:X$|^X:[0-9a-f]{64}/.test(l));
    lines[proofLine] = lines[proofLine].replace(/[0-9a-f]/, (c) => (c === '0' ? '1' : '0'));
    await writeFile(store1, lines.join('\n'));
    audit = await auditObject(t.root, id, ims);
    expect(audit.ok).toBe(false);
    expect(audit.items.filter((i) => i.state === 'I')).toHaveLength(1);
    expect(audit.problems[0]).toMatch(/does not match its recorded sha256/);

    // A tampered ledger breaks the chain.
    const led = await readFile(join(t.dir, 'ledger.jsonl'), 'utf8');
    await writeFile(join(t.dir, 'ledger.jsonl'), led.replace(ledger[1].hash, 'f'.repeat(64)));
    expect(await ims.checkLedger()).toEqual(['round 2 does not link to round 1', 'the witness of rounds 1–2 does not match the ledger']);
  });

  it('reports files without a token, and skips payload held elsewhere', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const id = 'https://example.org/obj/ace2';
    const f = await writeFiles(join(t.dir, 'in'), { 'a.jp2': 'image a', 'b.jp2': 'image b' });
    await commitVersion(t.root, id, [{ logicalPath: 'a.jp2', sourcePath: f['a.jp2'] }], META);
    const ims = new LocalIms(join(t.dir, 'ledger.jsonl'));
    await tokenizeVersion(t.root, id, 'v1', ims);
    await removeLocalPayload(t.root, id);
    await commitVersion(t.root, id, [{ logicalPath: 'b.jp2', sourcePath: f['b.jp2'] }], META, { mode: 'merge' });
    const audit = await auditObject(t.root, id, ims);
    expect(audit.heldElsewhere).toBe(1);
    expect(audit.items).toEqual([{ path: 'v2/content/b.jp2', state: 'T', message: expect.stringMatching(/has no ACE token/) }]);
    await tokenizeVersion(t.root, id, 'v2', ims);
    expect((await auditObject(t.root, id, ims)).ok).toBe(true);
  });
});

/**
 * ACE's own code, compiled here with javac from test/ocfl/support/ace-java (ace-common at
 * d0cc596, unchanged): TokenStoreReader and ProofValidator read the stores Distillery writes,
 * HashTreeBuilder computes the witness values independently.
 */
describe("ACE's own reader and tree builder", () => {
  let classes = '';
  let work = '';
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'ace-java-'));
    classes = join(work, 'classes');
    const src = join(REPO, 'test/ocfl/support/ace-java');
    const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.java')).map((f) => join(src, f));
    execFileSync('javac', ['-nowarn', '-d', classes, ...files], { stdio: 'pipe' });
  }, 120_000);
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /** Reads a store with ACE's TokenStoreReader; each identifier's round value by ACE's ProofValidator. */
  async function aceRead(store: string, digests: Map<string, string>): Promise<{ ok: boolean; out: string; rounds: Map<string, { round: number; value: string }> }> {
    const list = join(work, `digests-${Math.random()}`);
    await writeFile(list, [...digests].map(([id, d]) => `${id}\t${d}`).join('\n') + '\n');
    const r = spawnSync('java', ['-cp', classes, 'AceCheck', store, list], { encoding: 'utf8' });
    const rounds = new Map<string, { round: number; value: string }>();
    for (const line of r.stdout.split('\n').filter((l) => l && !l.startsWith('ERROR'))) {
      const [id, round, value] = line.split('\t');
      rounds.set(id, { round: Number(round), value });
    }
    return { ok: r.status === 0, out: r.stdout + r.stderr, rounds };
  }
  const aceTree = (link: string, leaves: string[]) => execFileSync('java', ['-cp', classes, 'AceCheck', 'tree', link, ...leaves], { encoding: 'utf8' }).trim();
  const readLedger = async (path: string) => (await readFile(path, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { round: number; hash: string; prevHash?: string; leafCount: number; seed?: boolean });

  it.each([1, 8])('a one-file first round (minimum %i leaves) gives a token with proof lines that ACE reads to the round value', async (minimumLeaves) => {
    const t = await tempRoot();
    try {
      const id = 'https://example.org/obj/one';
      const f = await writeFiles(join(t.dir, 'in'), { 'only.jp2': 'the only file' });
      await commitVersion(t.root, id, [{ logicalPath: 'only.jp2', sourcePath: f['only.jp2'] }], META);
      const ledgerPath = join(t.dir, 'ledger.jsonl');
      const store = await tokenizeVersion(t.root, id, 'v1', new LocalIms(ledgerPath, { minimumLeaves }));
      const [entry] = parseTokenStore(await readFile(store, 'utf8'));
      expect(entry.proof.length).toBeGreaterThan(0);
      const ledger = await readLedger(ledgerPath);
      expect(ledger[0]).toMatchObject({ round: 0, seed: true, hash: SEED_HASH });
      expect(ledger[1]).toMatchObject({ round: 1, prevHash: SEED_HASH, leafCount: minimumLeaves });
      const sha = createHash('sha256').update('the only file').digest('hex');
      const ace = await aceRead(store, new Map([['v1/content/only.jp2', sha]]));
      expect(ace.ok, ace.out).toBe(true);
      expect(ace.rounds.get('v1/content/only.jp2')).toEqual({ round: 1, value: ledger[1].hash });
    } finally {
      await t.cleanup();
    }
  });

  it('our reader refuses an entry without proof lines, as ACE does', async () => {
    const text = formatTokenStore([{ identifiers: ['a'], digestService: 'SHA-256', imsHost: 'local.ims.invalid', tokenClass: 'SHA-256-0', round: 1, date: '2024-01-01T00:00:00.000+00:00', proof: [] }]);
    expect(() => parseTokenStore(text)).toThrow(/no proof lines.*No proof elements added/);
    const path = join(work, 'empty-proof.tokens');
    await writeFile(path, text);
    const ace = await aceRead(path, new Map([['a', '00'.repeat(32)]]));
    expect(ace.ok).toBe(false);
    expect(ace.out).toMatch(/No proof elements added/);
  });

  it('a round holds at most 1,024 requests and at least 8 leaves; every round is linked; ACE reads every token', async () => {
    const ledgerPath = join(work, 'cap-ledger.jsonl');
    const ims = new LocalIms(ledgerPath);
    const requests = Array.from({ length: 2100 }, (_, i) => ({ name: `f${String(i).padStart(4, '0')}`, sha256Hex: createHash('sha256').update(String(i)).digest('hex') }));
    const tokens = await ims.requestTokens(requests);
    await ims.requestTokens(requests.slice(0, 3));
    const ledger = await readLedger(ledgerPath);
    expect(ledger.map((r) => [r.round, r.leafCount])).toEqual([[0, 0], [1, 1024], [2, 1024], [3, 52], [4, 8]]);
    ledger.slice(1).forEach((r, i) => expect(r.prevHash).toBe(ledger[i].hash));
    expect(tokens.map((t) => t.round)).toEqual([...Array(1024).fill(1), ...Array(1024).fill(2), ...Array(52).fill(3)]);
    const store = join(work, 'cap.tokens');
    await writeFile(store, formatTokenStore(tokens.map((t) => entryFromToken(t, [t.name]))));
    const ace = await aceRead(store, new Map(requests.map((r) => [r.name, r.sha256Hex])));
    expect(ace.ok, ace.out.slice(0, 500)).toBe(true);
    expect(ace.rounds.size).toBe(2100);
    for (const t of tokens) expect(ace.rounds.get(t.name)).toEqual({ round: t.round, value: ledger[t.round].hash });
    expect(await ims.checkLedger()).toEqual([]);
  }, 60_000);

  it('a witness is ACE\'s order-2 tree over the rounds since the last witness, linked to it (the first to the seed)', async () => {
    const ledgerPath = join(work, 'witness-ledger.jsonl');
    const ims = new LocalIms(ledgerPath);
    const req = (n: number) => [{ name: `w${n}`, sha256Hex: createHash('sha256').update(`w${n}`).digest('hex') }];
    for (const n of [1, 2, 3]) await ims.requestTokens(req(n));
    const w1 = (await ims.publishWitness())!;
    let ledger = await readLedger(ledgerPath);
    expect(w1).toMatchObject({ startRound: 1, endRound: 3, roundCount: 3, prevHash: SEED_HASH });
    expect(w1.hash).toBe(aceTree(SEED_HASH, [ledger[1].hash, ledger[2].hash, ledger[3].hash]));
    expect(await ims.publishWitness()).toBeUndefined(); // no round since
    await ims.requestTokens(req(4));
    const w2 = (await ims.publishWitness())!;
    ledger = await readLedger(ledgerPath);
    expect(w2).toMatchObject({ startRound: 4, endRound: 4, roundCount: 1, prevHash: w1.hash });
    expect(w2.hash).toBe(aceTree(w1.hash, [ledger[4].hash]));
    expect(await ims.checkLedger()).toEqual([]);
    // A witness altered afterwards is caught.
    const wtext = await readFile(ims.witnessPath, 'utf8');
    await writeFile(ims.witnessPath, wtext.replace(w1.hash, 'e'.repeat(64)));
    expect(await ims.checkLedger()).toContain('the witness of rounds 1–3 does not match the ledger');
  }, 60_000);
});

describe('distillery ocfl witness', () => {
  it('publishes the witness of the new rounds once, and refuses on a damaged ledger', async () => {
    const t = await tempRoot();
    try {
      const id = 'https://example.org/obj/witness';
      const f = await writeFiles(join(t.dir, 'in'), { 'a.jp2': 'a' });
      await commitVersion(t.root, id, [{ logicalPath: 'a.jp2', sourcePath: f['a.jp2'] }], META);
      const ledger = join(t.dir, 'ledger.jsonl');
      await tokenizeVersion(t.root, id, 'v1', new LocalIms(ledger));
      const { ocflCommand } = await import('../../src/ocfl/cli.js');
      const run = async (...args: string[]) => {
        let out = '';
        const code = await ocflCommand(args, { out: (s) => (out += s), err: (s) => (out += s) });
        return { code, out };
      };
      const first = await run('witness', t.root, '--ledger', ledger);
      expect(first).toMatchObject({ code: 0, out: expect.stringMatching(/^witness of rounds 1-1 \(1 round\(s\)\): [0-9a-f]{64}\n/) });
      expect(await run('witness', t.root, '--ledger', ledger)).toMatchObject({ code: 0, out: expect.stringMatching(/nothing to publish/) });
      const text = await readFile(ledger, 'utf8');
      await writeFile(ledger, text.replace(/"hash":"[0-9a-f]/g, (m) => m.slice(0, -1) + (m.endsWith('0') ? '1' : '0')));
      expect(await run('witness', t.root, '--ledger', ledger)).toMatchObject({ code: 1, out: expect.stringMatching(/damaged; no witness was published/) });
    } finally {
      await t.cleanup();
    }
  });
});
