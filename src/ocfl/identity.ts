/**
 * Object ids that never change. A folder's OCFL object id is a namespace set once in settings
 * (OCFL_ID_NAMESPACE) followed by the archival object's repository-relative URI, e.g.
 * `info:archivesspace/repositories/2/archival_objects/1234`: nothing in it depends on a host
 * name, port, scheme or proxy path, so moving ArchivesSpace (or restarting the demo's stand-in
 * on another port) never starts a second object for the same folder.
 *
 * Objects written before (whose id was the archival object's public URL, host and port
 * included) are found by the URI they end with and continued under their old id: an alias,
 * recorded in `<storage root>-distillery/object-ids.json`. The alias file is a cache — the
 * storage root is the truth, so a lost alias is found again — except for the namespace, which is
 * pinned there at first use: changing OCFL_ID_NAMESPACE afterwards is refused with a message.
 */
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PermanentError } from '../policies.js';
import { companionPath } from './companion.js';
import { writeFileAtomic } from '../atomicWrite.js';
import { readObjectInventory } from './inventory.js';
import { readInventory } from './objectFiles.js';
import { versionNumber } from './paths.js';

export const DEFAULT_ID_NAMESPACE = 'info:archivesspace';

/** The repository-relative URI of an ArchivesSpace record at the end of an id or URL. */
const RECORD_URI = /(\/repositories\/\d+\/[a-z_]+\/\d+)$/;

export interface IdentityFile {
  /** The namespace pinned at first use. */
  namespace: string;
  /** Stable id → the older URL-based id the object was first written under. */
  aliases: Record<string, string>;
  /** Stable id → further URL-based objects of the same record (forks made before ids were stable), for a person to review. */
  forks: Record<string, string[]>;
}

export interface Resolved {
  /** The id to write the folder's next version under. */
  objectId: string;
  stableId: string;
  /** Set when the object is an older one continued under its URL-based id. */
  legacy?: string;
  /** Other URL-based objects of the same record (left alone; listed for review). */
  forks: string[];
}

export function identityFilePath(rootPath: string): string {
  return join(companionPath(rootPath), 'object-ids.json');
}

/** `<namespace><repository-relative URI>`; the namespace's trailing slashes are dropped. */
export function stableObjectId(namespace: string, recordUri: string): string {
  const uri = repositoryRelativeUri(recordUri);
  if (!uri) throw new PermanentError(`"${recordUri}" is not an ArchivesSpace record URI such as /repositories/2/archival_objects/1234.`);
  return `${namespace.replace(/\/+$/, '')}${uri}`;
}

/** The `/repositories/N/<type>/N` part of a URI or URL, if it ends with one. */
export function repositoryRelativeUri(uriOrUrl: string): string | undefined {
  return RECORD_URI.exec(uriOrUrl)?.[1];
}

/** An id written before ids were stable: an http(s) URL ending in a record URI. */
export function isUrlBasedId(id: string): boolean {
  return /^https?:\/\//i.test(id) && repositoryRelativeUri(id) !== undefined;
}

interface ObjectEntry {
  id: string;
  created: string;
  versions: number;
}

export class ObjectIdentity {
  private index?: Map<string, ObjectEntry[]>;

  private constructor(
    readonly rootPath: string,
    readonly namespace: string,
    private file: IdentityFile,
  ) {}

  /** Opens (or starts) the identity file; refuses a namespace different from the pinned one. */
  static async open(rootPath: string, namespace: string, opts: { readOnly?: boolean } = {}): Promise<ObjectIdentity> {
    const file = await readIdentityFile(rootPath);
    if (file && file.namespace !== namespace) {
      throw new PermanentError(
        `OCFL_ID_NAMESPACE is "${namespace}" but the objects in ${rootPath} were made under "${file.namespace}" (pinned in ${identityFilePath(rootPath)}). ` +
          `The namespace is set once: put OCFL_ID_NAMESPACE=${file.namespace} back in settings.ini. Changing it would start a second object for every folder.`,
      );
    }
    const identity = new ObjectIdentity(rootPath, namespace, file ?? { namespace, aliases: {}, forks: {} });
    if (!file && !opts.readOnly) await identity.save();
    return identity;
  }

  get aliases(): Readonly<Record<string, string>> {
    return this.file.aliases;
  }

  get forks(): Readonly<Record<string, string[]>> {
    return this.file.forks;
  }

  /** The id a record's object has: an alias, the stable id, or an older URL-based object found now. */
  async resolve(recordUri: string, opts: { record?: boolean } = {}): Promise<Resolved> {
    const stableId = stableObjectId(this.namespace, recordUri);
    const alias = this.file.aliases[stableId];
    if (alias && (await readInventory(this.rootPath, alias).catch(() => undefined))) {
      return { objectId: alias, stableId, legacy: alias, forks: this.file.forks[stableId] ?? [] };
    }
    if (await readInventory(this.rootPath, stableId).catch(() => undefined)) return { objectId: stableId, stableId, forks: [] };
    const older = (await this.legacyIndex()).get(repositoryRelativeUri(stableId)!) ?? [];
    if (older.length === 0) return { objectId: stableId, stableId, forks: [] };
    const [first, ...rest] = older;
    if (opts.record !== false) await this.record(stableId, first.id, rest.map((e) => e.id));
    return { objectId: first.id, stableId, legacy: first.id, forks: rest.map((e) => e.id) };
  }

