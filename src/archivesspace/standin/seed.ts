/**
 * Seed builders, so a test can make a collection for its own folders in a line or two:
 *   buildSeed({ collectionId: 'HBF', folders: ['HBF_001_01', 'HBF_001_02'] })
 * Each folder becomes a file-level archival object (component_id = folder name) in a series, with
 * a container instance for its box, so collection and series data resolve as on a real server.
 */
import type { Seed, SeedArchivalObject, SeedResource, SeedTopContainer } from './types.js';

export interface FolderSpec {
  /** Folder name, e.g. HBF_001_02; also the component_id unless componentId is given. */
  name: string;
  componentId?: string;
  title?: string;
  /** A single date expression, e.g. "1921". */
  date?: string;
  /** e.g. "3 images": one extent, as in the original's `[image n/extent]` rule. */
  extent?: string;
  publish?: boolean;
}

export interface SeriesSpec {
  title: string;
  /** The series component_id (the original's series identifier), e.g. "1". */
  identifier?: string;
  folders?: (string | FolderSpec)[];
  subseries?: { title: string; identifier?: string; folders?: (string | FolderSpec)[] }[];
}

export interface BuildSeedOptions {
  collectionId: string;
  title?: string;
  repositoryId?: number;
  repoCode?: string;
  repositoryName?: string;
  /** Text of a published `userestrict` note (the XMP rights statement). */
  useRestriction?: string;
  /** Folders in a single series "Series 1" (identifier "1"); ignored when series is given. */
  folders?: (string | FolderSpec)[];
  series?: SeriesSpec[];
  users?: { username: string; password: string }[];
}

export function buildSeed(opts: BuildSeedOptions): Seed {
  const containers = new Map<string, SeedTopContainer>();
  const folderAo = (f: string | FolderSpec): SeedArchivalObject => {
    const spec = typeof f === 'string' ? { name: f } : f;
    const box = spec.name.split('_')[1] ?? '1';
    const indicator = String(Number.parseInt(box, 10) || box);
    if (!containers.has(indicator)) containers.set(indicator, { indicator, type: 'Box' });
    const ao: SeedArchivalObject = {
      title: spec.title ?? `Folder ${spec.name}`,
      level: 'file',
      component_id: spec.componentId ?? spec.name,
      top_container: indicator,
    };
    if (spec.publish !== undefined) ao.publish = spec.publish;
    if (spec.date) ao.dates = [{ date_type: 'single', label: 'creation', expression: spec.date, begin: /^\d{4}/.exec(spec.date)?.[0] }];
    if (spec.extent) {
      const [number, ...type] = spec.extent.split(' ');
      ao.extents = [{ portion: 'whole', number, extent_type: type.join(' ') || 'images' }];
    }
    return ao;
  };
  const series = opts.series ?? [{ title: 'Series 1', identifier: '1', folders: opts.folders ?? [] }];
  const children: SeedArchivalObject[] = series.map((s) => ({
    title: s.title,
    level: 'series',
    component_id: s.identifier,
    children: [
      ...(s.subseries ?? []).map((ss) => ({ title: ss.title, level: 'subseries', component_id: ss.identifier, children: (ss.folders ?? []).map(folderAo) })),
      ...(s.folders ?? []).map(folderAo),
    ],
  }));
  const notes = opts.useRestriction
    ? [{ jsonmodel_type: 'note_multipart', type: 'userestrict', publish: true, subnotes: [{ jsonmodel_type: 'note_text', content: opts.useRestriction, publish: true }] }]
    : [];
  return {
    users: opts.users,
    repositories: [
      {
        id: opts.repositoryId ?? 2,
        repo_code: opts.repoCode ?? 'TEST',
        name: opts.repositoryName ?? 'Test Archives',
        top_containers: [...containers.values()],
        resources: [
          {
            id_0: opts.collectionId,
            title: opts.title ?? `Collection ${opts.collectionId}`,
            level: 'collection',
            notes,
            dates: [{ date_type: 'inclusive', label: 'creation', begin: '1900', end: '1990' }],
            extents: [{ portion: 'whole', number: '1', extent_type: 'linear_feet' }],
            children,
          },
        ],
      },
    ],
  };
}

/**
 * Several collections in one repository, so one stand-in server holds all of them. A box belongs
 * to one collection (the folder's arrangement is read from it), so box 1 of two collections
 * becomes two top containers, `<collection>-1`.
 */
export function mergeSeeds(collections: BuildSeedOptions[], repository: { repoCode: string; name: string }): Seed {
  const resources: SeedResource[] = [];
  const containers = new Map<string, SeedTopContainer>();
  for (const c of collections) {
    const repo = buildSeed(c).repositories[0];
    const own = (indicator: string) => `${c.collectionId}-${indicator}`;
    const rename = (aos: SeedArchivalObject[] | undefined): void => {
      for (const ao of aos ?? []) {
        if (ao.top_container) ao.top_container = own(ao.top_container);
        rename(ao.children);
      }
    };
    for (const r of repo.resources ?? []) rename(r.children);
    resources.push(...(repo.resources ?? []));
    for (const t of repo.top_containers ?? []) containers.set(own(t.indicator), { ...t, indicator: own(t.indicator) });
  }
  return { repositories: [{ id: 2, repo_code: repository.repoCode, name: repository.name, resources, top_containers: [...containers.values()] }] };
}
