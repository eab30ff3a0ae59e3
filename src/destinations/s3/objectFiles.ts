/**
 * What the destination reads from an OCFL object beyond the OCFL layer's `filesToSend` (which
 * gives the version's files in upload order): where each image's bytes live (an unchanged image
 * stays under the version that first stored it), and the storage root's own files.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PreservationPackage } from '../destination.js';

export type { FileToSend } from '../../ocfl/index.js';
import type { FileToSend } from '../../ocfl/index.js';

export interface Inventory {
  id: string;
  digestAlgorithm: 'sha512' | 'sha256';
  head: string;
  contentDirectory?: string;
  manifest: Record<string, string[]>;
  fixity?: Record<string, Record<string, string[]>>;
  versions: Record<string, { state: Record<string, string[]> }>;
}

export function objectRoot(pkg: PreservationPackage): string {
  return join(pkg.storageRoot, pkg.objectPath);
}

export async function readInventory(dir: string): Promise<Inventory> {
  const path = join(dir, 'inventory.json');
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Inventory;
  } catch (err) {
    throw new Error(`Cannot read the OCFL inventory ${path} (${(err as Error).message}): the preservation package is missing or damaged; run distill again for this folder.`, { cause: err });
  }
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
