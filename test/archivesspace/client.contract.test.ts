/**
 * Contract suite for ArchivesSpaceClient. Runs against the stand-in (src/archivesspace/standin),
 * or unchanged against a real ArchivesSpace when ASPACE_TEST_URL / _USERNAME / _PASSWORD are set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchivesSpaceError } from '../../src/archivesspace/errors.js';
import { openTarget, realServer, uniqueCollectionId, type Target } from './target.js';

let t: Target;
const C = uniqueCollectionId();
const f1 = `${C}_001_01`;
const f2 = `${C}_001_02`;
const f3 = `${C}_002_01`;
const dup = `${C}_009_09`;

beforeAll(async () => {
  t = await openTarget();
  await t.makeCollection(C, [
    { componentId: f1, title: 'Letters, 1921' },
    { componentId: f2, title: 'Letters, 1922' },
    { componentId: f3, title: 'Wind tunnel', series: 'Photographs', subseries: 'Laboratory' },
    { componentId: dup, title: 'Duplicate A' },
    { componentId: dup, title: 'Duplicate B' },
  ]);
});
afterAll(async () => {
  await t?.close();
});

describe('collections', () => {
  it('finds the collection by its identifier, with its tree and use restriction', async () => {
    const c = await t.client.findCollection(C);
    expect(c.id0).toBe(C);
    expect(c.title).toBe(`Contract test collection ${C}`);
    expect(c.useRestriction).toBe('Rights text');
    const uris = (c.record.tree as { _resolved: { uris: { level: string }[] } })._resolved.uris;
    expect(uris.map((u) => u.level)).toContain('file');
  });

  it('takes the use restriction from the first published note only', async () => {
    const repo = `/repositories/${t.repositoryId}`;
    const note = (content: string, publish: boolean) => ({
      jsonmodel_type: 'note_multipart', type: 'userestrict', publish, subnotes: [{ jsonmodel_type: 'note_text', content, publish }],
    });
    const make = async (id0: string, notes: unknown[]) => (await t.client.post(`${repo}/resources`, {
      title: `Rights test ${id0}`, id_0: id0, level: 'collection', publish: true,
      finding_aid_language: 'eng', finding_aid_script: 'Latn',
      lang_materials: [{ language_and_script: { language: 'eng', script: 'Latn' } }],
      dates: [{ date_type: 'single', label: 'creation', expression: '1920' }],
      extents: [{ portion: 'whole', number: '1', extent_type: 'linear_feet' }],
      notes,
    })).uri as string;
    const [a, b] = [uniqueCollectionId('DP'), uniqueCollectionId('DQ')];
    const made = [await make(a, [note('Staff only: draft terms', false), note('Published terms', true)]), await make(b, [note('Staff only: draft terms', false)])];
    try {
      expect((await t.client.findCollection(a)).useRestriction).toBe('Published terms');
      expect((await t.client.findCollection(b)).useRestriction).toBeUndefined();
    } finally {
      for (const uri of made) await t.client.delete(uri);
    }
  });

  it('answers ping with the repository, for distillery check', async () => {
    expect(await t.client.ping()).toMatch(new RegExp(`logged in as \\S+; repository ${t.repositoryId} is `));
  });

  it('says so when no collection has the identifier', async () => {
    await expect(t.client.findCollection(`${C}X`)).rejects.toThrow(`No collection found in ArchivesSpace with the ID: ${C}X`);
  });

  it('rejects an identifier that matches only without case, as the original did', async () => {
    const lower = C.toLowerCase();
    const err = (await t.client.findCollection(lower).catch((e: Error) => e)) as Error;
    // A case-insensitive collation finds the resource and the id_0 check refuses it;
    // a case-sensitive one finds nothing. The stand-in behaves like MySQL's default.
    if (!realServer) {
      expect(err.message).toBe(
        `The Collection ID from the form, ${lower}, must exactly match the identifier in ArchivesSpace, ${C}, including case-sensitively.`,
      );
    } else {
      expect(err.message).toMatch(/including case-sensitively|No collection found/);
    }
  });
});

describe('folders', () => {
  it('computes the arrangement from the top container and ancestors', async () => {
    const folder = await t.client.findFolder(f1);
    expect(folder.componentId).toBe(f1);
    expect(folder.arrangement).toMatchObject({
      collectionDisplay: `Contract test collection ${C}`,
      collectionId: C,
      seriesDisplay: 'Series One',
      seriesId: '1',
      folderTitle: 'Letters, 1921',
      folderDisplay: 'Letters, 1921, 1921',
    });
    expect(folder.arrangement.subseriesId).toBeUndefined();
    expect(folder.extentNumber).toBe('3');
    expect(folder.dates[0].expression).toBe('1921');
    expect(folder.digitalObjectUri).toBeUndefined();
  });

  it('reads the subseries name and identifier from the ancestors', async () => {
    const folder = await t.client.findFolder(f3);
    expect(folder.arrangement).toMatchObject({ seriesDisplay: 'Photographs', seriesId: '1', subseriesDisplay: 'Laboratory', subseriesId: '2' });
  });

  it('reports a component id with no record', async () => {
    await expect(t.client.findFolder(`${C}_404_01`)).rejects.toThrow(`No records found with component_id: ${C}_404_01`);
  });

  it('reports a component id with two records', async () => {
    const err = (await t.client.findFolder(dup).catch((e) => e)) as ArchivesSpaceError;
    expect(err).toBeInstanceOf(ArchivesSpaceError);
    expect(err.message).toMatch(new RegExp(`^Multiple records found with component_id: ${dup} \\(/repositories/\\d+/archival_objects/\\d+, /repositories/\\d+/archival_objects/\\d+\\)`));
    expect(err.retryable).toBe(false);
  });
});

describe('idempotent writes', () => {
  it('creates and links the digital object once; a rerun reuses it', async () => {
    const folder = await t.client.findFolder(f1);
    const first = await t.client.ensureDigitalObject(folder);
    expect(first.digitalObjectUri).toMatch(/\/digital_objects\/\d+$/);
    const again = await t.client.ensureDigitalObject(await t.client.findFolder(f1));
    expect(again.digitalObjectUri).toBe(first.digitalObjectUri);
    // A rerun that starts from the stale folder record (as a crashed run would) reuses it too.
    const fromStale = await t.client.ensureDigitalObject(folder);
    expect(fromStale.digitalObjectUri).toBe(first.digitalObjectUri);
    const d = await t.client.readDigitalObject(first.digitalObjectUri);
    expect(d.digitalObjectId).toBe(f1);
    expect(d.title).toBe('Letters, 1921');
    const ao = await t.client.get(first.archivalObjectUri);
    expect(ao.instances.filter((i: { instance_type: string }) => i.instance_type === 'digital_object')).toHaveLength(1);
    expect(await t.client.findDigitalObject(f1)).toBe(first.digitalObjectUri);
  });

  it('reuses a digital object an interrupted run created but did not link', async () => {
    const repo = `/repositories/${t.repositoryId}`;
    const orphan = await t.client.post(`${repo}/digital_objects`, { digital_object_id: f2, title: 'Letters, 1922' });
    const linked = await t.client.ensureDigitalObject(await t.client.findFolder(f2));
    expect(linked.digitalObjectUri).toBe(orphan.uri);
  });

  it('creates a component once and finds it on a rerun', async () => {
    const { digitalObjectUri } = await t.client.ensureDigitalObject(await t.client.findFolder(f1));
    const a = await t.client.ensureComponent(digitalObjectUri, { componentId: `${f1}_0001`, label: 'Image 0001' });
    const b = await t.client.ensureComponent(digitalObjectUri, { componentId: `${f1}_0001`, label: 'Image 0001' });
    expect(b.uri).toBe(a.uri);
    await t.client.ensureComponent(digitalObjectUri, { componentId: `${f1}_0002`, label: 'Image 0002' });
    const d = await t.client.readDigitalObject(digitalObjectUri);
    expect(d.components.map((c) => c.componentId)).toEqual([`${f1}_0001`, `${f1}_0002`]);
  });

  it('adds file versions, replaces by file_uri, never duplicates', async () => {
    const { digitalObjectUri } = await t.client.ensureDigitalObject(await t.client.findFolder(f1));
    const comp = await t.client.ensureComponent(digitalObjectUri, { componentId: `${f1}_0001`, label: 'Image 0001' });
    const fv = { file_uri: 'https://bucket.example/a.jp2', checksum_method: 'md5' as const, checksum: 'aa', file_size_bytes: 10, use_statement: 'image-master' };
    await t.client.upsertFileVersions(comp.uri, [fv]);
    await t.client.upsertFileVersions(comp.uri, [fv]);
    await t.client.upsertFileVersions(comp.uri, [{ ...fv, checksum: 'bb' }, { file_uri: 'tape://20260101_01/a.jp2' }]);
    const read = await t.client.get(comp.uri);
    expect(read.file_versions.map((f: { file_uri: string; checksum?: string }) => [f.file_uri, f.checksum])).toEqual([
      ['https://bucket.example/a.jp2', 'bb'],
      ['tape://20260101_01/a.jp2', undefined],
    ]);
  });

  it('reports a validation error with the server field message and does not retry it', async () => {
    const { digitalObjectUri } = await t.client.ensureDigitalObject(await t.client.findFolder(f1));
    const before = t.standin?.state.requestLog.length ?? 0;
    const err = (await t.client.upsertFileVersions(digitalObjectUri, [{ file_uri: 'x', use_statement: 'not-a-use' }]).catch((e) => e)) as ArchivesSpaceError;
    expect(err).toBeInstanceOf(ArchivesSpaceError);
    expect(err.status).toBe(400);
    expect(err.retryable).toBe(false);
    expect(err.fieldErrors['file_versions/0/use_statement']?.[0]).toMatch(/^Invalid value 'not-a-use'\.  Must be one of: /);
    expect(err.message).toContain("file_versions/0/use_statement: Invalid value 'not-a-use'");
    expect(err.message).toContain('Retrying will not help');
    if (t.standin) {
      const posts = t.standin.state.requestLog.slice(before).filter((r) => r.method === 'POST');
      expect(posts).toEqual([{ method: 'POST', path: digitalObjectUri, status: 400 }]);
    }
  });

  it('finds or creates the tape container once and links it once', async () => {
    const folder = await t.client.findFolder(f3);
    const a = await t.client.ensureTapeContainer(folder.archivalObjectUri, `${C}_T1`);
    const b = await t.client.ensureTapeContainer(folder.archivalObjectUri, `${C}_T1`);
    expect(b).toBe(a);
    const ao = await t.client.get(folder.archivalObjectUri);
    expect(ao.instances.filter((i: { sub_container?: { top_container: { ref: string } } }) => i.sub_container?.top_container.ref === a)).toHaveLength(1);
    // The box instance stays first, so the arrangement is unchanged.
    expect((await t.client.findFolder(f3)).arrangement.subseriesId).toBe('2');
    await t.client.delete(a);
  });
});

describe('digital objects that do not fit', () => {
  it('refuses a digital object with the folder id that belongs to another record, and two digital object instances', async () => {
    const repo = `/repositories/${t.repositoryId}`;
    const C6 = uniqueCollectionId('DX');
    const [a, b] = [`${C6}_001_01`, `${C6}_001_02`];
    await t.makeCollection(C6, [{ componentId: a, title: 'A' }, { componentId: b, title: 'B' }]);
    const d = await t.client.post(`${repo}/digital_objects`, { digital_object_id: a, title: 'A' });
    const d2 = await t.client.post(`${repo}/digital_objects`, { digital_object_id: `${C6}-other`, title: 'other' });
    const bUri = (await t.client.findFolder(b)).archivalObjectUri;
    const bRec = await t.client.get(bUri);
    bRec.instances.push({ instance_type: 'digital_object', digital_object: { ref: d.uri } });
    await t.client.post(bUri, bRec);
    const folderA = await t.client.findFolder(a);
    await expect(t.client.ensureDigitalObject(folderA)).rejects.toThrow(
      `A digital object with digital_object_id ${a} already exists (${d.uri}) and is linked to ${bUri}, not to ${folderA.archivalObjectUri}. Resolve the duplicate component id in ArchivesSpace.`,
    );
    const again = await t.client.get(bUri);
    again.instances.push({ instance_type: 'digital_object', digital_object: { ref: d2.uri } });
    await t.client.post(bUri, again);
    await expect(t.client.findFolder(b)).rejects.toThrow(`Multiple digital object instances found for component_id: ${b} (${bUri}). Keep one digital object instance in ArchivesSpace and run again.`);
    if (realServer) {
      await t.client.delete(d2.uri);
      await t.client.delete(d.uri);
    }
  });

  it('renames a linked digital object whose id drifted from the component id, as the original did', async () => {
    const repo = `/repositories/${t.repositoryId}`;
    const C7 = uniqueCollectionId('DR');
    const a = `${C7}_001_01`;
    await t.makeCollection(C7, [{ componentId: a, title: 'A' }]);
    const d = await t.client.post(`${repo}/digital_objects`, { digital_object_id: `${C7}-old`, title: 'A' });
    const aUri = (await t.client.findFolder(a)).archivalObjectUri;
    const rec = await t.client.get(aUri);
    rec.instances.push({ instance_type: 'digital_object', digital_object: { ref: d.uri } });
    await t.client.post(aUri, rec);
    const done = await t.client.ensureDigitalObject(await t.client.findFolder(a));
    expect(done.digitalObjectUri).toBe(d.uri);
    expect((await t.client.get(d.uri)).digital_object_id).toBe(a);
  });
});

describe('arrangement errors', () => {
  it('names a series without identifier and a subseries without component_id', async () => {
    const C2 = uniqueCollectionId('DS');
    await t.makeCollection(C2, [{ componentId: `${C2}_001_01`, title: 'No series id' }], { seriesWithoutId: true });
    await expect(t.client.findFolder(`${C2}_001_01`)).rejects.toThrow(`Missing series data for: ${C2}_001_01`);
    const C3 = uniqueCollectionId('DU');
    await t.makeCollection(C3, [{ componentId: `${C3}_001_01`, title: 'No subseries id', subseries: 'Nameless' }], { subseriesWithoutId: true });
    await expect(t.client.findFolder(`${C3}_001_01`)).rejects.toThrow(/^Sub-Series record is missing component_id: Nameless/);
  });

  it('names a folder without a container instance', async () => {
    const repo = `/repositories/${t.repositoryId}`;
    const C4 = uniqueCollectionId('DN');
    const res = await t.makeCollection(C4, []);
    await t.client.post(`${repo}/archival_objects`, { resource: { ref: res }, title: 'Loose', level: 'file', component_id: `${C4}_001_01` });
    await expect(t.client.findFolder(`${C4}_001_01`)).rejects.toThrow(`Missing collection data for: ${C4}_001_01`);
  });
});

describe('trees', () => {
  it('walks every waypoint of a collection with more than 250 children', async () => {
    const C5 = uniqueCollectionId('DW');
    const res = await t.makeCollection(C5, []);
    const repo = `/repositories/${t.repositoryId}`;
    for (let i = 1; i <= 260; i++) {
      await t.client.post(`${repo}/archival_objects`, { resource: { ref: res }, title: `Item ${i}`, level: 'item', component_id: `${C5}_${i}`, publish: true });
    }
    const tree = await t.client.readCollectionTree(res);
    expect(tree).toHaveLength(260);
    expect(tree[0].componentId).toBe(`${C5}_1`);
    expect(tree[259].componentId).toBe(`${C5}_260`);
    expect(tree.every((n) => n.depth === 1)).toBe(true);
    if (t.standin) {
      const waypointCalls = t.standin.state.requestLog.filter((r) => r.path === `${res}/tree/waypoint`);
      expect(waypointCalls.length).toBe(2); // offsets 0 and 1: pages of 200
    }
  });
});