  /**
   * Finds every URL-based object in the storage root and records its alias (the whole of
   * `distillery ocfl migrate-ids`). Safe to run again and to interrupt: each alias is saved as
   * it is found, and objects already aliased are kept.
   */
  async migrate(): Promise<{ aliased: { stableId: string; objectId: string; forks: string[] }[]; already: number }> {
    this.index = undefined;
    const aliased: { stableId: string; objectId: string; forks: string[] }[] = [];
    let already = 0;
    for (const [uri, entries] of await this.legacyIndex()) {
      const stableId = `${this.namespace.replace(/\/+$/, '')}${uri}`;
      if (this.file.aliases[stableId]) {
        already++;
        continue;
      }
      const [first, ...rest] = entries;
      await this.record(stableId, first.id, rest.map((e) => e.id));
      aliased.push({ stableId, objectId: first.id, forks: rest.map((e) => e.id) });
    }
    return { aliased, already };
  }

  /** URL-based objects with no alias yet (what `check` points to migrate-ids for). */
  async unaliased(): Promise<string[]> {
    const aliasedIds = new Set([...Object.values(this.file.aliases), ...Object.values(this.file.forks).flat()]);
    const out: string[] = [];
    for (const entries of (await this.legacyIndex()).values()) for (const e of entries) if (!aliasedIds.has(e.id)) out.push(e.id);
    return out.sort();
  }

  /** What `distillery check` says of the storage root's object ids: whether migrate-ids has work to do. */
  async checkNote(): Promise<string> {
    const waiting = await this.unaliased();
    if (!waiting.length) return `stable ids under ${this.namespace}; no object under an older URL-based id is waiting`;
    return `${waiting.length} object(s) made under older URL-based ids (e.g. ${waiting[0]}) are continued as each folder is run again; ` +
      `\`distillery ocfl migrate-ids ${this.rootPath}\` records every alias at once and lists forks to review (docs/ocfl.md)`;
  }

  private async record(stableId: string, objectId: string, forks: string[]): Promise<void> {
    // Another worker may have added aliases since this one read the file: merge, then write.
    const current = (await readIdentityFile(this.rootPath)) ?? this.file;
    current.aliases = { ...this.file.aliases, ...current.aliases, [stableId]: current.aliases[stableId] ?? objectId };
    current.forks = { ...this.file.forks, ...current.forks };
    if (forks.length) current.forks[stableId] = forks;
    this.file = current;
    await this.save();
  }

  private async save(): Promise<void> {
    const path = identityFilePath(this.rootPath);
    await mkdir(companionPath(this.rootPath), { recursive: true });
    await writeFileAtomic(path, JSON.stringify(this.file, null, 2) + '\n');
  }

  /** URL-based objects by record URI, the first made first (the one continued). */
  private async legacyIndex(): Promise<Map<string, ObjectEntry[]>> {
    if (this.index) return this.index;
    const index = new Map<string, ObjectEntry[]>();
    for (const e of await listObjects(this.rootPath)) {
      if (!isUrlBasedId(e.id)) continue;
      const uri = repositoryRelativeUri(e.id)!;
      index.set(uri, [...(index.get(uri) ?? []), e]);
    }
    for (const list of index.values()) list.sort((a, b) => a.created.localeCompare(b.created) || b.versions - a.versions || a.id.localeCompare(b.id));
    this.index = index;
    return index;
  }
}

async function readIdentityFile(rootPath: string): Promise<IdentityFile | undefined> {
  let text: string;
  try {
    text = await readFile(identityFilePath(rootPath), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<IdentityFile>;
  if (typeof parsed.namespace !== 'string') throw new PermanentError(`${identityFilePath(rootPath)} has no namespace: restore it from a backup (it pins OCFL_ID_NAMESPACE).`);
  return { namespace: parsed.namespace, aliases: parsed.aliases ?? {}, forks: parsed.forks ?? {} };
}

/** Every object in a storage root with the date its first version was made. */
async function listObjects(rootPath: string): Promise<ObjectEntry[]> {
  const out: ObjectEntry[] = [];
  async function walk(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    if (entries.some((e) => e.name.startsWith('0=ocfl_object_'))) {
      const inv = await readObjectInventory(dir).catch(() => undefined);
      if (inv) {
        const first = Object.keys(inv.versions).sort((a, b) => (versionNumber(a) ?? 0) - (versionNumber(b) ?? 0))[0];
        out.push({ id: inv.id, created: inv.versions[first]?.created ?? '', versions: Object.keys(inv.versions).length });
      }
      return;
    }
    for (const e of entries) if (e.isDirectory() && e.name !== 'extensions') await walk(join(dir, e.name));
  }
  await walk(rootPath);
  return out;
}
