/**
 * One run's tape file: plan it (which object versions this tape still lacks), write it with tar
 * straight from the OCFL staging root to the tape (a table of contents first), and read it back
 * checking every file's sha512 against the OCFL inventory.
 */
import { hashFile, sha512Hex } from '../../hash.js';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { filesToSend, readInventory, tokenStorePath } from '../../ocfl/index.js';
import type { Reporter } from '../../runs/reporter.js';
import { versionsOnTape, type FileOnTape, type ObjectOnTape, type TapeRecord } from './catalogue.js';
import { TapeDrive } from './drive.js';

export const TOC_MEMBER = 'DISTILLERY-TOC.json';
export const TOC_FORMAT = 'distillery-tape-toc/1';
/**
 * The folder in a run file that holds the ACE token store of every version written
 * (`DISTILLERY-TOKENS/<object path>/v1.tokens`), beside the table of contents: token stores live
 * beside the storage root, never inside an object.
 */
export const TOKENS_MEMBER_DIR = 'DISTILLERY-TOKENS';

/** The member name of a version's token store in a run file. */
export function tokenStoreMember(objectPath: string, version: string): string {
  return `${TOKENS_MEMBER_DIR}/${objectPath}/${version}.tokens`;
}

export function isTokenStoreMember(path: string): boolean {
  return path.startsWith(`${TOKENS_MEMBER_DIR}/`);
}

/** The table of contents: the first member of every run file. */
export interface TableOfContents {
  format: typeof TOC_FORMAT;
  indicator: string;
  fileNumber: number;
  runId: string;
  collectionId: string;
  writtenAt: string;
  objects: ObjectOnTape[];
  /** The tape's catalogue up to (not including) this file, so a tape explains itself without the server. */
  tape: TapeRecord;
}

export interface PackageRef {
  storageRoot: string;
  objectId: string;
  objectPath: string;
  version: string;
}

export interface PlannedObject {
  storageRoot: string;
  object: ObjectOnTape;
}

/**
 * What this tape still needs for each package: every version up to the package's that the tape does
 * not hold (so each tape can restore an object alone), if it is still on local disk; the package's
 * own version must be.
 */
export async function planObjects(tape: TapeRecord, packages: PackageRef[]): Promise<PlannedObject[]> {
  const out: PlannedObject[] = [];
  for (const pkg of packages) {
    const inv = await readInventory(pkg.storageRoot, pkg.objectId);
    if (!inv) throw new Error(`There is no OCFL object ${pkg.objectId} in ${pkg.storageRoot}: the preservation package was not made; rerun the run.`);
    const held = versionsOnTape(tape, pkg.objectId);
    const upTo = Number(pkg.version.replace(/^v0*/, ''));
    const versions = Object.keys(inv.versions)
      .filter((v) => Number(v.replace(/^v0*/, '')) <= upTo && !held.has(v))
      .sort((a, b) => Number(a.replace(/^v0*/, '')) - Number(b.replace(/^v0*/, '')));
    const files: FileOnTape[] = [];
    const rootFiles = new Map<string, number>();
    const sent: string[] = [];
    for (const v of versions) {
      let list;
      try {
        list = await filesToSend(pkg.storageRoot, pkg.objectId, v);
      } catch (err) {
        if (v === pkg.version) throw err;
        continue; // an earlier version whose payload is no longer local: another tape holds it
      }
      sent.push(v);
      const store = tokenStorePath(pkg.storageRoot, pkg.objectId, v);
      const storeBytes = await stat(store).then((st) => st.size, () => undefined);
      if (storeBytes !== undefined) files.push({ path: tokenStoreMember(pkg.objectPath, v), bytes: storeBytes, sha512: await sha512File(store) });
      for (const f of list) {
        if (!f.path.startsWith(`${v}/`)) {
          rootFiles.set(f.path, f.bytes);
          continue;
        }
        const sha512 = f.kind === 'payload' && f.sha512 && inv.digestAlgorithm === 'sha512' ? f.sha512 : await sha512File(join(pkg.storageRoot, pkg.objectPath, f.path));
        files.push({ path: `${pkg.objectPath}/${f.path}`, bytes: f.bytes, sha512 });
      }
    }
    // The object declaration and root inventory once, last: a restored copy is whole once they arrive.
    for (const [p, bytes] of rootFiles) files.push({ path: `${pkg.objectPath}/${p}`, bytes, sha512: await sha512File(join(pkg.storageRoot, pkg.objectPath, p)) });
    out.push({ storageRoot: pkg.storageRoot, object: { objectId: pkg.objectId, objectPath: pkg.objectPath, versions: sent, head: inv.head, files } });
  }
  return out;
}

