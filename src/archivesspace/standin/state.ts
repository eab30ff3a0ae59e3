/**
 * The stand-in's records and the rules ArchivesSpace applies to them: whole-record replacement on
 * update, unknown and readonly properties dropped, optimistic locking, uniqueness, references that
 * must exist, enum lists, computed fields (display_string, ancestors, linked_instances, a top
 * container's collection and series), `resolve[]`, and the side effects Distillery depends on
 * (linking bumps a digital object's lock_version; deleting one removes its instances).
 */
import { randomBytes } from 'node:crypto';
import { ApiError, apiErrors } from './apiError.js';
import type { Seed, SeedArchivalObject, StandInEnums } from './types.js';

export type RecordType =
  | 'resource'
  | 'archival_object'
  | 'digital_object'
  | 'digital_object_component'
  | 'top_container'
  | 'container_profile';

type Json = Record<string, unknown>;

/** URL segment of each record type. */
export const TYPE_PATH: Record<RecordType, string> = {
  resource: 'resources',
  archival_object: 'archival_objects',
  digital_object: 'digital_objects',
  digital_object_component: 'digital_object_components',
  top_container: 'top_containers',
  container_profile: 'container_profiles',
};

/** Model names as they appear in 404 bodies ("DigitalObject not found"). */
export const MODEL_NAME: Record<RecordType, string> = {
  resource: 'Resource',
  archival_object: 'ArchivalObject',
  digital_object: 'DigitalObject',
  digital_object_component: 'DigitalObjectComponent',
  top_container: 'TopContainer',
  container_profile: 'ContainerProfile',
};

/** Properties a client may write; everything else in a posted body is dropped. */
const WRITABLE: Record<RecordType, readonly string[]> = {
  resource: [
    'title', 'id_0', 'id_1', 'id_2', 'id_3', 'level', 'other_level', 'publish', 'notes', 'dates', 'extents',
    'instances', 'lang_materials', 'finding_aid_language', 'finding_aid_script', 'finding_aid_title', 'ead_id',
    'ead_location', 'linked_agents', 'subjects', 'restrictions', 'external_ids', 'rights_statements',
  ],
  archival_object: [
    'title', 'component_id', 'level', 'other_level', 'publish', 'dates', 'extents', 'instances', 'notes',
    'linked_agents', 'subjects', 'resource', 'parent', 'ref_id', 'restrictions_apply', 'lang_materials',
    'external_ids', 'rights_statements',
  ],
  digital_object: [
    'title', 'digital_object_id', 'digital_object_type', 'level', 'publish', 'file_versions', 'dates', 'notes',
    'linked_agents', 'subjects', 'restrictions', 'lang_materials', 'external_ids', 'rights_statements',
  ],
  digital_object_component: [
    'digital_object', 'parent', 'component_id', 'label', 'title', 'file_versions', 'publish', 'dates', 'notes',
  ],
  top_container: ['indicator', 'type', 'barcode', 'container_profile', 'container_locations', 'ils_holding_id'],
  container_profile: ['name', 'extent_dimension', 'dimension_units', 'width', 'height', 'depth', 'url', 'stacking_limit'],
};

const FILE_VERSION_FIELDS = [
  'file_uri', 'publish', 'is_representative', 'use_statement', 'checksum', 'checksum_method', 'file_format_name',
  'file_format_version', 'file_size_bytes', 'caption', 'xlink_show_attribute', 'xlink_actuate_attribute',
];
const CHECKSUM_METHODS = ['md5', 'sha-1', 'sha-256', 'sha-384', 'sha-512'];

/** The seed lists of ArchivesSpace 4.x, plus the two values Caltech added and Distillery writes. */
export const DEFAULT_ENUMS: StandInEnums = {
  use_statement: [
    'application', 'application-pdf', 'audio-clip', 'audio-master', 'audio-master-edited', 'audio-service',
    'image-master', 'image-master-edited', 'image-service', 'image-service-edited', 'image-thumbnail',
    'text-codebook', 'test-data', 'text-data_definition', 'text-georeference', 'text-ocr-edited',
    'text-ocr-unedited', 'text-tei-transcripted', 'text-tei-translated', 'video-clip', 'video-master',
    'video-master-edited', 'video-service', 'video-streaming', 'text-json', 'Web-Access',
  ],
  file_format_name: ['aiff', 'avi', 'gif', 'jpeg', 'mp3', 'pdf', 'tiff', 'txt', 'iiif', 'JPEG 2000'],
};

