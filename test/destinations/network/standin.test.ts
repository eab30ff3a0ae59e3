/** The Ingest stand-in answers as chronopolis-core's controllers do: auth, status codes, error bodies, paging, CSV rules. */
import { afterEach, expect, test } from 'vitest';
import axios from 'axios';
import { netBed, type NetBed } from './fixture.js';

let b: NetBed | undefined;
afterEach(async () => {
  await b?.cleanup();
  b = undefined;
});

test('Basic auth, 400/409 bodies of BagDao, 404 of a missing bag, a Spring page, CSV header and record checks', async () => {
  b = await netBed();
  const http = axios.create({ baseURL: b.ingest.url, validateStatus: () => true, auth: { username: 'distillery', password: 'test-password' } });
  expect((await axios.get(`${b.ingest.url}/api/bags`, { validateStatus: () => true })).status).toBe(401);
  const create = { name: 'bag-a', size: 10, totalFiles: 2, storageRegion: 1, location: 'bag-a', depositor: 'caltech-archives' };
  expect((await http.post('/api/bags', { ...create, depositor: 'nobody' })).data).toEqual(['Depositor does not exist: nobody']);
  const made = await http.post('/api/bags', create);
  expect(made.status).toBe(201);
  expect(made.data).toMatchObject({ name: 'bag-a', status: 'DEPOSITED', bagStorage: null, tokenStorage: null, replicatingNodes: [] });
  const again = await http.post('/api/bags', create);
  expect([again.status, again.data]).toEqual([409, ['Bag already exists: bag-a']]);
  expect((await http.get('/api/bags/999')).status).toBe(404);
  for (let i = 0; i < 30; i++) await http.post('/api/bags', { ...create, name: `bag-${i}` });
  const page0 = (await http.get('/api/bags')).data;
  expect([page0.content.length, page0.totalElements, page0.totalPages, page0.first, page0.last, page0.size]).toEqual([25, 31, 2, true, false, 25]);
  expect((await http.get('/api/bags', { params: { page: 1 } })).data.content).toHaveLength(6);

  const id = made.data.id;
  const csv = (text: string, type = 'text/csv') => {
    const form = new FormData();
    form.append('file', new Blob([text], { type }), 'f.csv');
    return http.post(`/api/bags/${id}/files`, form);
  };
  expect((await csv('NAME,SIZE,FIXITY_VALUE,FIXITY_ALGORITHM\na,1,ab,SHA-256\n')).data).toBe('Invalid headers for csv!');
  expect((await csv('filename,size,fixity_value,fixity_algorithm\n"a",1,ab,MD5\n')).data).toBe('Invalid record at line 1');
  expect((await csv('filename,size,fixity_value,fixity_algorithm\n"data/a",1,ab,sha256\n')).status).toBe(200);
  // A second batch with the same file skips it; single registration of it is a conflict.
  expect((await csv('filename,size,fixity_value,fixity_algorithm\n"data/a",1,ab,SHA-256\n"b",2,cd,SHA-256\n')).status).toBe(200);
  expect((await http.get(`/api/bags/${id}/download`)).data).toBe('/data/a\n/b\n');
  expect((await http.post(`/api/bags/${id}/file`, { filename: '/b', size: 2, fixity: 'cd', fixityAlgorithm: 'SHA-256' })).status).toBe(409);
  // Staging needs the validation file to be a registered file of the bag.
  expect((await http.put(`/api/bags/${id}/storage/BAG`, { location: 'bag-a', validationFile: '/inventory.json.sha512', storageRegion: 1, totalFiles: 2, size: 3 })).status).toBe(400);
  expect((await http.put(`/api/bags/${id}/storage/BAG`, { location: 'bag-a', validationFile: '/b', storageRegion: 1, totalFiles: 2, size: 3 })).status).toBe(201);
  expect((await http.put(`/api/bags/${id}/storage/BAG`, { location: 'bag-a', validationFile: '/b', storageRegion: 1, totalFiles: 2, size: 3 })).status).toBe(409);
  // count(file) == totalFiles and staged: INITIALIZED.
  expect((await http.get(`/api/bags/${id}`)).data.status).toBe('INITIALIZED');
  // A token for an unknown file is a 400; for a known one 201, then 409.
  const token = { bagId: id, round: 3, createDate: new Date().toISOString(), proof: 'X:ab', imsHost: 'local.ims.invalid', algorithm: 'SHA-256', imsService: 'SHA-256-0' };
  expect((await http.post(`/api/bags/${id}/tokens`, { ...token, filename: '/nope' })).status).toBe(400);
  expect((await http.post(`/api/bags/${id}/tokens`, { ...token, filename: '/b' })).status).toBe(201);
  expect((await http.post(`/api/bags/${id}/tokens`, { ...token, filename: '/b' })).status).toBe(409);
});