async function sha512File(path: string): Promise<string> {
  return (await hashFile(path, ['sha512'])).digests.sha512;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** A scratch folder for the TOC and the file lists (small files only; payload is never copied). */
export async function withScratch<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'distillery-tape-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Writes the run file at the tape's current position (the caller has positioned it at the end of
 * data): tar reads the payload from the staging root and writes it to the drive, nothing staged.
 * Returns the TOC's sha512 (checked again at verify).
 */
export async function writeRunFile(drive: TapeDrive, scratch: string, toc: TableOfContents, planned: PlannedObject[], reporter: Reporter): Promise<string> {
  const tocText = `${JSON.stringify(toc, null, 2)}\n`;
  await writeFile(join(scratch, TOC_MEMBER), tocText);
  const byRoot = new Map<string, string[]>();
  // Token stores travel beside the table of contents (small copies in the scratch folder).
  const scratchMembers = [TOC_MEMBER];
  for (const p of planned) {
    const list = byRoot.get(p.storageRoot) ?? [];
    for (const f of p.object.files) {
      if (!isTokenStoreMember(f.path)) {
        list.push(f.path);
        continue;
      }
      const version = f.path.slice(f.path.lastIndexOf('/') + 1).replace(/\.tokens$/, '');
      await mkdir(dirname(join(scratch, f.path)), { recursive: true });
      await copyFile(tokenStorePath(p.storageRoot, p.object.objectId, version), join(scratch, f.path));
      scratchMembers.push(f.path);
    }
    byRoot.set(p.storageRoot, list);
  }
  const args = ['--create', '--format=posix', '--no-recursion', ...TapeDrive.checkpointArgs(checkpointRecords(drive)), `--directory=${scratch}`, ...scratchMembers];
  let i = 0;
  for (const [root, list] of byRoot) {
    const listFile = join(scratch, `files-${i++}.list`);
    await writeFile(listFile, list.map((p) => `${p}\0`).join(''));
    args.push(`--directory=${root}`, '--null', `--files-from=${listFile}`);
  }
  const total = planned.reduce((s, p) => s + p.object.files.reduce((t, f) => t + f.bytes, 0), 0);
  const started = Date.now();
  reporter.progress(0, total, `writing tape file ${toc.fileNumber}`, 'bytes');
  const recordBytes = drive.options.blockingFactor * 512;
  await drive.tar(`write file ${toc.fileNumber}`, args, {
    onStderrLine: (line) => {
      const n = TapeDrive.checkpointNumber(line);
      if (n === undefined) return;
      const done = Math.min(total, n * checkpointRecords(drive) * recordBytes);
      reporter.progress(done, total, `${formatBytes(done)} of ${formatBytes(total)} written at ${rate(done, started)}`, 'bytes');
    },
  });
  reporter.progress(total, total, `${formatBytes(total)} written at ${rate(total, started)}`, 'bytes');
  return sha512Hex(tocText);
}

/** The sha512 of the TOC writeRunFile put in `scratch` (to read a file back whose write ended in an error). */
export async function tocDigest(scratch: string): Promise<string> {
  return sha512Hex(await readFile(join(scratch, TOC_MEMBER)));
}

function rate(bytes: number, since: number): string {
  const s = Math.max(0.001, (Date.now() - since) / 1000);
  return `${formatBytes(bytes / s)}/s`;
}

/** Report about every 8 MiB (and at least every record). */
function checkpointRecords(drive: TapeDrive): number {
  return Math.max(1, Math.floor((8 * 1024 * 1024) / (drive.options.blockingFactor * 512)));
}

export interface VerifyProblem {
  path: string;
  objectId?: string;
  why: string;
}

/** Prints sha512, size and name of each member tar hands it (tar --to-command runs it once per file). */
const HASH_SCRIPT = `#!/bin/sh
h=$(sha512sum | cut -d' ' -f1) || exit 1
printf '%s %s %s\\n' "$h" "$TAR_SIZE" "$TAR_FILENAME"
`;

/**
 * Reads tape file `fileNumber` back (rewind, space forward, tar extract to a hashing command, nothing
 * written to disk) and compares every member with what was written. Returns the problems found;
 * throws TapeCommandError when the drive cannot read the file.
 */
export async function verifyRunFile(
  drive: TapeDrive,
  scratch: string,
  fileNumber: number,
  expected: { tocSha512?: string; objects: ObjectOnTape[] },
  reporter: Reporter,
  onMember?: (path: string) => void,
): Promise<{ problems: VerifyProblem[]; seen: Map<string, { sha512: string; bytes: number }> }> {
  const script = join(scratch, 'hash-member.sh');
  await writeFile(script, HASH_SCRIPT);
  await chmod(script, 0o755);
  const want = new Map<string, { file: FileOnTape; objectId: string }>();
  for (const o of expected.objects) for (const f of o.files) want.set(f.path, { file: f, objectId: o.objectId });
  const total = [...want.values()].reduce((s, w) => s + w.file.bytes, 0);
  const seen = new Map<string, { sha512: string; bytes: number }>();
  let done = 0;
  await drive.seekFile(fileNumber);
  reporter.progress(0, total, `verifying tape file ${fileNumber}`, 'bytes');
  await drive.tar(`read back file ${fileNumber}`, ['--extract', `--to-command='${script.replace(/'/g, `'\\''`)}'`], {
    onStdoutLine: (line) => {
      const m = /^([0-9a-f]{128}) (\d+) (.*)$/.exec(line);
      if (!m) return;
      seen.set(m[3], { sha512: m[1], bytes: Number(m[2]) });
      onMember?.(m[3]);
      if (want.has(m[3])) {
        done += Number(m[2]);
        reporter.progress(done, total, `verified ${formatBytes(done)} of ${formatBytes(total)}`, 'bytes');
      }
    },
  });
  const problems: VerifyProblem[] = [];
  if (expected.tocSha512 !== undefined && seen.get(TOC_MEMBER)?.sha512 !== expected.tocSha512) {
    problems.push({ path: TOC_MEMBER, why: seen.has(TOC_MEMBER) ? 'the table of contents read back differs from what was written' : 'the table of contents is missing' });
  }
  for (const [path, w] of want) {
    const got = seen.get(path);
    if (!got) problems.push({ path, objectId: w.objectId, why: 'missing from the tape file' });
    else if (got.sha512 !== w.file.sha512.toLowerCase()) problems.push({ path, objectId: w.objectId, why: `sha512 read back ${got.sha512.slice(0, 16)}… differs from the inventory's ${w.file.sha512.slice(0, 16)}…` });
    else if (got.bytes !== w.file.bytes) problems.push({ path, objectId: w.objectId, why: `${got.bytes} bytes read back, ${w.file.bytes} expected` });
  }
  return { problems, seen };
}

export async function fileSize(path: string): Promise<number> {
  return (await stat(path)).size;
}