export interface StoredRecord {
  type: RecordType;
  id: number;
  repoId: number;
  uri: string;
  lockVersion: number;
  /** Sibling order among records with the same parent (archival objects, components). */
  order: number;
  createTime: string;
  mtime: string;
  data: Json;
}

export interface Repository {
  id: number;
  repo_code: string;
  name: string;
}

export interface Session {
  username: string;
  expiring: boolean;
  lastUsed: number;
  /** Set by the fault injector: the next use answers 412 with this code. */
  forcedExpiry?: 'SESSION_EXPIRED' | 'SESSION_GONE';
}

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
}

interface Snapshot {
  repositories: Repository[];
  records: StoredRecord[];
  nextId: number;
  users: [string, string][];
}

export class StandInState {
  readonly repositories = new Map<number, Repository>();
  readonly records = new Map<string, StoredRecord>();
  readonly sessions = new Map<string, Session>();
  readonly users = new Map<string, string>();
  /** Every request the server answered, in order (method, path without query, status). */
  readonly requestLog: RequestLogEntry[] = [];
  enums: StandInEnums;
  sessionExpireAfterSeconds = 3600;
  private nextId = 1;
  private orderCounter = 0;

  constructor(enums?: Partial<StandInEnums>) {
    this.enums = { ...DEFAULT_ENUMS, ...enums };
  }

  // ---- lookups -------------------------------------------------------------------------------

  get(uri: string): StoredRecord | undefined {
    return this.records.get(uri);
  }

  /** The record of this type and id in this repository, or the real 404. */
  getOrDie(type: RecordType, repoId: number, id: number): StoredRecord {
    const rec = this.records.get(`/repositories/${repoId}/${TYPE_PATH[type]}/${id}`);
    if (!rec) throw apiErrors.notFound(MODEL_NAME[type]);
    return rec;
  }

  list(type: RecordType, repoId?: number): StoredRecord[] {
    const out: StoredRecord[] = [];
    for (const r of this.records.values()) if (r.type === type && (repoId === undefined || r.repoId === repoId)) out.push(r);
    return out;
  }

  /** Records of a type in a repository whose field equals the value (find_by_id). */
  findBy(type: RecordType, repoId: number, field: string, value: unknown): StoredRecord[] {
    return this.list(type, repoId).filter((r) => r.data[field] === value);
  }

  /**
   * find_by_id matching: equality under MySQL's usual case-insensitive collation, which is why
   * Distillery re-checks a resource's id_0 case-sensitively.
   */
  findByIgnoringCase(type: RecordType, repoId: number, field: string, value: string): StoredRecord[] {
    const wanted = value.toLowerCase();
    return this.list(type, repoId).filter((r) => typeof r.data[field] === 'string' && (r.data[field] as string).toLowerCase() === wanted);
  }

  /** Archival objects directly under a resource (parent absent) or under an archival object, in order. */
  childrenOf(uri: string): StoredRecord[] {
    const parentIsResource = uri.includes('/resources/');
    const parentIsDo = uri.includes('/digital_objects/');
    const out: StoredRecord[] = [];
    for (const r of this.records.values()) {
      if (parentIsResource && r.type === 'archival_object' && ref(r.data.resource) === uri && !ref(r.data.parent)) out.push(r);
      else if (parentIsDo && r.type === 'digital_object_component' && ref(r.data.digital_object) === uri && !ref(r.data.parent)) out.push(r);
      else if (!parentIsResource && !parentIsDo && ref(r.data.parent) === uri) out.push(r);
    }
    return out.sort((a, b) => a.order - b.order);
  }

  // ---- writes --------------------------------------------------------------------------------

  create(type: RecordType, repoId: number, body: Json, opts: { validate?: boolean } = {}): StoredRecord {
    const data = this.clean(type, body);
    if (opts.validate !== false) this.validate(type, repoId, data, undefined);
    const id = this.nextId++;
    const now = new Date().toISOString();
    const rec: StoredRecord = {
      type,
      id,
      repoId,
      uri: `/repositories/${repoId}/${TYPE_PATH[type]}/${id}`,
      lockVersion: 0,
      order: ++this.orderCounter,
      createTime: now,
      mtime: now,
      data,
    };
    if (type === 'archival_object' && typeof data.ref_id !== 'string') data.ref_id = randomBytes(16).toString('hex');
    this.records.set(rec.uri, rec);
    if (type === 'archival_object' || type === 'resource') this.bumpLinkedDigitalObjects(data);
    return rec;
  }

