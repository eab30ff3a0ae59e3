// Every ArchivesSpace link the demo hands out resolves: the stand-in answers the staff
// (ASPACE_STAFF_URL/resolve/readonly?uri=…) and public (ASPACE_PUBLIC_URL/<uri>) addresses with a
// plain read-only page of the record; a record it does not hold is a 404 saying so.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ArchivesSpaceClient } from '../../src/archivesspace/client.js';
import { demoSeed, startArchivesSpaceStandIn } from '../../src/archivesspace/standin/index.js';

let standin: Awaited<ReturnType<typeof startArchivesSpaceStandIn>>;
beforeAll(async () => {
  standin = await startArchivesSpaceStandIn({ seed: demoSeed(), host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await standin?.close();
});

it('the staff and public links of a record answer 200 with its title; an unknown record 404', async () => {
  const ao = standin.state.list('archival_object').find((r) => r.data.component_id === 'DEMO_001_01')!;
  const client = new ArchivesSpaceClient({ baseUrl: standin.url, username: 'admin', password: 'admin', repositoryId: 2, staffUrl: `${standin.url}/staff` } as ConstructorParameters<typeof ArchivesSpaceClient>[0]);
  const staff = await fetch(client.staffUrl(ao.uri));
  expect(staff.status).toBe(200);
  const text = await staff.text();
  expect(text).toContain(`<h1>${String(ao.data.title)}</h1>`);
  expect(text).toContain('read-only view of the record as the staff interface would show it');
  const pub = await fetch(`${standin.url}/public${ao.uri}`);
  expect(pub.status).toBe(200);
  expect(await pub.text()).toContain('DEMO_001_01');
  const missing = await fetch(`${standin.url}/staff/resolve/readonly?uri=/repositories/2/archival_objects/999999`);
  expect(missing.status).toBe(404);
  expect(await missing.text()).toContain('holds no record /repositories/2/archival_objects/999999');
});
