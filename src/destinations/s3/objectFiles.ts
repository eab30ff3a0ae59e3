/**
 * What the destination reads from an OCFL object beyond the OCFL layer's `filesToSend` (which
 * gives the version's files in upload order): where each image's bytes live (an unchanged image
 * stays under the version that first stored it), and the storage root's own files. The inventory
 * is read by the OCFL layer, which refuses one that does not match its sidecar.
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { readInventory, type Inventory } from '../../ocfl/index.js';
import { PermanentError } from '../../policies.js';
import type { PreservationPackage } from '../destination.js';

export type { FileToSend } from '../../ocfl/index.js';
import type { FileToSend } from '../../ocfl/index.js';

export function objectRoot(pkg: PreservationPackage): string {
  return join(pkg.storageRoot, pkg.objectPath);
}

/** The package's inventory, checked against its sidecar; a missing object is a clear failure. */
export async function packageInventory(pkg: PreservationPackage): Promise<Inventory> {
  const inv = await readInventory(pkg.storageRoot, pkg.objectId);
  if (!inv) {
    throw new PermanentError(`There is no OCFL inventory in ${objectRoot(pkg)}: the preservation package is missing; run distill again for this folder. A retry will not help.`);
  }
  return inv;
}

/** The content path (relative to the object root) that holds a logical path in a version. */
export function contentPathOf(inv: Inventory, version: string, logicalPath: string): string | undefined {
  const state = inv.versions[version]?.state ?? {};
  for (const [digest, paths] of Object.entries(state)) {
    if (paths.includes(logicalPath)) return inv.manifest[digest]?.[0];
  }
  return undefined;
}

/** Digests of every content path from the manifest and the sha256 fixity block. */
export function digestsOf(inv: Inventory): Map<string, { sha512?: string; sha256?: string }> {
  const out = new Map<string, { sha512?: string; sha256?: string }>();
  const set = (p: string, k: 'sha512' | 'sha256', d: string) => out.set(p, { ...out.get(p), [k]: d.toLowerCase() });
  for (const [digest, paths] of Object.entries(inv.manifest)) for (const p of paths) set(p, inv.digestAlgorithm, digest);
  for (const [digest, paths] of Object.entries(inv.fixity?.sha256 ?? {})) for (const p of paths) set(p, 'sha256', digest);
  return out;
}

async function sizeOf(path: string): Promise<number> {
  return (await stat(path)).size;
}

/** The storage root's own files: NAMASTE, ocfl_layout.json and extension configs. */
export async function storageRootFiles(storageRoot: string): Promise<FileToSend[]> {
  const names = (await readdir(storageRoot)).filter((n) => n.startsWith('0=ocfl_') || n === 'ocfl_layout.json').sort();
  const paths = [...names, ...(await walk(storageRoot, 'extensions'))];
  return Promise.all(paths.map(async (p) => ({ path: p, bytes: await sizeOf(join(storageRoot, p)), kind: 'metadata' as const })));
}

async function walk(base: string, rel: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(join(base, rel), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = `${rel}/${e.name}`;
    if (e.isDirectory()) out.push(...(await walk(base, p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}
