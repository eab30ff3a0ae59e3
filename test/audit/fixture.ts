/**
 * An audit test bed: a real OCFL storage root made by the OCFL layer (commitVersion, ACE tokens
 * from the local IMS), a status folder, a logger whose lines the test can read, and audit deps.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { AuditDeps } from '../../src/audit/run.js';
import type { AuditSettings } from '../../src/audit/settings.js';
import { commitVersion, companionPath, ensureStorageRoot, LocalIms, objectPath, tokenizeVersion } from '../../src/ocfl/index.js';

export const SETTINGS: AuditSettings = { rateMBps: 0, tapeCycleDays: 2, tapeFilesPerNight: 4 };

export interface Bed {
  dir: string;
  root: string;
  statusDir: string;
  ims: LocalIms;
  logLines: string[];
  deps(extra?: Partial<AuditDeps>): AuditDeps;
  /** Commits a version of `name` in `collection` with images of random bytes (and the collection record), tokens made. */
  object(collection: string, name: string, images: Record<string, Buffer | number>): Promise<{ objectId: string; objectRoot: string; version: string }>;
  cleanup(): Promise<void>;
}

export async function bed(storageRoot?: string): Promise<Bed> {
  const dir = await mkdtemp(join(tmpdir(), 'distillery-audit-'));
  const root = storageRoot ?? join(dir, 'ocfl');
  const statusDir = join(dir, 'status');
  await mkdir(statusDir, { recursive: true });
  const ims = new LocalIms(join(dir, 'ims-ledger.jsonl'));
  const logLines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { logLines.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
  const log = pino({ level: 'info' }, stream);
  return {
    dir, root, statusDir, ims, logLines,
    deps: (extra = {}) => ({ storageRoot: root, statusDir, ims, settings: SETTINGS, log, ...extra }),
    async object(collection, name, images) {
      await ensureStorageRoot(root);
      const src = join(dir, 'src', name);
      await mkdir(src, { recursive: true });
      const files = [];
      for (const [logical, content] of Object.entries(images)) {
        const p = join(src, logical.replaceAll('/', '_'));
        await writeFile(p, typeof content === 'number' ? randomBytes(content) : content);
        files.push({ logicalPath: logical, sourcePath: p });
      }
      const cj = join(src, `${collection}.json`);
      await writeFile(cj, JSON.stringify({ id: collection }));
      files.push({ logicalPath: `${collection}.json`, sourcePath: cj });
      const objectId = `https://archives.example.edu/repositories/2/archival_objects/${name}`;
      const commit = await commitVersion(root, objectId, files, { message: 'test', user: { name: 'Test', address: 'mailto:test@example.org' } }, { mode: 'merge' });
      await tokenizeVersion(root, objectId, commit.version, ims);
      return { objectId, objectRoot: join(root, objectPath(objectId)), version: commit.version };
    },
    cleanup: () => rm(dir, { recursive: true, force: true }).then(() => rm(companionPath(root), { recursive: true, force: true })),
  };
}
