/**
 * The ArchivesSpace client Distillery uses (axios): session login with one re-login on 403 or an
 * expired session, retries under named policies (network errors and 5xx: `shortRequest`; a stale
 * lock_version: `lockConflict`, re-reading and re-applying), and idempotent writes — a rerun finds
 * the digital object, component or tape container it made before instead of making another.
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { formatDuration, policies, withRetry } from '../policies.js';
import { arrangementOf } from './arrangement.js';
import { ArchivesSpaceError, errorFromResponse } from './errors.js';
import type {
  ArchivesSpace,
  ArchivesSpaceLookups,
  Collection,
  ComponentRecord,
  DigitalObjectRecord,
  DigitalObjectType,
  FileVersion,
  FolderRecord,
  TreeNode,
} from './types.js';

type Json = Record<string, any>;
type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface ArchivesSpaceClientOptions {
  baseUrl: string;
  username: string;
  password: string;
  repositoryId: number;
  /** Staff interface base, for links in the status stream. */
  staffUrl?: string;
  /** Public interface base, for the archival object's public link. */
  publicUrl?: string;
  /** Time-out of one request; the shortRequest policy's by default. */
  timeoutMs?: number;
}

/** What the archival object is read with: everything the arrangement and the original used. */
const FOLDER_RESOLVE = ['ancestors', 'digital_object', 'repository', 'top_container', 'linked_agents', 'subjects'];
const TAPE_INSTANCE_TYPE = 'mixed_materials';

export class ArchivesSpaceClient implements ArchivesSpace, ArchivesSpaceLookups {
  private readonly http: AxiosInstance;
  private token?: string;
  private loggingIn?: Promise<string>;
  readonly repositoryUri: string;

  constructor(private readonly opts: ArchivesSpaceClientOptions) {
    this.http = axios.create({
      baseURL: opts.baseUrl.replace(/\/+$/, ''),
      timeout: opts.timeoutMs ?? policies.shortRequest.timeoutMs,
      // Every status is handled here; the raw text is parsed here (a 404 route is HTML).
      validateStatus: () => true,
      responseType: 'text',
      transformResponse: [(d) => d],
      headers: { Accept: 'application/json' },
    });
    this.repositoryUri = `/repositories/${opts.repositoryId}`;
  }

  // ---- the ArchivesSpace interface -----------------------------------------------------------

  async findCollection(collectionId: string): Promise<Collection> {
    const found = await this.get(`${this.repositoryUri}/find_by_id/resources`, { identifier: [JSON.stringify([collectionId])] });
    const refs: Json[] = found.resources ?? [];
    if (refs.length === 0) {
      throw new ArchivesSpaceError(
        `No collection found in ArchivesSpace with the ID: ${collectionId}. Check the collection ID against the resource's identifier (and ASPACE_REPOSITORY_ID).`,
      );
    }
    const record = await this.get(refs[0].ref);
    if (record.id_0 !== collectionId) {
      throw new ArchivesSpaceError(
        `The Collection ID from the form, ${collectionId}, must exactly match the identifier in ArchivesSpace, ${record.id_0}, including case-sensitively.`,
      );
    }
    const ordered = await this.get(`${record.uri}/ordered_records`);
    record.tree = { ...(record.tree ?? {}), _resolved: ordered };
    return { uri: record.uri, id0: record.id_0, title: record.title, record, useRestriction: useRestrictionOf(record) };
  }

  async findFolder(componentId: string): Promise<FolderRecord> {
    const found = await this.get(`${this.repositoryUri}/find_by_id/archival_objects`, { component_id: [componentId] });
    const refs: Json[] = found.archival_objects ?? [];
    if (refs.length === 0) {
      throw new ArchivesSpaceError(
        `No records found with component_id: ${componentId}. Give the folder's archival object this Component Unique Identifier in ArchivesSpace, or rename the folder.`,
      );
    }
    if (refs.length > 1) {
      throw new ArchivesSpaceError(
        `Multiple records found with component_id: ${componentId} (${refs.map((r) => r.ref).join(', ')}). Component identifiers must be unique; correct the duplicates in ArchivesSpace.`,
      );
    }
    const ao = await this.get(refs[0].ref, { resolve: FOLDER_RESOLVE });
    return folderRecordOf(ao, componentId);
  }