  /** Whole-record replacement with optimistic locking, as `update_from_json` does. */
  update(rec: StoredRecord, body: Json): StoredRecord {
    if (body.lock_version === undefined || body.lock_version === null) throw apiErrors.missingLock();
    if (Number(body.lock_version) !== rec.lockVersion) throw apiErrors.staleLock();
    const data = this.clean(rec.type, body);
    // Placement is not changed by an update (that is the /parent route's job).
    for (const k of ['resource', 'parent', 'digital_object'] as const) if (rec.data[k] !== undefined) data[k] = rec.data[k];
    this.validate(rec.type, rec.repoId, data, rec);
    if (rec.type === 'archival_object' && typeof data.ref_id !== 'string') data.ref_id = rec.data.ref_id;
    rec.data = data;
    rec.lockVersion += 1;
    rec.mtime = new Date().toISOString();
    if (rec.type === 'archival_object' || rec.type === 'resource') this.bumpLinkedDigitalObjects(data);
    return rec;
  }

  delete(rec: StoredRecord): void {
    this.records.delete(rec.uri);
    if (rec.type === 'digital_object') {
      // DigitalObject#delete removes the linking instances and the component tree.
      for (const r of this.records.values()) {
        if ((r.type === 'archival_object' || r.type === 'resource') && Array.isArray(r.data.instances)) {
          r.data.instances = (r.data.instances as Json[]).filter((i) => ref(i.digital_object) !== rec.uri);
        }
        if (r.type === 'digital_object_component' && ref(r.data.digital_object) === rec.uri) this.records.delete(r.uri);
      }
    } else if (rec.type === 'archival_object' || rec.type === 'digital_object_component') {
      for (const child of this.childrenOf(rec.uri)) this.delete(child);
    } else if (rec.type === 'resource') {
      for (const r of [...this.records.values()]) if (r.type === 'archival_object' && ref(r.data.resource) === rec.uri) this.records.delete(r.uri);
    } else if (rec.type === 'top_container') {
      for (const r of this.records.values()) {
        if (Array.isArray(r.data.instances)) {
          r.data.instances = (r.data.instances as Json[]).filter((i) => ref((i.sub_container as Json | undefined)?.top_container) !== rec.uri);
        }
      }
    }
  }

  /** instance_do_link lives on both sides: writing the link bumps the digital object's lock_version. */
  private bumpLinkedDigitalObjects(data: Json): void {
    for (const inst of (data.instances as Json[] | undefined) ?? []) {
      const target = this.records.get(ref(inst.digital_object) ?? '');
      if (target) target.lockVersion += 1;
    }
  }

  /** Drops unknown, readonly and `_resolved` properties (JSONModel drop_unknown_properties). */
  private clean(type: RecordType, body: Json): Json {
    const out: Json = {};
    for (const key of WRITABLE[type]) if (body[key] !== undefined && body[key] !== null) out[key] = stripResolved(body[key]);
    if (Array.isArray(out.file_versions)) {
      out.file_versions = (out.file_versions as Json[]).map((fv) => {
        const kept: Json = {};
        for (const k of FILE_VERSION_FIELDS) if (fv?.[k] !== undefined && fv?.[k] !== null) kept[k] = fv[k];
        return kept;
      });
    }
    return out;
  }

