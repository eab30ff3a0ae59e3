/**
 * The Integrity Management Service, behind a small interface so a client of a real ACE IMS can
 * replace the local stand-in. LocalIms follows ACE's IMS (Chronopolis-Digital-Preservation/
 * audit-control-environment d0cc596: RoundProcessor, RoundBean, TokenClassBean, WitnessBean,
 * InitializeBean) for the token class SHA-256-0:
 * - the ledger starts with a seed round whose value is sha256 of nothing (TokenClassBean), and
 *   every round, the first included, is linked to the one before it: root = H(previous ‖ tree);
 * - a round holds at most 1,024 requests (more make further rounds) and is padded with random
 *   leaves to at least 8 (minimumRequests and maximumRequests of SHA-256-0);
 * - a witness is an order-2 hash tree over the round values since the last witness, linked to
 *   that witness; the first links to the seed witness, which is the seed round's value.
 * One call is one round or more ("immediate" mode, as requestTokensImmediate). An append-only
 * JSON Lines ledger of round summaries, and another of witnesses, replace the IMS database. The
 * host name says plainly that it is local: a remote ACE Audit Manager cannot check its tokens.
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildTree, sha256 } from './hashTree.js';
import { withFileLock } from '../lock.js';

export interface TokenRequest {
  /** What the token is for, e.g. the content path `v1/content/a.jp2`. */
  name: string;
  sha256Hex: string;
}

export interface TokenResponse {
  name: string;
  /** Digest algorithm in ACE's spelling. */
  digestService: 'SHA-256';
  imsHost: string;
  tokenClass: 'SHA-256-0';
  round: number;
  timestamp: Date;
  /** Proof lines as in a token store: sibling hashes with X where the running hash goes. */
  proof: string[];
}

export interface RoundSummary {
  round: number;
  tokenClass: string;
  /** Hex of the round's root hash (already committing to prevHash). */
  hash: string;
  prevHash?: string;
  timestamp: string;
  leafCount: number;
  /** True for the seed round every ledger starts with (no leaves; its hash is sha256 of nothing). */
  seed?: boolean;
}

/** A published witness: the value an IMS makes public so a later change to its round table shows. */
export interface WitnessRecord {
  tokenClass: string;
  /** First and last round the witness covers (the seed witness covers the seed round alone). */
  startRound: number;
  endRound: number;
  roundCount: number;
  /** Hex of the witness tree's root, linked to the previous witness. */
  hash: string;
  prevHash?: string;
  timestamp: string;
}

export interface Ims {
  /** Host label written in token stores. */
  readonly host: string;
  requestTokens(requests: TokenRequest[]): Promise<TokenResponse[]>;
  roundSummaries(rounds: number[]): Promise<RoundSummary[]>;
}

/** The host label: ACE's token-store reader accepts only letters, digits, _ and . here, so no hyphen. */
export const LOCAL_IMS_HOST = 'local.ims.invalid';

export interface LocalImsOptions {
  /** Rounds smaller than this get random padding leaves, as the IMS's minimumRequests does (default 8, as SHA-256-0). */
  minimumLeaves?: number;
  /** A round holds at most this many requests, as the IMS's maximumRequests (default 1,024, as SHA-256-0). */
  maximumRequests?: number;
}

/** SHA-256-0 as ACE's InitializeBean creates it. */
export const ACE_MINIMUM_REQUESTS = 8;
export const ACE_MAXIMUM_REQUESTS = 1024;
/** The seed round's value: the token class's digest of no input (TokenClassBean.create). */
export const SEED_HASH = sha256().toString('hex');

/** The seed witness ACE makes with a token class: the seed round's value, covering round 0. */
function seedWitness(): WitnessRecord {
  return { tokenClass: 'SHA-256-0', startRound: 0, endRound: 0, roundCount: 1, hash: SEED_HASH, timestamp: '' };
}

export class LocalIms implements Ims {
  readonly host = LOCAL_IMS_HOST;

  constructor(
    /** The ledger file (JSON Lines, append-only). */
    readonly ledgerPath: string,
    private readonly options: LocalImsOptions = {},
  ) {}