  async ensureDigitalObject(folder: FolderRecord, opts: { type?: DigitalObjectType } = {}): Promise<FolderRecord & { digitalObjectUri: string }> {
    const cid = folder.componentId;
    if (folder.digitalObjectUri) {
      // The original renamed a digital object whose id had drifted from the component id.
      const doUri = folder.digitalObjectUri;
      await this.updateRecord(doUri, (d) => {
        const rename = d.digital_object_id !== cid;
        const type = opts.type !== undefined && !d.digital_object_type;
        if (!rename && !type) return false;
        d.digital_object_id = cid;
        if (type) d.digital_object_type = opts.type;
      });
      return { ...folder, digitalObjectUri: doUri };
    }
    let doUri = await this.findDigitalObject(cid);
    if (doUri) {
      const existing = await this.get(doUri);
      const others = (existing.linked_instances ?? []).map((l: Json) => l.ref).filter((r: string) => r !== folder.archivalObjectUri);
      if (others.length > 0) {
        throw new ArchivesSpaceError(
          `A digital object with digital_object_id ${cid} already exists (${doUri}) and is linked to ${others.join(', ')}, not to ${folder.archivalObjectUri}. Resolve the duplicate component id in ArchivesSpace.`,
        );
      }
    } else {
      doUri = await this.createDigitalObject(cid, String(folder.archivalObject.title ?? folder.archivalObject.display_string ?? cid), opts.type);
    }
    const target = doUri;
    await this.updateRecord(folder.archivalObjectUri, (ao) => {
      ao.instances ??= [];
      if (ao.instances.some((i: Json) => i.digital_object?.ref === target)) return false;
      ao.instances.push({ instance_type: 'digital_object', digital_object: { ref: target } });
    });
    // Linking bumped the digital object's lock_version: read the folder again, as the original did.
    const again = await this.findFolder(cid);
    if (again.digitalObjectUri !== target) {
      throw new ArchivesSpaceError(`The archival object ${folder.archivalObjectUri} does not show the digital object ${target} after linking; check the record in ArchivesSpace.`);
    }
    return again as FolderRecord & { digitalObjectUri: string };
  }

  async ensureComponent(digitalObjectUri: string, component: { componentId: string; label: string; position?: number }): Promise<ComponentRecord> {
    const existing = await this.findComponent(digitalObjectUri, component.componentId);
    if (existing) return existing;
    const body: Json = { digital_object: { ref: digitalObjectUri }, component_id: component.componentId, label: component.label };
    if (component.position !== undefined) body.position = component.position;
    try {
      const uri = await this.create(`${this.repositoryUri}/digital_object_components`, body, async () => (await this.findComponent(digitalObjectUri, component.componentId))?.uri);
      return componentOf(await this.get(uri));
    } catch (err) {
      // A retried create whose first answer was lost: the component is there now.
      if (err instanceof ArchivesSpaceError && err.hasFieldError('component_id', /unique/i)) {
        const again = await this.findComponent(digitalObjectUri, component.componentId);
        if (again) return again;
      }
      throw err;
    }
  }

  async upsertFileVersions(uri: string, fileVersions: FileVersion[], opts: { replaces?: (fileUri: string) => boolean } = {}): Promise<void> {
    await this.updateRecord(uri, (rec) => {
      let current: Json[] = rec.file_versions ?? [];
      let changed = false;
      for (const fv of fileVersions) {
        const i = current.findIndex((c) => c.file_uri === fv.file_uri);
        if (i === -1 && opts.replaces) {
          const older = current.filter((c) => c.file_uri !== fv.file_uri && opts.replaces!(String(c.file_uri)));
          if (older.length) {
            current = current.filter((c) => !older.includes(c));
            changed = true;
          }
        }
        if (i === -1) {
          current.push({ ...fv });
          changed = true;
        } else if (Object.entries(fv).some(([k, v]) => current[i][k] !== v)) {
          current[i] = { ...current[i], ...fv };
          changed = true;
        }
      }
      rec.file_versions = current;
      return changed;
    });
  }

