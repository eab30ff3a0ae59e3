// The platform-neutral rules of the access process: which records keep a folder unpublished, when a
// set of scans is complete, and how a published copy differs from what it must be made from.
import { describe, expect, it } from 'vitest';
import { differences } from '../../../src/destinations/access/edition.js';
import type { AccessEdition, PublishedCopy } from '../../../src/destinations/access/platform.js';
import { completenessProblem, publicationProblem, unpublishedRecords } from '../../../src/destinations/access/rules.js';
import type { PreparedFolder } from '../../../src/destinations/destination.js';

const staff = (uri: string) => `https://staff.example.org/resolve/readonly?uri=${uri}`;
const ancestor = (ref: string, level: string, title: string, publish: boolean) => ({ ref, level, _resolved: { uri: ref, level, title, publish } });

describe('publication rules', () => {
  it('names every unpublished record, nearest first: the archival object, a subseries, the collection', () => {
    const ao = {
      title: 'Letters',
      publish: false,
      has_unpublished_ancestor: true,
      ancestors: [ancestor('/repositories/2/archival_objects/3', 'subseries', 'Lab', false), ancestor('/repositories/2/archival_objects/2', 'series', 'Papers', true), ancestor('/repositories/2/resources/1', 'collection', 'HBF', false)],
    };
    expect(unpublishedRecords(ao, '/repositories/2/archival_objects/9').map((r) => `${r.level}:${r.title}`)).toEqual(['archival object:Letters', 'subseries:Lab', 'collection:HBF']);
    const why = publicationProblem({ archivalObject: ao, archivalObjectUri: '/repositories/2/archival_objects/9' }, staff)!;
    expect(why).toMatch(/^not published: its archival object "Letters" is unpublished \(https:\/\/staff\.example\.org\/resolve\/readonly\?uri=\/repositories\/2\/archival_objects\/9\); its subseries "Lab" is unpublished/);
    expect(why).toContain('Publish the archival object "Letters" and the subseries "Lab" and the collection "HBF" in ArchivesSpace');
  });

  it('falls back on has_unpublished_ancestor when the ancestors are not resolved', () => {
    const why = publicationProblem({ archivalObject: { title: 'A', publish: true, has_unpublished_ancestor: true, ancestors: [{ ref: '/x' }] }, archivalObjectUri: '/ao' }, staff);
    expect(why).toMatch(/it has an unpublished ancestor .*Publish the records above it in ArchivesSpace/);
  });

  it('lets a published folder under published records through', () => {
    const ao = { title: 'A', publish: true, has_unpublished_ancestor: false, ancestors: [ancestor('/s', 'series', 'S', true)] };
    expect(publicationProblem({ archivalObject: ao, archivalObjectUri: '/ao' }, staff)).toBeUndefined();
  });

  it('refuses a folder whose scans are not all converted and verified', () => {
    const folder = { images: [{}, {}, {}], incomplete: [{ path: '/c/F/F_0004.tif', reason: 'truncated or corrupt TIFF' }] } as unknown as PreparedFolder;
    expect(completenessProblem(folder)).toMatch(/^not published: 1 of its 4 scans could not be converted and verified \(F_0004\.tif: truncated or corrupt TIFF\)/);
    expect(completenessProblem({ ...folder, incomplete: [] })).toBeUndefined();
  });
});

describe('freshness', () => {
  const edition = (shas: string[], digest = 'm1') =>
    ({ metadataDigest: digest, pages: shas.map((sha, i) => ({ page: String(i + 1).padStart(4, '0'), sourceSha512: sha })) }) as unknown as AccessEdition;
  const copy = (shas: string[], digest: string | undefined = 'm1', complete = true): PublishedCopy => ({
    links: { objectUrl: 'u', thumbnailUrl: 't' },
    complete,
    metadataDigest: digest,
    pages: shas.map((sha, i) => ({ page: String(i + 1).padStart(4, '0'), sourceSha512: sha })),
  });

  it('is current only when every page and the metadata match', () => {
    expect(differences(copy(['a', 'b']), edition(['a', 'b']))).toEqual([]);
  });

  it('says which pages to add, remove or replace and that the metadata changed', () => {
    expect(differences(copy(['a', 'b', 'c']), edition(['a', 'B']))).toEqual(['1 page(s) to remove (0003)', '1 page(s) to replace, their preservation images changed (0002)']);
    expect(differences(copy(['a']), edition(['a', 'b'], 'm2'))).toEqual([
      '1 page(s) to add (0002)',
      'descriptive metadata changed in ArchivesSpace (title, dates, extent, rights or arrangement)',
    ]);
  });

  it('treats pages without their book as an incomplete copy, and pages twice as a difference', () => {
    expect(differences(copy(['a', 'c'], undefined, false), edition(['a', 'c']))[0]).toMatch(/the copy is incomplete/);
    const twice = copy(['a', 'b']);
    twice.pages.push({ page: '0002', sourceSha512: 'b' });
    expect(differences(twice, edition(['a', 'b']))).toEqual(['1 page(s) appear twice']);
  });
});
