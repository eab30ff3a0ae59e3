/**
 * ACE token stores, byte-compatible with ace-common's TokenStoreWriter and ace-cli's acestore.py:
 *   <digestAlg> <imsHost> <tokenClass> <round> <xsd:dateTime with offset> <length>\n
 *   <identifier>\n…\n            (identifiers, then a blank line)
 *   <proof line>\n…\n            (proof lines, then a blank line)
 * where length is the UTF-8 byte count of everything after the header line.
 */
import type { TokenResponse } from './ims.js';

export interface TokenStoreEntry {
  identifiers: string[];
  digestService: string;
  imsHost: string;
  tokenClass: string;
  round: number;
  /** As written, e.g. 2024-05-01T12:00:00.000+00:00 (metadata only: not covered by the proof). */
  date: string;
  proof: string[];
}

/** xsd:dateTime with a numeric offset, as ACE's reader requires (it does not accept Z). */
export function aceDate(d: Date): string {
  return d.toISOString().replace('Z', '+00:00');
}

export function entryFromToken(token: TokenResponse, identifiers: string[]): TokenStoreEntry {
  return {
    identifiers,
    digestService: token.digestService,
    imsHost: token.imsHost,
    tokenClass: token.tokenClass,
    round: token.round,
    date: aceDate(token.timestamp),
    proof: token.proof,
  };
}

export function formatTokenStore(entries: TokenStoreEntry[]): string {
  let out = '';
  for (const e of entries) {
    if (e.identifiers.length === 0) throw new Error('A token store entry needs at least one identifier.');
    for (const id of e.identifiers) if (/[\r\n]/.test(id) || id === '') throw new Error(`Identifier ${JSON.stringify(id)} cannot be written in a token store.`);
    const body = [...e.identifiers, '', ...e.proof, '', ''].join('\n');
    out += `${e.digestService} ${e.imsHost} ${e.tokenClass} ${e.round} ${e.date} ${Buffer.byteLength(body, 'utf8')}\n${body}`;
  }
  return out;
}

const HEADER = /^([\w-]+)\s+([\w.]+)\s+([\w-]+)\s+(\d+)\s+(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[-+]\d{2}:\d{2})\s+(\d+)$/;

export class TokenStoreFormatError extends Error {
  override readonly name = 'TokenStoreFormatError';
}

/** Parses a token store, checking each header (as ACE's TokenStoreReader does) and each entry's length. */
export function parseTokenStore(text: string): TokenStoreEntry[] {
  const buf = Buffer.from(text, 'utf8');
  const entries: TokenStoreEntry[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) throw new TokenStoreFormatError(`Token store ends inside a header at byte ${pos}.`);
    const header = buf.subarray(pos, nl).toString('utf8');
    const m = HEADER.exec(header);
    if (!m) throw new TokenStoreFormatError(`Bad token store header: "${header}".`);
    const length = Number(m[7]);
    const body = buf.subarray(nl + 1, nl + 1 + length).toString('utf8');
    if (Buffer.byteLength(body, 'utf8') !== length || !body.endsWith('\n\n')) {
      throw new TokenStoreFormatError(`Token store entry "${header}" does not have the ${length} bytes its header announces.`);
    }
    const lines = body.split('\n');
    const blank = lines.indexOf('');
    const identifiers = lines.slice(0, blank);
    const proof = lines.slice(blank + 1, lines.indexOf('', blank + 1));
    // ACE's reader builds the proof with ProofBuilder, which throws "No proof elements added" for none.
    if (proof.length === 0) throw new TokenStoreFormatError(`The entry for ${identifiers.join(', ')} has no proof lines; ACE's TokenStoreReader cannot read it ("No proof elements added").`);
    for (const line of proof) {
      const n = line.split(':').length;
      if (n <= 1 || n > 3 || !/^(X|[0-9a-f]+)(:(X|[0-9a-f]+))+$/i.test(line)) throw new TokenStoreFormatError(`Bad proof line "${line}" in entry for ${identifiers.join(', ')}.`);
    }
    entries.push({ identifiers, digestService: m[1], imsHost: m[2], tokenClass: m[3], round: Number(m[4]), date: m[5], proof });
    pos = nl + 1 + length;
  }
  return entries;
}
