/**
 * The Integrity Management Service, behind a small interface so a client of a real ACE IMS can
 * replace the local stand-in. LocalIms implements ACE's rounds exactly (one round per request
 * batch, "immediate" mode; token class SHA-256-0; order-2 tree linked to the previous round) with
 * an append-only JSON Lines ledger of round summaries in place of the IMS database. Its host name
 * says plainly that it is local: tokens from it cannot be checked by a remote ACE Audit Manager.
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
  /** Rounds smaller than this get random padding leaves, as the IMS's minimumRequests does (default 1: none). */
  minimumLeaves?: number;
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
    await mkdir(dirname(this.ledgerPath), { recursive: true });
    // One round at a time: the round number and the link to the previous round must be unique.
    return withFileLock(`${this.ledgerPath}.lock`, `IMS ledger ${this.ledgerPath}`, async () => {
      const ledger = await this.readLedger();
      const prev = ledger.at(-1);
      const leaves = requests.map((r) => Buffer.from(r.sha256Hex, 'hex'));
      while (leaves.length < (this.options.minimumLeaves ?? 1)) leaves.push(randomBytes(32));
      const tree = buildTree(leaves, prev ? Buffer.from(prev.hash, 'hex') : undefined);
      const timestamp = new Date();
      const summary: RoundSummary = {
        round: (prev?.round ?? 0) + 1,
        tokenClass: 'SHA-256-0',
        hash: tree.root.toString('hex'),
        ...(prev ? { prevHash: prev.hash } : {}),
        timestamp: timestamp.toISOString(),
        leafCount: leaves.length,
      };
      await appendFile(this.ledgerPath, JSON.stringify(summary) + '\n');
      return requests.map((r, i) => ({
        name: r.name,
        digestService: 'SHA-256' as const,
        imsHost: this.host,
        tokenClass: 'SHA-256-0' as const,
        round: summary.round,
        timestamp,
        proof: tree.proofs[i],
      }));
    });
  }

  async roundSummaries(rounds: number[]): Promise<RoundSummary[]> {
    const want = new Set(rounds);
    return (await this.readLedger()).filter((s) => want.has(s.round));
  }

  /**
   * The day's witness: sha256 over that day's round hashes in order, the value an IMS publishes so
   * others can tell later whether its round table was altered.
   */
  async witness(day: string): Promise<{ day: string; rounds: number; hash: string } | undefined> {
    const rounds = (await this.readLedger()).filter((s) => s.timestamp.startsWith(day));
    if (rounds.length === 0) return undefined;
    return { day, rounds: rounds.length, hash: sha256(...rounds.map((r) => Buffer.from(r.hash, 'hex'))).toString('hex') };
  }

  /** Checks the ledger is an unbroken chain (each round's prevHash is the previous round's hash). */
  async checkLedger(): Promise<string[]> {
    const problems: string[] = [];
    const ledger = await this.readLedger();
    ledger.forEach((s, i) => {
      if (s.round !== i + 1) problems.push(`round ${s.round} is at position ${i + 1}`);
      if (i > 0 && s.prevHash !== ledger[i - 1].hash) problems.push(`round ${s.round} does not link to round ${ledger[i - 1].round}`);
    });
    return problems;
  }

  private async readLedger(): Promise<RoundSummary[]> {
    const text = await readFile(this.ledgerPath, 'utf8').catch(() => '');
    return text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as RoundSummary);
  }
}
