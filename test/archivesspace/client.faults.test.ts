/**
 * The client under failure, against the stand-in (src/archivesspace/standin) with injected faults:
 * stale lock_version, session expiry, 5xx, a closed port, a bad password. Faults cannot be injected
 * into a real ArchivesSpace, so this suite always uses the stand-in.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ArchivesSpaceClient } from '../../src/archivesspace/client.js';
import { ArchivesSpaceError } from '../../src/archivesspace/errors.js';
import { buildSeed, startArchivesSpaceStandIn, type StandInHandle } from '../../src/archivesspace/standin/index.js';

process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';
let s: StandInHandle;
let client: ArchivesSpaceClient;
const folders = ['HBF_001_01', 'HBF_001_02', 'HBF_001_03', 'HBF_001_04', 'HBF_001_05'];

beforeAll(async () => {
  s = await startArchivesSpaceStandIn({ seed: buildSeed({ collectionId: 'HBF', folders }) });
});
afterAll(async () => {
  await s.close();
});
beforeEach(() => {
  s.faults.clear();
  client = new ArchivesSpaceClient({ baseUrl: s.url, username: 'admin', password: 'admin', repositoryId: 2 });
});

const log = () => s.state.requestLog;

describe('retries', () => {
  it('re-reads and re-applies after a stale lock_version, and links once', async () => {
    const folder = await client.findFolder('HBF_001_01');
    s.faults.staleLockNext(folder.archivalObjectUri, 2);
    const start = log().length;
    const done = await client.ensureDigitalObject(folder);
    const conflicts = log().slice(start).filter((r) => r.path === folder.archivalObjectUri && r.method === 'POST');
    expect(conflicts.map((r) => r.status)).toEqual([409, 409, 200]);
    const ao = s.state.get(folder.archivalObjectUri)!;
    expect((ao.data.instances as { digital_object?: { ref: string } }[]).filter((i) => i.digital_object?.ref === done.digitalObjectUri)).toHaveLength(1);
  });

  it('gives up on a lock conflict that never clears, saying what to do', async () => {
    const folder = await client.findFolder('HBF_001_04');
    s.faults.staleLockNext(folder.archivalObjectUri, 99);
    const err = (await client.ensureDigitalObject(folder).catch((e) => e)) as ArchivesSpaceError;
    expect(err.status).toBe(409);
    expect(err.message).toMatch(/The record you tried to update has been modified since you fetched it\..*running again will re-read it.*gave up after 5 attempts, lock conflict policy/);
  });

  it('logs in again when the session expires mid-run', async () => {
    const folder = await client.findFolder('HBF_001_02');
    s.faults.expireSessions('SESSION_EXPIRED');
    const start = log().length;
    const done = await client.ensureDigitalObject(folder);
    expect(done.digitalObjectUri).toBeDefined();
    const after = log().slice(start);
    expect(after[0].status).toBe(412);
    expect(after[1]).toEqual({ method: 'POST', path: '/users/admin/login', status: 200 });
    s.faults.expireSessions('SESSION_GONE');
    await expect(client.findFolder('HBF_001_02')).resolves.toMatchObject({ digitalObjectUri: done.digitalObjectUri });
  });

  it('logs in again once on a 403 and repeats the request', async () => {
    await client.findCollection('HBF');
    s.faults.failNext('/find_by_id/archival_objects', 1, 403, { error: 'Access denied' });
    const start = log().length;
    await expect(client.findFolder('HBF_001_03')).resolves.toMatchObject({ componentId: 'HBF_001_03' });
    expect(log().slice(start, start + 3)).toEqual([
      { method: 'GET', path: '/repositories/2/find_by_id/archival_objects', status: 403 },
      { method: 'POST', path: '/users/admin/login', status: 200 },
      { method: 'GET', path: '/repositories/2/find_by_id/archival_objects', status: 200 },
    ]);
  });

  it('reuses the digital object and component a create made when its answer was lost (looked up before the retry)', async () => {
    const folder = await client.findFolder('HBF_001_05');
    s.faults.loseAnswerNext({ method: 'POST', path: /\/digital_objects$/ });
    const start = log().length;
    const done = await client.ensureDigitalObject(folder);
    const creates = log().slice(start).filter((r) => r.method === 'POST' && r.path === '/repositories/2/digital_objects');
    expect(creates.map((r) => r.status)).toEqual([500]); // found by the look-up: not posted again
    const made = s.state.findBy('digital_object', 2, 'digital_object_id', 'HBF_001_05');
    expect(made).toHaveLength(1);
    expect(done.digitalObjectUri).toBe(made[0].uri);

    s.faults.loseAnswerNext({ method: 'POST', path: /\/digital_object_components$/ });
    const comp = await client.ensureComponent(done.digitalObjectUri, { componentId: 'HBF_001_05_0001', label: 'Image 0001' });
    expect(s.state.findBy('digital_object_component', 2, 'component_id', 'HBF_001_05_0001').map((r) => r.uri)).toEqual([comp.uri]);
  });

  it('looks the tape top container up again before retrying a create whose answer was lost, and makes one', async () => {
    const folder = await client.findFolder('HBF_001_04');
    s.faults.loseAnswerNext({ method: 'POST', path: /\/top_containers$/ });
    const start = log().length;
    const uri = await client.ensureTapeContainer(folder.archivalObjectUri, 'LTO-000042');
    const creates = log().slice(start).filter((r) => r.method === 'POST' && r.path === '/repositories/2/top_containers');
    expect(creates.map((r) => r.status)).toEqual([500]); // the lost answer fired; no second create
    const made = s.state.findBy('top_container', 2, 'indicator', 'LTO-000042');
    expect(made.map((r) => r.uri)).toEqual([uri]);
    const ao = s.state.get(folder.archivalObjectUri)!;
    expect((ao.data.instances as { sub_container?: { top_container?: { ref: string } } }[]).filter((i) => i.sub_container?.top_container?.ref === uri)).toHaveLength(1);
  });

  it('retries 500 twice then succeeds', async () => {
    s.faults.failNext('/find_by_id/archival_objects', 2);
    const start = log().length;
    const folder = await client.findFolder('HBF_001_03');
    expect(folder.componentId).toBe('HBF_001_03');
    expect(log().slice(start).filter((r) => r.path.endsWith('/find_by_id/archival_objects')).map((r) => r.status)).toEqual([500, 500, 200]);
  });

  it('retries a create whose 500 hid nothing, without duplicating it', async () => {
    const folder = await client.findFolder('HBF_001_03');
    s.faults.failNext({ method: 'POST', path: /\/digital_objects$/ }, 2);
    const done = await client.ensureDigitalObject(folder);
    expect(s.state.findBy('digital_object', 2, 'digital_object_id', 'HBF_001_03')).toHaveLength(1);
    expect(done.digitalObjectUri).toBe(s.state.findBy('digital_object', 2, 'digital_object_id', 'HBF_001_03')[0].uri);
  });

  it('gives up on a server that keeps failing, saying a retry may help', async () => {
    s.faults.failNext('/find_by_id/resources', 10);
    const err = (await client.findCollection('HBF').catch((e) => e)) as ArchivesSpaceError;
    expect(err.retryable).toBe(true);
    expect(err.status).toBe(500);
    expect(err.message).toMatch(/^ArchivesSpace answered 500 to GET \/repositories\/2\/find_by_id\/resources: Stand-in fault: internal server error\. A retry may help.*gave up after 5 attempts, short request policy/);
  });

  it('waits out a slow answer', async () => {
    s.faults.delayNext('/find_by_id/resources', 300);
    await expect(client.findCollection('HBF')).resolves.toMatchObject({ id0: 'HBF' });
  });
});

describe('unreachable or refused', () => {
  it('says it could not reach ArchivesSpace on a closed port', async () => {
    const other = await startArchivesSpaceStandIn({ seed: buildSeed({ collectionId: 'X' }) });
    const url = other.url;
    await other.close();
    const c = new ArchivesSpaceClient({ baseUrl: url, username: 'admin', password: 'admin', repositoryId: 2 });
    const err = (await c.findCollection('X').catch((e) => e)) as ArchivesSpaceError;
    expect(err.retryable).toBe(true);
    expect(err.message).toMatch(new RegExp(`^Could not reach ArchivesSpace at ${url.replace(/\./g, '\\.')} for POST /users/admin/login \\(ECONNREFUSED\\)\\. Check ASPACE_API_URL`));
  });

  it('refuses a wrong password without retrying and without printing it', async () => {
    const c = new ArchivesSpaceClient({ baseUrl: s.url, username: 'admin', password: 'sekrit-pw', repositoryId: 2 });
    const start = log().length;
    const err = (await c.findCollection('HBF').catch((e) => e)) as ArchivesSpaceError;
    expect(err.message).toBe('ArchivesSpace refused the login of user "admin" (403: Login failed). Check ASPACE_USERNAME and ASPACE_PASSWORD; retrying will not help.');
    expect(JSON.stringify(err)).not.toContain('sekrit-pw');
    expect(log().slice(start)).toHaveLength(1);
  });

  it('never puts the session token in an error message', async () => {
    await client.findCollection('HBF');
    const token = [...s.state.sessions.keys()].at(-1)!;
    // Two expiries in a row: the re-login's request also fails, and the 412 body names the token.
    s.faults.failNext('/repositories/2/resources', 2, 412, { code: 'SESSION_GONE', error: `No session found for ${token}` });
    const err = (await client.findCollection('HBF').catch((e) => e)) as Error;
    expect(err.message).toContain('No session found for <session>');
    expect(err.message).not.toContain(token);
  });
});