  async ensureTapeContainer(archivalObjectUri: string, indicator: string, containerProfileUri?: string): Promise<string> {
    const found = await this.get(`${this.repositoryUri}/find_by_id/top_containers`, { indicator: [indicator], resolve: ['top_containers'] });
    let tcUri: string | undefined = (found.top_containers ?? []).find((t: Json) => String(t._resolved?.type ?? '').toLowerCase() === 'tape')?.ref;
    if (!tcUri) {
      const body: Json = { indicator, type: 'Tape' };
      if (containerProfileUri) body.container_profile = { ref: containerProfileUri };
      // Nothing makes a top container's indicator unique: only a look-up before a retry keeps a
      // lost answer from making a second one.
      tcUri = await this.create(`${this.repositoryUri}/top_containers`, body, async () => {
        const again = await this.get(`${this.repositoryUri}/find_by_id/top_containers`, { indicator: [indicator], resolve: ['top_containers'] });
        return (again.top_containers ?? []).find((t: Json) => String(t._resolved?.type ?? '').toLowerCase() === 'tape')?.ref as string | undefined;
      });
    }
    const target = tcUri;
    await this.updateRecord(archivalObjectUri, (ao) => {
      ao.instances ??= [];
      if (ao.instances.some((i: Json) => i.sub_container?.top_container?.ref === target)) return false;
      ao.instances.push({ instance_type: TAPE_INSTANCE_TYPE, sub_container: { top_container: { ref: target } } });
    });
    return target;
  }

  staffUrl(uri: string): string {
    return `${(this.opts.staffUrl ?? this.opts.baseUrl).replace(/\/+$/, '')}/resolve/readonly?uri=${uri}`;
  }

  /** The record's page in the public interface, when ASPACE_PUBLIC_URL is set. */
  publicUrl(uri: string): string | undefined {
    return this.opts.publicUrl ? `${this.opts.publicUrl.replace(/\/+$/, '')}${uri}` : undefined;
  }

  /** Logs in and reads the repository, for `distillery check`: one line, never a secret. */
  async ping(): Promise<string> {
    const repo = await this.get(this.repositoryUri);
    return `${this.opts.baseUrl}: logged in as ${this.opts.username}; repository ${this.opts.repositoryId} is ${repo.name} (${repo.repo_code})`;
  }

  // ---- read-only lookups ---------------------------------------------------------------------

  async components(digitalObjectUri: string): Promise<ComponentRecord[]> {
    const out: ComponentRecord[] = [];
    for (const n of await this.walkTree(digitalObjectUri)) out.push(componentOf(await this.get(n.uri)));
    return out;
  }

  async findDigitalObject(digitalObjectId: string): Promise<string | undefined> {
    const found = await this.get(`${this.repositoryUri}/find_by_id/digital_objects`, { digital_object_id: [digitalObjectId] });
    return found.digital_objects?.[0]?.ref;
  }

  async readDigitalObject(uri: string): Promise<DigitalObjectRecord> {
    const d = await this.get(uri);
    const nodes = await this.walkTree(uri);
    const components: ComponentRecord[] = [];
    for (const n of nodes) components.push(componentOf(await this.get(n.uri)));
    return {
      uri,
      digitalObjectId: d.digital_object_id,
      title: d.title,
      fileVersions: d.file_versions ?? [],
      linkedInstances: (d.linked_instances ?? []).map((l: Json) => l.ref),
      components,
    };
  }