  async requestTokens(requests: TokenRequest[]): Promise<TokenResponse[]> {
    if (requests.length === 0) return [];
    for (const r of requests) {
      if (!/^[0-9a-f]{64}$/i.test(r.sha256Hex)) throw new Error(`Token request for ${r.name}: "${r.sha256Hex}" is not a sha256 digest.`);
    }
    const max = this.options.maximumRequests ?? ACE_MAXIMUM_REQUESTS;
    const min = this.options.minimumLeaves ?? ACE_MINIMUM_REQUESTS;
    await mkdir(dirname(this.ledgerPath), { recursive: true });
    // One round at a time: the round number and the link to the previous round must be unique.
    return withFileLock(`${this.ledgerPath}.lock`, `IMS ledger ${this.ledgerPath}`, async () => {
      const ledger = await this.readLedger();
      let prev = ledger.at(-1);
      if (!prev) {
        prev = { round: 0, tokenClass: 'SHA-256-0', hash: SEED_HASH, timestamp: new Date().toISOString(), leafCount: 0, seed: true };
        await appendFile(this.ledgerPath, JSON.stringify(prev) + '\n');
      }
      const out: TokenResponse[] = [];
      for (let start = 0; start < requests.length; start += max) {
        const batch = requests.slice(start, start + max);
        const leaves = batch.map((r) => Buffer.from(r.sha256Hex, 'hex'));
        while (leaves.length < min) leaves.push(randomBytes(32));
        const tree = buildTree(leaves, Buffer.from(prev.hash, 'hex'));
        const timestamp = new Date();
        const summary: RoundSummary = {
          round: prev.round + 1,
          tokenClass: 'SHA-256-0',
          hash: tree.root.toString('hex'),
          prevHash: prev.hash,
          timestamp: timestamp.toISOString(),
          leafCount: leaves.length,
        };
        await appendFile(this.ledgerPath, JSON.stringify(summary) + '\n');
        batch.forEach((r, i) =>
          out.push({ name: r.name, digestService: 'SHA-256', imsHost: this.host, tokenClass: 'SHA-256-0', round: summary.round, timestamp, proof: tree.proofs[i] }),
        );
        prev = summary;
      }
      return out;
    });
  }

  async roundSummaries(rounds: number[]): Promise<RoundSummary[]> {
    const want = new Set(rounds);
    return (await this.readLedger()).filter((s) => want.has(s.round));
  }

  /** The witness ledger, beside the round ledger. */
  get witnessPath(): string {
    return this.ledgerPath.replace(/(\.jsonl)?$/, '-witnesses.jsonl');
  }

  /**
   * Publishes a witness as ACE's WitnessBean.publishWitness does: an order-2 hash tree over the
   * values of every round after the last witness, linked to that witness's value (the first
   * witness links to the seed witness, the seed round's value). Appended to the witness ledger;
   * undefined when no round was made since the last witness (ACE has nothing to build either).
   */
  async publishWitness(now = new Date()): Promise<WitnessRecord | undefined> {
    await mkdir(dirname(this.ledgerPath), { recursive: true });
    return withFileLock(`${this.ledgerPath}.lock`, `IMS ledger ${this.ledgerPath}`, async () => {
      const witnesses = await this.readWitnesses();
      const last = witnesses.at(-1) ?? seedWitness();
      const rounds = (await this.readLedger()).filter((s) => !s.seed && s.round > last.endRound);
      if (rounds.length === 0) return undefined;
      const tree = buildTree(rounds.map((r) => Buffer.from(r.hash, 'hex')), Buffer.from(last.hash, 'hex'));
      const w: WitnessRecord = {
        tokenClass: 'SHA-256-0',
        startRound: rounds[0].round,
        endRound: rounds.at(-1)!.round,
        roundCount: rounds.length,
        hash: tree.root.toString('hex'),
        prevHash: last.hash,
        timestamp: now.toISOString(),
      };
      await appendFile(this.witnessPath, JSON.stringify(w) + '\n');
      return w;
    });
  }

  /**
   * Checks the round ledger is an unbroken chain from its seed (each round links to the round
   * before it) and that every published witness is what the rounds it covers give.
   */
  async checkLedger(): Promise<string[]> {
    const problems: string[] = [];
    const ledger = await this.readLedger();
    const first = ledger[0];
    if (first && !(first.seed && first.round === 0 && first.hash === SEED_HASH) && !(first.round === 1 && first.prevHash === undefined)) {
      problems.push(`the ledger does not start with the seed round (round 0, value ${SEED_HASH})`);
    }
    ledger.forEach((s, i) => {
      if (s.round !== (first?.round ?? 0) + i) problems.push(`round ${s.round} is at position ${i + 1}`);
      if (i > 0 && s.prevHash !== ledger[i - 1].hash) problems.push(`round ${s.round} does not link to round ${ledger[i - 1].round}`);
    });
    let prev = seedWitness();
    for (const w of await this.readWitnesses()) {
      const rounds = ledger.filter((s) => !s.seed && s.round >= w.startRound && s.round <= w.endRound);
      const expected = rounds.length ? buildTree(rounds.map((r) => Buffer.from(r.hash, 'hex')), Buffer.from(prev.hash, 'hex')).root.toString('hex') : undefined;
      if (w.startRound !== prev.endRound + 1 || rounds.length !== w.roundCount || expected !== w.hash || w.prevHash !== prev.hash) {
        problems.push(`the witness of rounds ${w.startRound}–${w.endRound} does not match the ledger`);
      }
      prev = w;
    }
    return problems;
  }

  private async readWitnesses(): Promise<WitnessRecord[]> {
    const text = await readFile(this.witnessPath, 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as WitnessRecord);
  }

  private async readLedger(): Promise<RoundSummary[]> {
    const text = await readFile(this.ledgerPath, 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as RoundSummary);
  }
}
