/**
 * Roll-forward after an interrupted install. A version is installed in three renames (version
 * directory, root inventory, root sidecar); a crash between them leaves a new version directory
 * whose own inventory and sidecar are complete. Finishing the install from those files is always
 * safe, so the next writer does it under the object's lock before anything else.
 */
import { readFile, readdir, mkdtemp, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256Hex, sha512Hex } from '../hash.js';
import { writeFileAtomic } from '../atomicWrite.js';
import { versionNumber } from './paths.js';
import { workspacePath } from './companion.js';

/** Returns the version rolled forward to, or undefined when the object needed nothing. */
export async function recoverObject(rootPath: string, objectRoot: string): Promise<string | undefined> {
  const names = await readdir(objectRoot).catch(() => [] as string[]);
  const versions = names.filter((n) => versionNumber(n) !== undefined).sort((a, b) => versionNumber(b)! - versionNumber(a)!);
  for (const v of versions) {
    const inv = await readFile(join(objectRoot, v, 'inventory.json')).catch(() => undefined);
    if (!inv) continue;
    let parsed: { head?: string; digestAlgorithm?: string };
    try {
      parsed = JSON.parse(inv.toString('utf8'));
    } catch {
      return undefined;
    }
    const alg = parsed.digestAlgorithm === 'sha256' ? 'sha256' : 'sha512';
    const sidecar = await readFile(join(objectRoot, v, `inventory.json.${alg}`), 'utf8').catch(() => undefined);
    const digest = alg === 'sha512' ? sha512Hex(inv) : sha256Hex(inv);
    // Only a complete, self-consistent head version is rolled forward to.
    if (parsed.head !== v || sidecar?.trim().split(/[ \t]+/)[0]?.toLowerCase() !== digest) return undefined;
    const rootInv = await readFile(join(objectRoot, 'inventory.json')).catch(() => undefined);
    const rootSidecar = await readFile(join(objectRoot, `inventory.json.${alg}`), 'utf8').catch(() => undefined);
    if (rootInv?.equals(inv) && rootSidecar === sidecar) return undefined;
    // Only the two interrupted states are finished: the root inventory is older than the newest
    // version (crash after the version rename), or it is already the new one but its sidecar is
    // not (crash before the sidecar). Anything else is damage a person must look at.
    const rootHead = rootInv ? (safeParse(rootInv)?.head as string | undefined) : undefined;
    const rootIsOlder = rootHead !== undefined && versionNumber(rootHead) !== undefined && versionNumber(rootHead)! < versionNumber(v)!;
    if (!rootIsOlder && !rootInv?.equals(inv)) return undefined;
    const ws = workspacePath(rootPath);
    await mkdir(ws, { recursive: true });
    const tmp = await mkdtemp(join(ws, 'recover-'));
    try {
      if (!rootInv?.equals(inv)) await writeFileAtomic(join(objectRoot, 'inventory.json'), inv, { tmpDir: tmp });
      await writeFileAtomic(join(objectRoot, `inventory.json.${alg}`), sidecar, { tmpDir: tmp });
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
    return v;
  }
  return undefined;
}

function safeParse(b: Buffer): Record<string, unknown> | undefined {
  try {
    return JSON.parse(b.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