  private validate(type: RecordType, repoId: number, data: Json, existing: StoredRecord | undefined): void {
    const errors: Record<string, string[]> = {};
    const add = (path: string, msg: string) => (errors[path] ??= []).push(msg);
    const requireString = (field: string) => {
      const v = data[field];
      if (v === undefined || v === '') add(field, 'Property is required but was missing');
      else if (typeof v === 'string' && v.length > 255 && field !== 'title') add(field, 'Must be 255 characters or fewer');
    };
    switch (type) {
      case 'resource':
        for (const f of ['title', 'id_0', 'level', 'finding_aid_language', 'finding_aid_script']) requireString(f);
        for (const f of ['dates', 'extents', 'lang_materials']) {
          if (!Array.isArray(data[f]) || (data[f] as unknown[]).length === 0) add(f, 'At least 1 item(s) is required');
        }
        break;
      case 'archival_object':
        if (!data.resource) add('resource', 'Property is required but was missing');
        requireString('level');
        if (!data.title && !(Array.isArray(data.dates) && data.dates.length > 0)) add('title', 'must not be an empty string (or enter a date)');
        break;
      case 'digital_object':
        requireString('title');
        requireString('digital_object_id');
        break;
      case 'digital_object_component':
        if (!data.digital_object) add('digital_object', 'Property is required but was missing');
        if (!data.label && !data.title && !(Array.isArray(data.dates) && data.dates.length > 0)) {
          for (const f of ['dates', 'title', 'label']) add(f, 'you must provide a label, title or date');
        }
        break;
      case 'top_container':
        requireString('indicator');
        break;
      case 'container_profile':
        for (const f of ['name', 'extent_dimension', 'dimension_units', 'width', 'height', 'depth']) requireString(f);
        break;
    }
    this.validateFileVersions(data, add);
    this.validateInstances(data, add);
    if (Object.keys(errors).length > 0) throw apiErrors.schema(type, errors);

    // References must exist (ReferenceError), then model-level uniqueness (Sequel validations).
    for (const uri of referencedUris(data)) {
      if (!this.records.has(uri)) throw apiErrors.reference(uri);
    }
    if (type === 'digital_object') {
      const clash = this.findBy('digital_object', repoId, 'digital_object_id', data.digital_object_id).some((r) => r !== existing);
      if (clash) throw apiErrors.model({ digital_object_id: ['Must be unique'] });
    }
    if (type === 'digital_object_component' && typeof data.component_id === 'string') {
      const clash = this.findBy('digital_object_component', repoId, 'component_id', data.component_id).some(
        (r) => r !== existing && ref(r.data.digital_object) === ref(data.digital_object),
      );
      if (clash) throw apiErrors.model({ component_id: ['A Digital Object Component ID must be unique to its Digital Object'] });
    }
    if (type === 'resource') {
      const ident = identifierOf(data);
      const clash = this.list('resource', repoId).some((r) => r !== existing && identifierOf(r.data) === ident);
      if (clash) throw apiErrors.model({ id_0: ['That ID is already in use'] });
    }
  }

  private validateFileVersions(data: Json, add: (path: string, msg: string) => void): void {
    const fvs = data.file_versions as Json[] | undefined;
    if (!Array.isArray(fvs)) return;
    let representative = 0;
    fvs.forEach((fv, i) => {
      const p = `file_versions/${i}`;
      if (typeof fv.file_uri !== 'string' || fv.file_uri === '') add(`${p}/file_uri`, 'Property is required but was missing');
      const enumCheck = (field: string, values: readonly string[]) => {
        if (fv[field] !== undefined && !values.includes(String(fv[field]))) {
          add(`${p}/${field}`, `Invalid value '${String(fv[field])}'.  Must be one of: ${values.join(', ')}`);
        }
      };
      enumCheck('use_statement', this.enums.use_statement);
      enumCheck('file_format_name', this.enums.file_format_name);
      enumCheck('checksum_method', CHECKSUM_METHODS);
      if (fv.file_size_bytes !== undefined && !Number.isInteger(fv.file_size_bytes)) add(`${p}/file_size_bytes`, 'Must be an integer');
      if (fv.is_representative === true) {
        representative++;
        if (fv.publish !== true) add('is_representative', 'representative_file_version_must_be_published');
      }
    });
    if (representative > 1) add('is_representative', 'A digital_object can have only one FileVersion defined as: is_representative');
  }

  private validateInstances(data: Json, add: (path: string, msg: string) => void): void {
    const instances = data.instances as Json[] | undefined;
    if (!Array.isArray(instances)) return;
    instances.forEach((inst, i) => {
      const p = `instances/${i}`;
      if (!inst.instance_type) add(`${p}/instance_type`, 'Property is required but was missing');
      if (inst.instance_type === 'digital_object') {
        if (!ref(inst.digital_object)) add(`${p}/digital_object`, "Can't be empty");
      } else {
        if (inst.digital_object) add(`${p}/instance_type`, 'An instance with a digital object must have the type digital_object');
        if (!inst.sub_container) add(`${p}/sub_container`, "Can't be empty");
        else if (!ref((inst.sub_container as Json).top_container)) add(`${p}/sub_container/top_container`, 'Property is required but was missing');
      }
    });
  }

  // ---- views (GET responses) -----------------------------------------------------------------

