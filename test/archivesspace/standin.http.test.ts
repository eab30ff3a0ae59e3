/**
 * The stand-in's HTTP behaviour, point by point against the contract document
 * (/work/shared/spec/archivesspace-api.md), with plain fetch so nothing is hidden by the client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSeed, demoSeed, startArchivesSpaceStandIn, type StandInHandle } from '../../src/archivesspace/standin/index.js';
import { ArchivesSpaceClient } from '../../src/archivesspace/client.js';

let s: StandInHandle;
let token: string;

async function call(method: string, path: string, opts: { body?: unknown; raw?: string; session?: string | null; form?: string } = {}) {
  const headers: Record<string, string> = {};
  const session = opts.session === undefined ? token : opts.session;
  if (session) headers['X-ArchivesSpace-Session'] = session;
  let body: string | undefined;
  if (opts.form !== undefined) {
    body = opts.form;
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
  } else if (opts.raw !== undefined) body = opts.raw;
  else if (opts.body !== undefined) body = JSON.stringify(opts.body);
  const res = await fetch(s.url + path, { method, headers, body });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, type: res.headers.get('content-type') ?? '' };
}

beforeAll(async () => {
  s = await startArchivesSpaceStandIn({ seed: buildSeed({ collectionId: 'HBF', folders: ['HBF_001_01', 'HBF_001_02'] }) });
  token = (await call('POST', '/users/admin/login', { form: 'password=admin', session: null })).json.session;
});
afterAll(async () => {
  await s.close();
});

const repo = '/repositories/2';
const aoUri = () => s.state.findBy('archival_object', 2, 'component_id', 'HBF_001_01')[0].uri;

describe('authentication (§2)', () => {
  it('logs in with form data: 64-hex session, non-expiring with expire_after_seconds', async () => {
    const r = await call('POST', '/users/ADMIN/login', { form: 'password=admin&expiring=False', session: null });
    expect(r.status).toBe(200);
    expect(r.json.session).toMatch(/^[0-9a-f]{64}$/);
    expect(r.json.user.username).toBe('admin');
    expect(r.json.expire_after_seconds).toBe(604800);
    expect(r.text.endsWith('}\n')).toBe(true);
    expect(r.type).toContain('application/json');
  });
  it('403 Login failed; 400 without password; 400 invalid username', async () => {
    expect(await call('POST', '/users/admin/login', { form: 'password=nope', session: null })).toMatchObject({ status: 403, json: { error: 'Login failed' } });
    expect(await call('POST', '/users/admin/login', { session: null })).toMatchObject({ status: 400, json: { error: { password: ['Parameter required but no value provided'] } } });
    expect(await call('POST', '/users/bad!name/login?password=x', { session: null })).toMatchObject({ status: 400, json: { error: 'Invalid username' } });
  });
  it('403 without a session, 412 SESSION_GONE for an unknown token, SESSION_EXPIRED after idling', async () => {
    expect(await call('GET', `${repo}/resources/1`, { session: null })).toMatchObject({ status: 403, json: { error: 'Access denied' } });
    expect(await call('GET', `${repo}/resources/1`, { session: 'f'.repeat(64) })).toMatchObject({
      status: 412,
      json: { code: 'SESSION_GONE', error: `No session found for ${'f'.repeat(64)}` },
    });
    const t2 = (await call('POST', '/users/admin/login', { form: 'password=admin', session: null })).json.session;
    s.state.sessions.get(t2)!.lastUsed -= 3601 * 1000;
    expect(await call('GET', `${repo}/resources/1`, { session: t2 })).toMatchObject({ status: 412, json: { code: 'SESSION_EXPIRED', error: `Session timed out for ${t2}` } });
    expect((await call('GET', `${repo}/resources/1`, { session: t2 })).json.code).toBe('SESSION_GONE');
  });
  it('logout', async () => {
    const t3 = (await call('POST', '/users/admin/login', { form: 'password=admin', session: null })).json.session;
    expect((await call('POST', '/logout', { session: t3 })).json).toEqual({ status: 'session_logged_out' });
    expect((await call('POST', '/logout', { session: null })).json).toEqual({ status: 'no_active_session' });
  });
});

describe('parameters (§1)', () => {
  it('requires [] on array parameters, accepts the indexed form, drops undeclared ones', async () => {
    const r = await call('GET', `${aoUri()}?resolve=digital_object`);
    expect(r).toMatchObject({
      status: 400,
      json: { error: { resolve: ["Wanted type [String] but got 'digital_object'.  Perhaps you meant to specify an array like: resolve[]=digital_object"] } },
    });
    const idx = await call('GET', `${aoUri()}?resolve[1]=repository&resolve[0]=top_container`);
    expect(idx.json.repository._resolved.repo_code).toBe('TEST');
    const dropped = await call('GET', `${repo}/find_by_id/digital_object_components?digital_object_id[]=HBF_001_01`);
    expect(dropped.json).toEqual({ digital_object_components: [] });
  });
  it('400 for a repository that does not exist or an id that is not a number; params before permission', async () => {
    expect(await call('GET', '/repositories/99/resources/1')).toMatchObject({ status: 400, json: { error: { repo_id: ['Failed validation -- The Repository must exist'] } } });
    expect(await call('GET', `${repo}/resources/abc`)).toMatchObject({ status: 400, json: { error: { id: ["Wanted type Integer but got 'abc'"] } } });
    expect((await call('GET', `${repo}/resources/abc`, { session: null })).status).toBe(400);
  });
  it('400 for a malformed JSON body', async () => {
    const r = await call('POST', `${repo}/digital_objects`, { raw: '{nope' });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/^Had some trouble parsing your request: /);
  });
});

describe('records (§1, §3, §4)', () => {
  it('find_by_id/resources takes a JSON 4-part identifier, padded; ignores bad arrays', async () => {
    const r = await call('GET', `${repo}/find_by_id/resources?identifier[]=${encodeURIComponent('[ "HBF" ]')}`);
    expect(r.json.resources).toHaveLength(1);
    expect((await call('GET', `${repo}/find_by_id/resources?identifier[]=${encodeURIComponent('"HBF"')}`)).json).toEqual({ resources: [] });
    const resolved = await call('GET', `${repo}/find_by_id/resources?identifier[]=${encodeURIComponent('["HBF"]')}&resolve[]=resources`);
    expect(resolved.json.resources[0]._resolved.id_0).toBe('HBF');
    expect((await call('GET', `${repo}/find_by_id/resources?identifier[]=HBF`)).status).toBe(400);
  });
  it('create answers 200 Created; duplicate digital_object_id answers the exact 400', async () => {
    const created = await call('POST', `${repo}/digital_objects`, { body: { digital_object_id: 'D-1', title: 'D one' } });
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ status: 'Created', lock_version: 0, stale: null, warnings: [] });
    expect(created.json.uri).toBe(`${repo}/digital_objects/${created.json.id}`);
    const dup = await call('POST', `${repo}/digital_objects`, { body: { digital_object_id: 'D-1', title: 'again' } });
    expect(dup.status).toBe(400);
    expect(dup.text).toBe('{"error":{"digital_object_id":["Must be unique"]}}\n');
  });
  it('schema errors carry warning and invalid_object; enums are checked', async () => {
    const r = await call('POST', `${repo}/digital_objects`, { body: { digital_object_id: 'D-2', file_versions: [{ file_uri: 'x', file_format_name: 'bmp' }] } });
    expect(r.status).toBe(400);
    expect(r.json.error.title).toEqual(['Property is required but was missing']);
    expect(r.json.error['file_versions/0/file_format_name'][0]).toMatch(/^Invalid value 'bmp'\.  Must be one of: aiff, avi, gif, jpeg/);
    expect(r.json).toHaveProperty('warning');
    expect(r.json.invalid_object).toMatch(/^#<JSONModel\(:digital_object\)/);
    const rep = await call('POST', `${repo}/digital_objects`, { body: { digital_object_id: 'D-3', title: 't', file_versions: [{ file_uri: 'x', is_representative: true }] } });
    expect(rep.json.error.is_representative).toEqual(['representative_file_version_must_be_published']);
  });
  it('updates need the current lock_version (409 otherwise) and replace the whole record', async () => {
    const created = (await call('POST', `${repo}/digital_objects`, { body: { digital_object_id: 'D-4', title: 'four', file_versions: [{ file_uri: 'a' }] } })).json;
    const got = (await call('GET', created.uri)).json;
    const { lock_version, ...noLock } = got;
    expect(await call('POST', created.uri, { body: noLock })).toMatchObject({ status: 409, json: { error: 'You must provide a lock_version in your request' } });
    expect(await call('POST', created.uri, { body: { ...got, lock_version: lock_version + 5 } })).toMatchObject({
      status: 409,
      json: { error: 'The record you tried to update has been modified since you fetched it.' },
    });
    const { file_versions, ...withoutFv } = got;
    const upd = await call('POST', created.uri, { body: { ...withoutFv, unknown_field: 1, display_string: 'x', _resolved: {} } });
    expect(upd.json).toMatchObject({ status: 'Updated', lock_version: lock_version + 1 });
    const after = (await call('GET', created.uri)).json;
    expect(after.file_versions).toEqual([]);
    expect(after).not.toHaveProperty('unknown_field');
  });
  it('linking bumps the digital object lock_version; deleting it removes the instance', async () => {
    const d = (await call('POST', `${repo}/digital_objects`, { body: { digital_object_id: 'D-5', title: 'five' } })).json;
    const ao = (await call('GET', `${aoUri()}?resolve[]=top_container`)).json;
    ao.instances.push({ instance_type: 'digital_object', digital_object: { ref: d.uri } });
    expect((await call('POST', ao.uri, { body: ao })).status).toBe(200);
    const dAfter = (await call('GET', `${d.uri}?resolve[]=linked_instances`)).json;
    expect(dAfter.lock_version).toBe(1);
    expect(dAfter.linked_instances).toEqual([{ ref: ao.uri, _resolved: expect.objectContaining({ uri: ao.uri }) }]);
    const resolved = (await call('GET', `${ao.uri}?resolve[]=digital_object`)).json;
    expect(resolved.instances.find((i: any) => i.digital_object)?.digital_object._resolved.digital_object_id).toBe('D-5');
    expect((await call('DELETE', d.uri)).json).toEqual({ status: 'Deleted', id: d.id });
    const aoAfter = (await call('GET', ao.uri)).json;
    expect(aoAfter.instances.some((i: any) => i.digital_object)).toBe(false);
    expect(aoAfter.instances).toHaveLength(1);
  });
  it('400 for a link to a missing record, and for a digital_object instance without one', async () => {
    const ao = (await call('GET', aoUri())).json;
    const bad = await call('POST', ao.uri, { body: { ...ao, instances: [{ instance_type: 'digital_object', digital_object: { ref: `${repo}/digital_objects/999` } }] } });
    expect(bad).toMatchObject({ status: 400, json: { error: `Can't relate to non-existent record: ${repo}/digital_objects/999` } });
    const empty = await call('POST', ao.uri, { body: { ...ao, instances: [{ instance_type: 'digital_object' }] } });
    expect(empty.json.error['instances/0/digital_object']).toEqual(["Can't be empty"]);
  });
  it('404 bodies: JSON for a missing record, HTML for an unknown route (also the removed /tree)', async () => {
    expect(await call('GET', `${repo}/digital_objects/9999`)).toMatchObject({ status: 404, json: { error: 'DigitalObject not found' } });
    expect(await call('GET', `${repo}/archival_objects/9999`)).toMatchObject({ status: 404, json: { error: 'ArchivalObject not found' } });
    const tree = await call('GET', `${repo}/resources/1/tree`);
    expect(tree.status).toBe(404);
    expect(tree.text).toBe('<h1>Not Found</h1>');
  });
  it('components: label/title/date required, component_id unique within its digital object', async () => {
    const d = (await call('POST', `${repo}/digital_objects`, { body: { digital_object_id: 'D-6', title: 'six' } })).json;
    const none = await call('POST', `${repo}/digital_object_components`, { body: { digital_object: { ref: d.uri } } });
    expect(none.json.error).toMatchObject({ label: ['you must provide a label, title or date'], title: ['you must provide a label, title or date'] });
    expect((await call('POST', `${repo}/digital_object_components`, { body: { digital_object: { ref: d.uri }, component_id: 'c1', label: 'L' } })).status).toBe(200);
    const dup = await call('POST', `${repo}/digital_object_components`, { body: { digital_object: { ref: d.uri }, component_id: 'c1', label: 'L' } });
    expect(dup.json).toEqual({ error: { component_id: ['A Digital Object Component ID must be unique to its Digital Object'] } });
    const root = (await call('GET', `${d.uri}/tree/root`)).json;
    expect(root.precomputed_waypoints[''][0][0]).toMatchObject({ label: 'L', position: 0 });
    const empty = (await call('POST', `${repo}/digital_objects`, { body: { digital_object_id: 'D-7', title: 'seven' } })).json;
    expect((await call('GET', `${empty.uri}/tree/root`)).json.precomputed_waypoints).toEqual({});
  });
  it('listing needs page, all_ids or id_set', async () => {
    expect((await call('GET', `${repo}/digital_objects`)).json.error).toHaveProperty('page');
    expect(Array.isArray((await call('GET', `${repo}/digital_objects?all_ids=true`)).json)).toBe(true);
    expect((await call('GET', `${repo}/digital_objects?page=1&page_size=2`)).json).toMatchObject({ first_page: 1, this_page: 1 });
  });
});

describe('trees and containers (§4.4, §4.5, §4.10)', () => {
  it('ordered_records leaves out unpublished records and their descendants', async () => {
    const res = s.state.list('resource', 2)[0];
    const series = s.state.childrenOf(res.uri)[0];
    const before = (await call('GET', `${res.uri}/ordered_records`)).json.uris;
    expect(before.map((u: any) => u.depth)).toEqual([0, 1, 2, 2]);
    series.data.publish = false;
    expect((await call('GET', `${res.uri}/ordered_records`)).json.uris).toHaveLength(1);
    series.data.publish = true;
  });
  it('top container search and find_by_id by indicator; resolve[]=top_container gives collection and series', async () => {
    const search = (await call('GET', `${repo}/top_containers/search?q=${encodeURIComponent('indicator_u_icusort:"1"')}`)).json;
    expect(search.response.numFound).toBe(1);
    const found = (await call('GET', `${repo}/find_by_id/top_containers?indicator[]=1`)).json;
    expect(found.top_containers).toHaveLength(1);
    const ao = (await call('GET', `${aoUri()}?resolve[]=top_container`)).json;
    const tc = ao.instances[0].sub_container.top_container._resolved;
    expect(tc.collection).toEqual([{ ref: expect.any(String), display_string: 'Collection HBF', identifier: 'HBF' }]);
    expect(tc.series[0]).toMatchObject({ display_string: 'Series 1', identifier: '1', level_display_string: 'Series' });
  });
});

describe('persistence and the demo seed', () => {
  it('keeps records in the state file across restarts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aspace-state-'));
    try {
      const stateFile = join(dir, 'state.json');
      const a = await startArchivesSpaceStandIn({ seed: demoSeed(), stateFile });
      const c1 = new ArchivesSpaceClient({ baseUrl: a.url, username: 'admin', password: 'admin', repositoryId: 2 });
      const made = await c1.ensureDigitalObject(await c1.findFolder('DEMO_001_01'));
      await a.close();
      const b = await startArchivesSpaceStandIn({ seed: demoSeed(), stateFile });
      const c2 = new ArchivesSpaceClient({ baseUrl: b.url, username: 'admin', password: 'admin', repositoryId: 2 });
      expect((await c2.findFolder('DEMO_001_01')).digitalObjectUri).toBe(made.digitalObjectUri);
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('the demo collection resolves as the brief describes', async () => {
    const d = await startArchivesSpaceStandIn({ seed: demoSeed() });
    try {
      const c = new ArchivesSpaceClient({ baseUrl: d.url, username: 'admin', password: 'admin', repositoryId: 2 });
      const coll = await c.findCollection('DEMO');
      expect(coll.title).toBe('Demonstration Collection');
      expect(coll.useRestriction).toMatch(/stand-in/);
      const f1 = await c.findFolder('DEMO_001_01');
      expect(f1.arrangement).toMatchObject({ repositoryName: 'Demo Archives', repositoryCode: 'DEMO', collectionId: 'DEMO', seriesDisplay: 'Correspondence', seriesId: '1', folderTitle: 'Letters from Pasadena, 1921' });
      expect(f1.digitalObjectUri).toBeUndefined();
      expect((await c.findFolder('DEMO_001_02')).arrangement.folderTitle).toBe('Letters from Altadena, 1922');
      const f3 = await c.findFolder('DEMO_002_01');
      expect(f3.arrangement).toMatchObject({ seriesDisplay: 'Photographs', seriesId: '2', subseriesDisplay: 'Laboratory', subseriesId: '1', folderTitle: 'Wind tunnel, 1931' });
      expect(f3.extentNumber).toBe('3');
    } finally {
      await d.close();
    }
  });
});
