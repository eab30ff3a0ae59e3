/**
 * `distillery ocfl …`: look at, check, purge and audit the preservation packages.
 *   validate <path> [--json]           an object root or a storage root; exit 0 valid, 1 invalid
 *   ls <root>                          objects in a storage root
 *   show <root> <id>                   versions, files and fixity of an object
 *   diff <root> <id> <vN> <vM>         what changed between two versions
 *   purge <root> <id> <path>… --reason "…" [--stub] [--new-id <id>] [--by <name>] [--email <address>]
 *   tokens <root> <id> [--version vN] [--ledger <file>]   make ACE tokens (default: every version)
 *   audit <root> <id> [--ledger <file>]                   re-check payload digests and token proofs
 *   witness <root> [--ledger <file>]                       publish the IMS witness of the rounds since the last one
 *   export <root> <id> <folder> [--version vN]   copy a version's files out
 *   recover <root> <id>                finish an install a crash interrupted
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { validateObject } from './validate/object.js';
import { validateStorageRoot, looksLikeStorageRoot } from './validate/storageRoot.js';
import type { ValidationResult } from './validate/result.js';
import { objectPath } from './layout.js';
import { readInventory, diffVersions, exportVersion } from './objectFiles.js';
import { stateOf, manifestIndex } from './inventory.js';
import { purgeFiles, listObjectIds } from './purge.js';
import { tokenizeVersion, auditObject } from './ace/tokenize.js';
import { LocalIms } from './ace/ims.js';
import { defaultLedgerPath } from './companion.js';
import { recoverObject } from './recover.js';
import { withObjectLock } from './lock.js';
import { versionNumber } from './paths.js';
import { identityFilePath, ObjectIdentity } from './identity.js';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const defaultIo: CliIo = { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) };

const USAGE = `usage: distillery ocfl <command>
  validate <path> [--json]                 check an object root or a storage root (exit 0 valid, 1 invalid)
  ls <root>                                list the objects in a storage root
  show <root> <id>                         versions, files and fixity of an object
  diff <root> <id> <vN> <vM>               what changed between two versions
  purge <root> <id> <logical-path>... --reason "..." [--stub] [--new-id <id>] [--by <name>] [--email <address>]
                                           remove files from every version (the history is rewritten)
  tokens <root> <id> [--version vN] [--ledger <file>]   make ACE tokens for payload files
  audit <root> <id> [--ledger <file>]      re-check payload digests and ACE token proofs
  witness <root> [--ledger <file>]         publish the local IMS's witness of the rounds since the last one, and check the ledger
  export <root> <id> <folder> [--version vN]           copy the files of a version (default: latest) to a new folder
  recover <root> <id>                      finish an install that a crash interrupted
  migrate-ids <root> [--namespace <ns>]    find objects made under URL-based ids and record their aliases
                                           (safe to run again; the namespace defaults to the pinned one, then settings.ini)
`;

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

function parse(args: string[], valued: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2);
      if (valued.includes(name)) {
        const v = inline ?? args[++i];
        if (v === undefined) throw new UsageError(`--${name} needs a value.`);
        flags.set(name, v);
      } else flags.set(name, true);
    } else positional.push(a);
  }
  return { positional, flags };
}

class UsageError extends Error {}

export async function ocflCommand(args: string[], io: CliIo = defaultIo): Promise<number> {
  const [cmd, ...rest] = args;
  try {
    switch (cmd) {
      case 'validate':
        return await validateCmd(parse(rest, []), io);
      case 'ls':
        return await lsCmd(parse(rest, []), io);
      case 'show':
        return await showCmd(parse(rest, []), io);
      case 'diff':
        return await diffCmd(parse(rest, []), io);
      case 'purge':
        return await purgeCmd(parse(rest, ['reason', 'new-id', 'by', 'email', 'ledger']), io);
      case 'tokens':
        return await tokensCmd(parse(rest, ['version', 'ledger']), io);
      case 'audit':
        return await auditCmd(parse(rest, ['ledger']), io);
      case 'witness':
        return await witnessCmd(parse(rest, ['ledger']), io);
      case 'recover':
        return await recoverCmd(parse(rest, []), io);
      case 'export':
        return await exportCmd(parse(rest, ['version']), io);
      case 'migrate-ids':
        return await migrateIdsCmd(parse(rest, ['namespace']), io);
      case undefined:
      case 'help':
      case '--help':
        io.out(USAGE);
        return cmd === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${cmd}".`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`distillery ocfl: ${err.message}\n${USAGE}`);
      return 2;
    }
    io.err(`distillery ocfl ${cmd}: ${(err as Error).message}\n`);
    return 1;
  }
}

function need(p: Parsed, n: number, what: string): string[] {
  if (p.positional.length < n) throw new UsageError(`expected ${what}.`);
  return p.positional;
}

async function validateCmd(p: Parsed, io: CliIo): Promise<number> {
  const [path] = need(p, 1, 'a path: validate <path> [--json]');
  const r: ValidationResult = (await looksLikeStorageRoot(path)) ? await validateStorageRoot(path) : await validateObject(path);
  if (p.flags.has('json')) {
    const strip = (i: { code: string; message: string; path: string }) => ({ code: i.code, message: i.message, path: i.path });
    io.out(JSON.stringify({ valid: r.valid, errors: r.errors.map(strip), warnings: r.warnings.map(strip), notes: r.notes.map(strip) }, null, 2) + '\n');
  } else {
    for (const e of r.errors) io.out(`ERROR   ${e.code} ${e.path}: ${e.message}\n`);
    for (const w of r.warnings) io.out(`WARNING ${w.code} ${w.path}: ${w.message}\n`);
    for (const n of r.notes) io.out(`NOTE    ${n.path}: ${n.message}\n`);
    const objects = `${r.objects} object${r.objects === 1 ? '' : 's'}`;
    io.out(r.valid ? `valid (${objects}, ${r.warnings.length} warning(s))\n` : `INVALID (${objects}, ${r.errors.length} error(s), ${r.warnings.length} warning(s))\n`);
  }
  return r.valid ? 0 : 1;
}

async function lsCmd(p: Parsed, io: CliIo): Promise<number> {
  const [root] = need(p, 1, 'a storage root: ls <root>');
  for (const id of await listObjectIds(root)) {
    const inv = await readInventory(root, id).catch(() => undefined);
    const head = inv ? `${inv.head} ${inv.versions[inv.head]?.created ?? ''}` : '(unreadable inventory)';
    io.out(`${id}\t${head}\t${objectPath(id)}\n`);
  }
  return 0;
}

async function migrateIdsCmd(p: Parsed, io: CliIo): Promise<number> {
  const [root] = need(p, 1, 'a storage root: migrate-ids <root> [--namespace <ns>]');
  if (!(await looksLikeStorageRoot(root))) throw new UsageError(`${root} is not an OCFL storage root.`);
  let namespace = typeof p.flags.get('namespace') === 'string' ? (p.flags.get('namespace') as string) : await pinnedNamespace(root);
  if (!namespace) {
    try {
      const { loadSettings, settingsPath } = await import('../settings/index.js');
      namespace = (await loadSettings(settingsPath(), 'worker')).ocfl.idNamespace;
    } catch (err) {
      throw new UsageError(`no namespace is pinned for ${root} and settings.ini could not be read (${(err as Error).message.split('\n')[0]}): give --namespace <the OCFL_ID_NAMESPACE of settings.ini>.`);
    }
  }
  const identity = await ObjectIdentity.open(root, namespace);
  const { aliased, already } = await identity.migrate();
  for (const a of aliased) {
    io.out(`${a.stableId}\tcontinues\t${a.objectId}\n`);
    for (const f of a.forks) io.out(`${a.stableId}\tfork (left as it is; review)\t${f}\n`);
  }
  const forks = aliased.reduce((n, a) => n + a.forks.length, 0);
  io.out(`${aliased.length} object(s) made under URL-based ids now continue under their stable ids (${already} recorded before)` +
    `${forks ? `; ${forks} further object(s) of the same records were made before ids were stable and are left as they are: compare them with \`distillery ocfl diff\` and remove what is not needed` : ''}. Aliases: ${identityFilePath(root)}\n`);
  return 0;
}

async function pinnedNamespace(root: string): Promise<string | undefined> {
  try {
    return (JSON.parse(await readFile(identityFilePath(root), 'utf8')) as { namespace?: string }).namespace;
  } catch {
    return undefined;
  }
}

async function mustInventory(root: string, id: string) {
  const inv = await readInventory(root, id);
  if (!inv) throw new Error(`There is no object ${id} in ${root} (looked in ${join(root, objectPath(id))}).`);
  return inv;
}

async function showCmd(p: Parsed, io: CliIo): Promise<number> {
  const [root, id] = need(p, 2, 'show <root> <id>');
  const inv = await mustInventory(root, id);
  const index = manifestIndex(inv);
  const sha256Of = new Map<string, string>();
  for (const [d, paths] of Object.entries(inv.fixity?.sha256 ?? {})) for (const cp of paths) sha256Of.set(cp, d);
  io.out(`object  ${inv.id}\npath    ${objectPath(id)}\nhead    ${inv.head}\n`);
  for (const v of Object.keys(inv.versions).sort((a, b) => versionNumber(a)! - versionNumber(b)!)) {
    const b = inv.versions[v];
    io.out(`\n${v}  ${b.created}  ${b.user?.name ?? '?'}${b.user?.address ? ` <${b.user.address.replace(/^mailto:/, '')}>` : ''}\n  ${b.message ?? ''}\n`);
    for (const [lp, d] of [...stateOf(inv, v)].sort(([a], [c]) => (a < c ? -1 : 1))) {
      const cp = index.get(d)?.[0] ?? '?';
      io.out(`  ${lp}\n      stored ${cp}\n      sha512 ${d}\n${sha256Of.has(cp) ? `      sha256 ${sha256Of.get(cp)}\n` : ''}`);
    }
  }
  return 0;
}

async function diffCmd(p: Parsed, io: CliIo): Promise<number> {
  const [root, id, a, b] = need(p, 4, 'diff <root> <id> <vN> <vM>');
  const inv = await mustInventory(root, id);
  for (const v of [a, b]) if (!inv.versions[v]) throw new Error(`${id} has no version ${v} (versions: ${Object.keys(inv.versions).join(', ')}).`);
  const d = diffVersions(inv, a, b);
  for (const x of d.added) io.out(`added     ${x}\n`);
  for (const x of d.removed) io.out(`removed   ${x}\n`);
  for (const x of d.modified) io.out(`modified  ${x}\n`);
  for (const x of d.renamed) io.out(`renamed   ${x.from} -> ${x.to}\n`);
  if (!d.added.length && !d.removed.length && !d.modified.length && !d.renamed.length) io.out(`no differences between ${a} and ${b}\n`);
  return 0;
}

async function purgeCmd(p: Parsed, io: CliIo): Promise<number> {
  const [root, id, ...paths] = need(p, 3, 'purge <root> <id> <logical-path>... --reason "..."');
  const reason = p.flags.get('reason');
  if (typeof reason !== 'string' || !reason.trim()) throw new UsageError('--reason "..." is required; it is recorded in the object.');
  const by = typeof p.flags.get('by') === 'string' ? (p.flags.get('by') as string) : userInfo().username;
  // OCFL wants a version's user to have an address (W008 otherwise): the stub's only version is ours.
  const email = p.flags.get('email');
  if (email !== undefined && (typeof email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(email))) throw new UsageError('--email needs an address such as archivist@example.edu.');
  const ledger = p.flags.get('ledger');
  const ims = new LocalIms(typeof ledger === 'string' ? ledger : defaultLedgerPath(root));
  const r = await purgeFiles(root, id, paths, {
    reason,
    user: typeof email === 'string' ? { name: by, address: `mailto:${email}` } : { name: by },
    stub: p.flags.has('stub'),
    newId: typeof p.flags.get('new-id') === 'string' ? (p.flags.get('new-id') as string) : undefined,
    ims,
  });
  io.out(`purged ${paths.length} logical path(s) from ${id}: versions ${r.affectedVersions.join(', ') || '(none)'} rewritten, ${r.removedContentFiles} content file(s) removed.\n`);
  if (r.stubObjectId) io.out(`the history is now object ${r.purgedObjectId}; ${id} is a stub pointing to it.\n`);
  io.out('tokens were made again for the new history. Send the object to its destinations again and remove the old copies there.\n');
  return 0;
}

async function tokensCmd(p: Parsed, io: CliIo): Promise<number> {
  const [root, id] = need(p, 2, 'tokens <root> <id> [--version vN]');
  const inv = await mustInventory(root, id);
  const ledger = p.flags.get('ledger');
  const ims = new LocalIms(typeof ledger === 'string' ? ledger : defaultLedgerPath(root));
  const only = p.flags.get('version');
  const versions = typeof only === 'string' ? [only] : Object.keys(inv.versions).filter((v) => Object.values(inv.manifest).flat().some((cp) => cp.startsWith(`${v}/`)));
  for (const v of versions) io.out(`${v}: ${await tokenizeVersion(root, id, v, ims)}\n`);
  return 0;
}

async function auditCmd(p: Parsed, io: CliIo): Promise<number> {
  const [root, id] = need(p, 2, 'audit <root> <id>');
  const ledger = p.flags.get('ledger');
  const ims = new LocalIms(typeof ledger === 'string' ? ledger : defaultLedgerPath(root));
  const r = await auditObject(root, id, ims);
  for (const i of r.items) io.out(`${i.state} ${i.message}\n`);
  for (const pr of r.problems) io.out(`! ${pr}\n`);
  if (r.heldElsewhere) io.out(`${r.heldElsewhere} file(s) held elsewhere were not audited here.\n`);
  io.out(r.ok ? 'audit passed\n' : 'AUDIT FAILED\n');
  return r.ok ? 0 : 1;
}

async function witnessCmd(p: Parsed, io: CliIo): Promise<number> {
  const [root] = need(p, 1, 'witness <root>');
  const ledger = p.flags.get('ledger');
  const ims = new LocalIms(typeof ledger === 'string' ? ledger : defaultLedgerPath(root));
  const problems = await ims.checkLedger();
  for (const pr of problems) io.out(`! ${pr}\n`);
  if (problems.length) {
    io.out('The IMS ledger is damaged; no witness was published. Restore the ledger from a backup.\n');
    return 1;
  }
  const w = await ims.publishWitness();
  if (!w) io.out('no round since the last witness; nothing to publish\n');
  else io.out(`witness of rounds ${w.startRound}-${w.endRound} (${w.roundCount} round(s)): ${w.hash}\nrecorded in ${ims.witnessPath}; publish this value where others can see it (e-mail, a web page).\n`);
  return 0;
}

async function recoverCmd(p: Parsed, io: CliIo): Promise<number> {
  const [root, id] = need(p, 2, 'recover <root> <id>');
  const v = await withObjectLock(root, id, () => recoverObject(root, join(root, objectPath(id))));
  io.out(v ? `finished the interrupted install of ${v}\n` : 'nothing to recover\n');
  return 0;
}

async function exportCmd(p: Parsed, io: CliIo): Promise<number> {
  const [root, id, dest] = need(p, 3, 'export <root> <id> <folder> [--version vN]');
  if ((await readdir(dest).catch(() => [])).length > 0) throw new Error(`${dest} is not empty; export into a new or empty folder.`);
  const inv = await mustInventory(root, id);
  const v = p.flags.get('version');
  const version = typeof v === 'string' ? v : inv.head;
  if (!inv.versions[version]) throw new Error(`${id} has no version ${version} (versions: ${Object.keys(inv.versions).join(', ')}).`);
  const files = await exportVersion(root, id, dest, version);
  io.out(`exported ${files.length} file(s) of ${id} ${version} to ${dest}\n`);
  return 0;
}