  async readCollectionTree(resourceUri: string): Promise<TreeNode[]> {
    return this.walkTree(resourceUri);
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  /** GET a path (with `name[]` arrays in the query), under the shortRequest retry policy. */
  async get(path: string, query?: Query): Promise<Json> {
    return this.request('GET', path + queryString(query));
  }

  /** POST a JSON body (create or whole-record update). */
  async post(path: string, body: unknown): Promise<Json> {
    return this.request('POST', path, body);
  }

  async delete(path: string): Promise<Json> {
    return this.request('DELETE', path);
  }

  async logout(): Promise<void> {
    if (!this.token) return;
    await this.send('POST', '/logout', undefined).catch(() => undefined);
    this.token = undefined;
  }

  /**
   * Creates a record, never twice: a create whose answer was lost (a time-out, a dropped
   * connection, a 5xx after the commit) may have been made, so before each retry `lookUp` asks
   * for it, and a record found is used instead of creating another (docs/reliability.md).
   */
  private create(path: string, body: unknown, lookUp: () => Promise<string | undefined>): Promise<string> {
    return withRetry(
      policies.shortRequest,
      async (attempt) => {
        if (attempt > 1) {
          const found = await lookUp();
          if (found) return found;
        }
        return (await this.once('POST', path, body)).uri as string;
      },
      { what: `POST ${path} to ArchivesSpace ${this.opts.baseUrl}`, retryable: (err) => err instanceof ArchivesSpaceError && err.retryable },
    );
  }

  private request(method: string, path: string, body?: unknown): Promise<Json> {
    return withRetry(policies.shortRequest, () => this.once(method, path, body), {
      what: `${method} ${path.split('?')[0]} to ArchivesSpace ${this.opts.baseUrl}`,
      retryable: (err) => err instanceof ArchivesSpaceError && err.retryable,
    });
  }

  /** One attempt: log in if needed; on 403 or an expired session, log in again once and repeat. */
  private async once(method: string, path: string, body?: unknown): Promise<Json> {
    let token = await this.session();
    let res = await this.send(method, path, body, token);
    const sessionLost = res.status === 412 && /SESSION_(GONE|EXPIRED)/.test(String(res.data));
    if (res.status === 403 || sessionLost) {
      token = await this.session(token);
      res = await this.send(method, path, body, token);
    }
    const data = parse(res.data);
    if (res.status >= 200 && res.status < 300) return data as Json;
    const err = errorFromResponse(method, path.split('?')[0], res.status, data ?? res.data);
    err.message = this.redact(err.message);
    throw err;
  }

  /** The current session token; logs in when there is none or when `stale` is the one that failed. */
  private async session(stale?: string): Promise<string> {
    if (this.token && this.token !== stale) return this.token;
    this.loggingIn ??= this.login().finally(() => {
      this.loggingIn = undefined;
    });
    return this.loggingIn;
  }

  private async login(): Promise<string> {
    const path = `/users/${encodeURIComponent(this.opts.username)}/login`;
    const form = new URLSearchParams({ password: this.opts.password, expiring: 'false' }).toString();
    const res = await this.send('POST', path, form, undefined, 'application/x-www-form-urlencoded');
    const data = parse(res.data) as Json | undefined;
    if (res.status === 200 && typeof data?.session === 'string') {
      this.token = data.session;
      return data.session;
    }
    if (res.status === 403 || res.status === 400) {
      throw new ArchivesSpaceError(
        `ArchivesSpace refused the login of user "${this.opts.username}" (${res.status}: ${typeof data?.error === 'string' ? data.error : JSON.stringify(data?.error)}). Check ASPACE_USERNAME and ASPACE_PASSWORD; retrying will not help.`,
        { status: res.status },
      );
    }
    throw errorFromResponse('POST', '/users/:username/login', res.status, data ?? res.data);
  }

  private async send(method: string, path: string, body: unknown, token?: string, contentType = 'application/json'): Promise<AxiosResponse<string>> {
    try {
      return await this.http.request<string>({
        method,
        url: path,
        data: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        headers: { ...(token ? { 'X-ArchivesSpace-Session': token } : {}), ...(body !== undefined ? { 'Content-Type': contentType } : {}) },
      });
    } catch (err) {
      // No answer at all: refused, reset, timed out. Never pass the axios error on (it carries headers).
      const code = (err as { code?: string }).code ?? 'network error';
      if (code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
        const limit = formatDuration(this.opts.timeoutMs ?? policies.shortRequest.timeoutMs);
        throw new ArchivesSpaceError(
          `ArchivesSpace at ${this.opts.baseUrl} did not answer ${method} ${path.split('?')[0]} within ${limit} (${code}); a retry may help. If it is only slow, raise ASPACE_TIMEOUT_SECONDS in settings.ini.`,
          { retryable: true, code },
        );
      }
      throw new ArchivesSpaceError(
        `Could not reach ArchivesSpace at ${this.opts.baseUrl} for ${method} ${path.split('?')[0]} (${code}). Check ASPACE_API_URL and that ArchivesSpace is running; a retry may help.`,
        { retryable: true, code },
      );
    }
  }

  private redact(message: string): string {
    let out = message;
    if (this.token) out = out.split(this.token).join('<session>');
    return out.replace(/\b[0-9a-f]{64}\b/g, '<session>');
  }

  /**
   * Re-reads, re-applies and posts back the whole record until the lock_version is fresh
   * (lockConflict policy). `mutate` returns false when the record already says what we want.
   */
  private async updateRecord(uri: string, mutate: (record: Json) => boolean | void): Promise<void> {
    await withRetry(
      policies.lockConflict,
      async () => {
        const record = await this.get(uri);
        if (mutate(record) === false) return;
        await this.post(uri, record);
      },
      { retryable: (err) => err instanceof ArchivesSpaceError && err.isStaleLock },
    );
  }

  private async createDigitalObject(componentId: string, title: string, type?: DigitalObjectType): Promise<string> {
    try {
      const body: Json = { digital_object_id: componentId, title };
      if (type) body.digital_object_type = type;
      return await this.create(`${this.repositoryUri}/digital_objects`, body, () => this.findDigitalObject(componentId));
    } catch (err) {
      // "Must be unique": made by an earlier attempt or run; use that one.
      if (err instanceof ArchivesSpaceError && err.hasFieldError('digital_object_id', /Must be unique/)) {
        const uri = await this.findDigitalObject(componentId);
        if (uri) return uri;
      }
      throw err;
    }
  }

  private async findComponent(digitalObjectUri: string, componentId: string): Promise<ComponentRecord | undefined> {
    const found = await this.get(`${this.repositoryUri}/find_by_id/digital_object_components`, {
      component_id: [componentId],
      resolve: ['digital_object_components'],
    });
    const hit = (found.digital_object_components ?? []).find((c: Json) => c._resolved?.digital_object?.ref === digitalObjectUri);
    return hit ? componentOf(hit._resolved) : undefined;
  }

  /** All records under a resource or digital object, depth first, following every waypoint. */
  private async walkTree(rootUri: string): Promise<TreeNode[]> {
    const root = await this.get(`${rootUri}/tree/root`);
    const out: TreeNode[] = [];
    const visit = async (parentNode: string | undefined, waypoints: number, depth: number): Promise<void> => {
      for (let offset = 0; offset < waypoints; offset++) {
        const entries = (await this.get(`${rootUri}/tree/waypoint`, { offset, parent_node: parentNode })) as unknown as Json[];
        for (const e of entries) {
          out.push({ uri: e.uri, title: e.title ?? null, level: e.level ?? '', componentId: e.identifier ?? undefined, depth, childCount: e.child_count ?? 0 });
          if (e.child_count > 0) await visit(e.uri, e.waypoints, depth + 1);
        }
      }
    };
    await visit(undefined, root.waypoints ?? 0, 1);
    return out;
  }
}

/** Builds the folder record from an archival object read with FOLDER_RESOLVE. */
export function folderRecordOf(ao: Json, componentId: string): FolderRecord {
  const doInstances = (ao.instances ?? []).filter((i: Json) => i.instance_type === 'digital_object' && i.digital_object?.ref);
  if (doInstances.length > 1) {
    throw new ArchivesSpaceError(
      `Multiple digital object instances found for component_id: ${componentId} (${ao.uri}). Keep one digital object instance in ArchivesSpace and run again.`,
    );
  }
  const extents: Json[] = ao.extents ?? [];
  return {
    componentId,
    archivalObjectUri: ao.uri,
    archivalObject: ao,
    arrangement: arrangementOf(ao, componentId),
    digitalObjectUri: doInstances[0]?.digital_object.ref,
    extentNumber: extents.length === 1 && extents[0].number !== undefined ? String(extents[0].number) : undefined,
    dates: (ao.dates ?? []).map((d: Json) => ({ expression: d.expression, begin: d.begin, end: d.end, date_type: d.date_type })),
  };
}

function componentOf(c: Json): ComponentRecord {
  return { uri: c.uri, componentId: c.component_id ?? '', label: c.label ?? '', fileVersions: c.file_versions ?? [] };
}

/** The first published `userestrict` note's text: the XMP rights statement. */
/**
 * XMP rights as the original chose them (distill.py at 8dacb3c): of the collection's
 * `userestrict` notes whose first subnote has content and is published, the last one.
 */
export function useRestrictionOf(resource: Json): string | undefined {
  let chosen: string | undefined;
  for (const note of resource.notes ?? []) {
    if (note.type !== 'userestrict') continue;
    const sub = note.subnotes?.[0];
    if (sub?.publish && typeof sub.content === 'string' && sub.content) chosen = sub.content;
  }
  return chosen;
}

/** `name[]=a&name[]=b` for arrays, as ArchivesSpace requires; undefined values are left out. */
function queryString(query?: Query): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) parts.push(`${k}[]=${encodeURIComponent(item)}`);
    else parts.push(`${k}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function parse(text: unknown): unknown {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
