/**
 * Where the contract suite runs: the stand-in (default), or a real ArchivesSpace when
 * ASPACE_TEST_URL, ASPACE_TEST_USERNAME and ASPACE_TEST_PASSWORD are set. Either way the suite
 * makes its own collection through the API and deletes it afterwards, so it runs unchanged.
 */
import { ArchivesSpaceClient } from '../../src/archivesspace/client.js';
import { startArchivesSpaceStandIn, type StandInHandle } from '../../src/archivesspace/standin/index.js';

export interface FolderSpecForTarget {
  componentId: string;
  title: string;
  series?: string;
  subseries?: string;
}

export interface Target {
  client: ArchivesSpaceClient;
  /** Present when running against the stand-in (faults, state inspection). */
  standin?: StandInHandle;
  repositoryId: number;
  newClient(overrides?: Partial<ConstructorParameters<typeof ArchivesSpaceClient>[0]>): ArchivesSpaceClient;
  /** Creates a collection with series "1" (and optional subseries) holding the folders; returns its uri. */
  makeCollection(collectionId: string, folders: FolderSpecForTarget[], opts?: { seriesWithoutId?: boolean; subseriesWithoutId?: boolean }): Promise<string>;
  close(): Promise<void>;
}

export const realServer = Boolean(process.env.ASPACE_TEST_URL && process.env.ASPACE_TEST_USERNAME && process.env.ASPACE_TEST_PASSWORD);

/** A collection id no earlier run has used. */
export function uniqueCollectionId(prefix = 'DT'): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`.toUpperCase();
}

export async function openTarget(): Promise<Target> {
  process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';
  let standin: StandInHandle | undefined;
  let base: { baseUrl: string; username: string; password: string; repositoryId: number };
  if (realServer) {
    base = {
      baseUrl: process.env.ASPACE_TEST_URL!,
      username: process.env.ASPACE_TEST_USERNAME!,
      password: process.env.ASPACE_TEST_PASSWORD!,
      repositoryId: Number(process.env.ASPACE_TEST_REPOSITORY_ID ?? 2),
    };
  } else {
    standin = await startArchivesSpaceStandIn({ seed: { repositories: [{ id: 2, repo_code: 'TEST', name: 'Test Archives' }] } });
    base = { baseUrl: standin.url, username: 'admin', password: 'admin', repositoryId: 2 };
  }
  const newClient = (o: Partial<ConstructorParameters<typeof ArchivesSpaceClient>[0]> = {}) =>
    new ArchivesSpaceClient({ ...base, staffUrl: 'https://staff.example.edu', ...o });
  const client = newClient();
  const cleanup: string[] = [];
  const repo = `/repositories/${base.repositoryId}`;

  const makeCollection: Target['makeCollection'] = async (collectionId, folders, opts = {}) => {
    const box = await client.post(`${repo}/top_containers`, { indicator: `${collectionId}-1`, type: 'box' });
    cleanup.push(box.uri);
    const resource = await client.post(`${repo}/resources`, {
      title: `Contract test collection ${collectionId}`,
      id_0: collectionId,
      level: 'collection',
      publish: true,
      finding_aid_language: 'eng',
      finding_aid_script: 'Latn',
      lang_materials: [{ language_and_script: { language: 'eng', script: 'Latn' } }],
      dates: [{ date_type: 'single', label: 'creation', expression: '1920' }],
      extents: [{ portion: 'whole', number: '1', extent_type: 'linear_feet' }],
      notes: [{ jsonmodel_type: 'note_multipart', type: 'userestrict', publish: true, subnotes: [{ jsonmodel_type: 'note_text', content: 'Rights text', publish: true }] }],
    });
    cleanup.unshift(resource.uri); // delete the resource (and its tree) before its container
    const parents = new Map<string, string>();
    const ao = async (body: Record<string, unknown>) => (await client.post(`${repo}/archival_objects`, { resource: { ref: resource.uri }, publish: true, ...body })).uri as string;
    for (const f of folders) {
      const seriesTitle = f.series ?? 'Series One';
      if (!parents.has(seriesTitle)) {
        parents.set(seriesTitle, await ao({ title: seriesTitle, level: 'series', ...(opts.seriesWithoutId ? {} : { component_id: '1' }) }));
      }
      let parent = parents.get(seriesTitle)!;
      if (f.subseries) {
        const key = `${seriesTitle}/${f.subseries}`;
        if (!parents.has(key)) {
          parents.set(key, await ao({ title: f.subseries, level: 'subseries', parent: { ref: parent }, ...(opts.subseriesWithoutId ? {} : { component_id: '2' }) }));
        }
        parent = parents.get(key)!;
      }
      await ao({
        title: f.title,
        level: 'file',
        component_id: f.componentId,
        parent: { ref: parent },
        dates: [{ date_type: 'single', label: 'creation', expression: '1921' }],
        extents: [{ portion: 'whole', number: '3', extent_type: 'photographic_prints' }],
        instances: [{ instance_type: 'mixed_materials', sub_container: { top_container: { ref: box.uri } } }],
      });
    }
    return resource.uri as string;
  };

  return {
    client,
    standin,
    repositoryId: base.repositoryId,
    newClient,
    makeCollection,
    async close() {
      if (realServer) {
        // Delete what the tests made: digital objects named like our collections, then the records.
        for (const uri of cleanup) {
          if (uri.includes('/resources/')) {
            const tree = await client.readCollectionTree(uri).catch(() => []);
            for (const node of tree) {
              if (!node.componentId) continue;
              const doUri = await client.findDigitalObject(node.componentId).catch(() => undefined);
              if (doUri) await client.delete(doUri).catch(() => undefined);
            }
          }
          await client.delete(uri).catch(() => undefined);
        }
        await client.logout();
      }
      await standin?.close();
    },
  };
}