  /** The record as GET returns it, with computed and readonly fields. */
  view(rec: StoredRecord): Json {
    const base: Json = {
      ...structuredClone(rec.data),
      lock_version: rec.lockVersion,
      uri: rec.uri,
      jsonmodel_type: rec.type,
      repository: { ref: `/repositories/${rec.repoId}` },
      created_by: 'admin',
      last_modified_by: 'admin',
      create_time: rec.createTime,
      system_mtime: rec.mtime,
      user_mtime: rec.mtime,
    };
    switch (rec.type) {
      case 'resource':
        return { publish: false, suppressed: false, ...base, tree: { ref: `${rec.uri}/tree` } };
      case 'archival_object': {
        const siblings = this.childrenOf(ref(rec.data.parent) ?? ref(rec.data.resource) ?? '');
        return {
          publish: false,
          suppressed: false,
          restrictions_apply: false,
          instances: [],
          dates: [],
          extents: [],
          notes: [],
          ...base,
          position: siblings.indexOf(rec),
          display_string: this.displayString(rec),
          ancestors: this.ancestors(rec),
          has_unpublished_ancestor: this.ancestorRecords(rec).some((a) => a.data.publish !== true),
        };
      }
      case 'digital_object': {
        const linking = [...this.records.values()].filter(
          (r) => (r.type === 'archival_object' || r.type === 'resource') && ((r.data.instances as Json[] | undefined) ?? []).some((i) => ref(i.digital_object) === rec.uri),
        );
        const collections = new Set<string>();
        for (const r of linking) if (r.data.publish === true) collections.add(r.type === 'resource' ? r.uri : (ref(r.data.resource) ?? ''));
        return {
          publish: false,
          suppressed: false,
          ...base,
          file_versions: this.fileVersionsView(rec),
          tree: { ref: `${rec.uri}/tree` },
          linked_instances: linking.map((r) => ({ ref: r.uri })),
          collection: [...collections].map((c) => ({ ref: c })),
        };
      }
      case 'digital_object_component':
        return {
          publish: false,
          ...base,
          file_versions: this.fileVersionsView(rec),
          position: this.childrenOf(ref(rec.data.parent) ?? ref(rec.data.digital_object) ?? '').indexOf(rec),
          display_string: componentDisplayString(rec.data),
          ancestors: this.componentAncestors(rec),
        };
      case 'top_container':
        return { ...base, ...this.containerSummary(rec), display_string: `${rec.data.type ?? 'Container'} ${rec.data.indicator}`.trim() };
      default:
        return base;
    }
  }

  viewRepository(repo: Repository): Json {
    return { jsonmodel_type: 'repository', lock_version: 0, uri: `/repositories/${repo.id}`, repo_code: repo.repo_code, name: repo.name };
  }

