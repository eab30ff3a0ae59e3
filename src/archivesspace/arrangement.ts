/**
 * A folder's place in the collection, computed from its archival object (read with
 * resolve[]=ancestors, repository, top_container) exactly as the original Distillery did: the
 * collection and series names come from the resolved top container of the first container
 * instance, the subseries from a `subseries` ancestor. They shape storage paths and XMP metadata.
 */
import { ArchivesSpaceError } from './errors.js';
import type { Arrangement } from './types.js';

type Json = Record<string, any>;

export function arrangementOf(ao: Json, componentId: string): Arrangement {
  const repo = ao.repository?._resolved ?? {};
  const arrangement: Arrangement = {
    repositoryName: repo.name ?? '',
    repositoryCode: repo.repo_code ?? '',
    collectionDisplay: '',
    collectionId: '',
    folderDisplay: ao.display_string ?? ao.title ?? '',
    folderTitle: ao.title ?? '',
  };
  const container = (ao.instances ?? []).find((i: Json) => i?.sub_container?.top_container?._resolved)?.sub_container.top_container._resolved as Json | undefined;
  const collection = container?.collection?.[0];
  if (!collection?.display_string || !collection?.identifier) {
    throw new ArchivesSpaceError(
      `Missing collection data for: ${componentId}. The archival object needs a container instance whose top container belongs to the collection; add one in ArchivesSpace.`,
    );
  }
  arrangement.collectionDisplay = collection.display_string;
  arrangement.collectionId = collection.identifier;
  // A box can hold folders of several series; the original took the first listed. Prefer the
  // series that is one of this folder's ancestors, and fall back to the original's choice.
  const ancestorRefs = new Set((ao.ancestors ?? []).map((a: Json) => a.ref));
  const listed: Json[] = container?.series ?? [];
  const series = listed.find((s) => ancestorRefs.has(s.ref)) ?? listed[0];
  if (series) {
    if (!series.display_string || !series.identifier) {
      throw new ArchivesSpaceError(`Missing series data for: ${componentId}. Give the series a title and a component identifier in ArchivesSpace.`);
    }
    arrangement.seriesDisplay = series.display_string;
    arrangement.seriesId = series.identifier;
  }
  const subseries = (ao.ancestors ?? []).find((a: Json) => a.level === 'subseries');
  if (subseries) {
    const resolved = subseries._resolved ?? {};
    if (!resolved.component_id) {
      throw new ArchivesSpaceError(
        `Sub-Series record is missing component_id: ${resolved.display_string ?? subseries.ref} (folder ${componentId}). Give the subseries a component identifier in ArchivesSpace.`,
      );
    }
    arrangement.subseriesDisplay = resolved.display_string ?? resolved.title;
    arrangement.subseriesId = resolved.component_id;
  }
  return arrangement;
}
