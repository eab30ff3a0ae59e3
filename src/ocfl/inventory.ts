/**
 * The OCFL inventory: types, exact-bytes serialisation (the sidecar digest is of the bytes
 * written, never of a re-serialisation) and reading an object's root inventory with its sidecar.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex, sha512Hex } from '../hash.js';
import { PermanentError } from '../policies.js';

export const INVENTORY_TYPE_1_1 = 'https://ocfl.io/1.1/spec/#inventory';
export const OBJECT_NAMASTE = '0=ocfl_object_1.1';
export const OBJECT_NAMASTE_CONTENT = 'ocfl_object_1.1\n';
export const CONTENT_DIRECTORY = 'content';

export interface VersionBlock {
  created: string;
  state: Record<string, string[]>;
  message?: string;
  user?: { name: string; address?: string };
}

export interface Inventory {
  id: string;
  type: string;
  digestAlgorithm: 'sha512' | 'sha256';
  head: string;
  contentDirectory?: string;
  manifest: Record<string, string[]>;
  versions: Record<string, VersionBlock>;
  fixity?: Record<string, Record<string, string[]>>;
}

/** A version's state as logical path → digest (lowercase). */
export type LogicalState = Map<string, string>;

export function stateOf(inv: Inventory, version = inv.head): LogicalState {
  const block = inv.versions[version];
  if (!block) throw new PermanentError(`${inv.id} has no version ${version} (head is ${inv.head}).`);
  const out: LogicalState = new Map();
  for (const [digest, paths] of Object.entries(block.state)) for (const p of paths) out.set(p, digest.toLowerCase());
  return out;
}

/** digest (lowercase) → content paths, for lookups that ignore case as the spec requires. */
export function manifestIndex(inv: Inventory): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [d, paths] of Object.entries(inv.manifest)) out.set(d.toLowerCase(), paths);
  return out;
}

/** The inventory's bytes and their digest in the inventory's own algorithm (the sidecar's content). */
export function serializeInventory(inv: Inventory): { bytes: Buffer; digest: string } {
  const bytes = Buffer.from(JSON.stringify(inv, null, 2) + '\n', 'utf8');
  return { bytes, digest: inv.digestAlgorithm === 'sha256' ? sha256Hex(bytes) : sha512Hex(bytes) };
}

export function sidecarText(digest: string): string {
  return `${digest} inventory.json\n`;
}

export class InvalidInventoryError extends PermanentError {}

/**
 * Reads `<objectRoot>/inventory.json`, checking it against its sidecar. Undefined when the object
 * does not exist. Throws when the sidecar disagrees: writing on top of a damaged inventory would
 * make the damage permanent, so a person must look first (run `distillery ocfl validate`).
 */
export async function readObjectInventory(objectRoot: string): Promise<Inventory | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(join(objectRoot, 'inventory.json'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let inv: Inventory;
  try {
    inv = JSON.parse(bytes.toString('utf8')) as Inventory;
  } catch {
    throw new InvalidInventoryError(`${objectRoot}/inventory.json is not valid JSON; run "distillery ocfl validate ${objectRoot}" and repair it before adding a version.`);
  }
  const alg = inv.digestAlgorithm;
  const sidecar = await readFile(join(objectRoot, `inventory.json.${alg}`), 'utf8').catch(() => undefined);
  const recorded = sidecar?.trim().split(/[ \t]+/)[0]?.toLowerCase();
  const actual = alg === 'sha512' ? sha512Hex(bytes) : sha256Hex(bytes);
  if (recorded !== actual) {
    throw new InvalidInventoryError(
      `${objectRoot}/inventory.json does not match its sidecar inventory.json.${alg}; the object is damaged or a write was interrupted. ` +
        `Run "distillery ocfl validate ${objectRoot}" (a retry alone cannot help).`,
    );
  }
  return inv;
}

/** `created` to the second with a time zone (E049), e.g. 2024-05-01T12:00:00Z. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