  /** Inlines `_resolved` next to every `{ref}` under one of the named keys, at any depth (uri_resolver.rb). */
  resolve(json: Json, props: readonly string[]): Json {
    if (props.length === 0) return json;
    const lookup = (uri: string): Json | undefined => {
      const repoMatch = /^\/repositories\/(\d+)$/.exec(uri);
      if (repoMatch) {
        const repo = this.repositories.get(Number(repoMatch[1]));
        return repo ? this.viewRepository(repo) : undefined;
      }
      const rec = this.records.get(uri);
      return rec ? this.view(rec) : undefined;
    };
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) return node.forEach(walk);
      if (node === null || typeof node !== 'object') return;
      const obj = node as Json;
      for (const [key, value] of Object.entries(obj)) {
        if (props.includes(key)) {
          for (const item of Array.isArray(value) ? value : [value]) {
            const uri = ref(item);
            if (uri) {
              const resolved = lookup(uri);
              if (resolved) (item as Json)._resolved = resolved;
            }
          }
        }
        walk(value);
      }
    };
    walk(json);
    return json;
  }

  displayString(rec: StoredRecord): string {
    const dates = ((rec.data.dates as Json[] | undefined) ?? []).map(dateLabel).filter(Boolean);
    const title = typeof rec.data.title === 'string' ? rec.data.title : '';
    if (!title) return dates.join(', ');
    return dates.length > 0 ? `${title}, ${dates.join(', ')}` : title;
  }

  /** Parent archival objects nearest first (without the resource). */
  ancestorRecords(rec: StoredRecord): StoredRecord[] {
    const out: StoredRecord[] = [];
    let parent = this.records.get(ref(rec.data.parent) ?? '');
    while (parent) {
      out.push(parent);
      parent = this.records.get(ref(parent.data.parent) ?? '');
    }
    return out;
  }

  private ancestors(rec: StoredRecord): Json[] {
    const out: Json[] = this.ancestorRecords(rec).map((a) => ({ ref: a.uri, level: a.data.level }));
    const resource = this.records.get(ref(rec.data.resource) ?? '');
    out.push({ ref: ref(rec.data.resource), level: resource?.data.level ?? 'collection' });
    return out;
  }

  private componentAncestors(rec: StoredRecord): Json[] {
    const out: Json[] = [];
    let parent = this.records.get(ref(rec.data.parent) ?? '');
    while (parent) {
      out.push({ ref: parent.uri });
      parent = this.records.get(ref(parent.data.parent) ?? '');
    }
    out.push({ ref: ref(rec.data.digital_object) });
    return out;
  }

  private fileVersionsView(rec: StoredRecord): Json[] {
    return ((rec.data.file_versions as Json[] | undefined) ?? []).map((fv, i) => ({
      publish: false,
      is_representative: false,
      ...fv,
      identifier: String(rec.id * 1000 + i),
      lock_version: 0,
      jsonmodel_type: 'file_version',
    }));
  }

  /** A top container's `collection` and `series`, computed from the archival objects that use it. */
  private containerSummary(tc: StoredRecord): Json {
    const collection = new Map<string, Json>();
    const series = new Map<string, Json>();
    for (const r of this.records.values()) {
      if (r.type !== 'archival_object') continue;
      const uses = ((r.data.instances as Json[] | undefined) ?? []).some((i) => ref((i.sub_container as Json | undefined)?.top_container) === tc.uri);
      if (!uses) continue;
      const res = this.records.get(ref(r.data.resource) ?? '');
      if (res) collection.set(res.uri, { ref: res.uri, display_string: res.data.title, identifier: identifierOf(res.data, '-') });
      const top = [r, ...this.ancestorRecords(r)].at(-1)!;
      if (top.data.level === 'series') {
        series.set(top.uri, {
          ref: top.uri,
          display_string: this.displayString(top),
          identifier: top.data.component_id,
          level_display_string: 'Series',
          publish: top.data.publish === true,
        });
      }
    }
    return { collection: [...collection.values()], series: [...series.values()] };
  }

  // ---- seed and persistence ------------------------------------------------------------------

  loadSeed(seed: Seed): void {
    for (const u of seed.users ?? [{ username: 'admin', password: 'admin' }]) this.users.set(u.username.toLowerCase(), u.password);
    const reserve = (id?: number) => {
      if (id !== undefined) this.nextId = Math.max(this.nextId, id + 1);
    };
    for (const repo of seed.repositories) {
      this.repositories.set(repo.id, { id: repo.id, repo_code: repo.repo_code, name: repo.name });
      const seedCreate = (type: RecordType, data: Json, id?: number): StoredRecord => {
        reserve(id);
        const rec = this.create(type, repo.id, data, { validate: false });
        if (id !== undefined && id !== rec.id) {
          this.records.delete(rec.uri);
          rec.id = id;
          rec.uri = `/repositories/${repo.id}/${TYPE_PATH[type]}/${id}`;
          this.records.set(rec.uri, rec);
        }
        return rec;
      };
      const profiles = new Map<string, string>();
      for (const p of repo.container_profiles ?? []) {
        const { id, ...data } = p;
        profiles.set(p.name, seedCreate('container_profile', { extent_dimension: 'width', dimension_units: 'inches', width: '1', height: '1', depth: '1', ...data }, id).uri);
      }
      const containers = new Map<string, string>();
      for (const tc of repo.top_containers ?? []) {
        const data: Json = { indicator: tc.indicator, type: tc.type ?? 'Box' };
        if (tc.barcode) data.barcode = tc.barcode;
        if (tc.container_profile) data.container_profile = { ref: profiles.get(tc.container_profile) };
        containers.set(tc.indicator, seedCreate('top_container', data, tc.id).uri);
      }
      const digitalObjects = new Map<string, string>();
      for (const d of repo.digital_objects ?? []) {
        const doRec = seedCreate('digital_object', { digital_object_id: d.digital_object_id, title: d.title, publish: d.publish ?? false, file_versions: d.file_versions ?? [] }, d.id);
        digitalObjects.set(d.digital_object_id, doRec.uri);
        for (const c of d.components ?? []) seedCreate('digital_object_component', { ...c, digital_object: { ref: doRec.uri } });
      }
      for (const res of repo.resources ?? []) {
        const { id, children, ...fields } = res;
        const data: Json = { level: 'collection', publish: true, ...fields };
        const resRec = seedCreate('resource', data, id);
        const addChildren = (kids: SeedArchivalObject[] | undefined, parentUri?: string) => {
          for (const kid of kids ?? []) {
            const { id: kidId, children: grandKids, top_container, digital_object, instances, ...kidFields } = kid;
            const inst: Json[] = [...((instances as Json[] | undefined) ?? [])];
            if (top_container) {
              const tcUri = containers.get(top_container);
              if (!tcUri) throw new Error(`Seed: archival object "${kid.title}" names top container "${top_container}", which the repository does not seed.`);
              inst.push({ instance_type: 'mixed_materials', jsonmodel_type: 'instance', is_representative: false, sub_container: { jsonmodel_type: 'sub_container', top_container: { ref: tcUri } } });
            }
            if (digital_object) {
              const doUri = digitalObjects.get(digital_object);
              if (!doUri) throw new Error(`Seed: archival object "${kid.title}" names digital object "${digital_object}", which the repository does not seed.`);
              inst.push({ instance_type: 'digital_object', jsonmodel_type: 'instance', is_representative: false, digital_object: { ref: doUri } });
            }
            const aoData: Json = { publish: true, ...kidFields, instances: inst, resource: { ref: resRec.uri } };
            if (parentUri) aoData.parent = { ref: parentUri };
            const ao = seedCreate('archival_object', aoData, kidId);
            addChildren(grandKids, ao.uri);
          }
        };
        addChildren(children);
      }
    }
    // Seeding is not a client edit: start every lock_version at 0.
    for (const r of this.records.values()) r.lockVersion = 0;
  }

  toSnapshot(): Snapshot {
    return { repositories: [...this.repositories.values()], records: [...this.records.values()], nextId: this.nextId, users: [...this.users] };
  }

  loadSnapshot(s: Snapshot): void {
    for (const r of s.repositories) this.repositories.set(r.id, r);
    for (const r of s.records) {
      this.records.set(r.uri, r);
      this.orderCounter = Math.max(this.orderCounter, r.order);
    }
    for (const [u, p] of s.users) this.users.set(u, p);
    this.nextId = s.nextId;
  }
}

