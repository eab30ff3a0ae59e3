/**
 * Which files of an OCFL object a version adds, in the order they must reach the bucket: the
 * version's payload, then its inventory and sidecar, the object's NAMASTE declaration, and the
 * root inventory with its sidecar last — so an object is complete in the bucket only when whole.
 *
 * Read from the object's own inventory.json (plain JSON: manifest, fixity and versions). The
 * OCFL layer's `filesToSend` gives the same list; the destination takes either through
 * `S3DestinationOptions.listFiles`.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { PreservationPackage } from '../destination.js';

export interface FileToSend {
  /** Path relative to the object root (or to the storage root for storage-root files). */
  path: string;
  bytes: number;
  sha512?: string;
  sha256?: string;
  kind: 'payload' | 'metadata';
}

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

/** The files a version adds to its object, in upload order (root sidecar last). */
export async function versionFiles(pkg: PreservationPackage): Promise<FileToSend[]> {
  const root = objectRoot(pkg);
  const inv = await readInventory(root);
  if (!inv.versions[pkg.version]) {
    throw new Error(`The OCFL object ${pkg.objectId} has no version ${pkg.version} (head is ${inv.head}): the package and the run disagree; run distill again for this folder.`);
  }
  const digests = digestsOf(inv);
  const files: FileToSend[] = [];
  for (const paths of Object.values(inv.manifest)) {
    for (const p of paths) {
      if (!p.startsWith(`${pkg.version}/`)) continue;
      files.push({ path: p, bytes: await sizeOf(join(root, p)), ...digests.get(p), kind: 'payload' });
    }
  }
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const sidecar = `inventory.json.${inv.digestAlgorithm}`;
  const meta = async (p: string) => files.push({ path: p, bytes: await sizeOf(join(root, p)), kind: 'metadata' });
  await meta(`${pkg.version}/inventory.json`);
  await meta(`${pkg.version}/${sidecar}`);
  for (const name of (await readdir(root)).filter((n) => n.startsWith('0=ocfl_object_')).sort()) await meta(name);
  for (const p of await walk(root, 'extensions')) await meta(p);
  await meta('inventory.json');
  await meta(sidecar);
  return files;
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