export function ref(value: unknown): string | undefined {
  if (value && typeof value === 'object' && typeof (value as Json).ref === 'string') return (value as Json).ref as string;
  return undefined;
}

/** The resource identifier column: the 4-part id, null-padded, JSON-encoded (or joined for display). */
export function identifierOf(data: Json, joiner?: string): string {
  const parts = [data.id_0, data.id_1, data.id_2, data.id_3].map((p) => (typeof p === 'string' && p !== '' ? p : null));
  if (joiner !== undefined) return parts.filter((p) => p !== null).join(joiner);
  return JSON.stringify(parts);
}

export function dateLabel(d: Json): string {
  let label = '';
  if (typeof d.expression === 'string' && d.expression) label = d.expression;
  else if (d.begin && d.end) label = `${d.begin} - ${d.end}`;
  else if (d.begin) label = String(d.begin);
  return label && d.date_type === 'bulk' ? `Bulk: ${label}` : label;
}

function componentDisplayString(data: Json): string {
  const dates = ((data.dates as Json[] | undefined) ?? []).map(dateLabel).filter(Boolean);
  const head = (data.title as string | undefined) ?? (data.label as string | undefined) ?? '';
  // The real server adds ", " only when a title is set (a label-only component gets none).
  if (dates.length === 0) return head;
  return data.title ? `${head}, ${dates.join(', ')}` : `${head}${dates.join(', ')}`;
}

function stripResolved(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripResolved);
  if (value === null || typeof value !== 'object') return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value as Json)) if (k !== '_resolved') out[k] = stripResolved(v);
  return out;
}

/** Every `{ref}` a record body points at, for the must-exist check. */
function referencedUris(data: Json): string[] {
  const out: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const r = ref(node);
    if (r && /^\/repositories\/\d+\/\w+\/\d+$/.test(r)) out.push(r);
    for (const v of Object.values(node as Json)) walk(v);
  };
  for (const key of ['instances', 'resource', 'parent', 'digital_object', 'container_profile']) walk(data[key]);
  return out;
}

export { ApiError };
