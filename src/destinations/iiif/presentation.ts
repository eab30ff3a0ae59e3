/**
 * IIIF Presentation API 3.0 documents: a Manifest per folder (digital object) and a Collection per
 * archival collection whose series and subseries are nested Collections listing the folders'
 * Manifests. Values taken from ArchivesSpace are in no declared language (`none`); the labels
 * Distillery writes are English.
 */
import type { PreparedFolder } from '../destination.js';
import type { CollectionInfo } from '../islandora/collectionInfo.js';

export const PRESENTATION_CONTEXT = 'http://iiif.io/api/presentation/3/context.json';

type Lang = Record<string, string[]>;
const none = (s: string): Lang => ({ none: [s] });
const en = (s: string): Lang => ({ en: [s] });

/** One published image of a folder, in sequence order. */
export interface PublishedImage {
  sequence: string;
  serviceId: string;
  width: number;
  height: number;
  thumbnail: { width: number; height: number; path: string };
}

export interface ManifestInput {
  manifestId: string;
  collectionUrl: string;
  collection: CollectionInfo;
  folder: Pick<PreparedFolder, 'name' | 'record' | 'arrangement'>;
  /** The archival object's public page. */
  homepage?: string;
  images: PublishedImage[];
}

interface Note { type?: string; publish?: boolean; content?: string[]; subnotes?: { content?: string; publish?: boolean }[] }

function noteText(ao: Record<string, unknown>, type: string): string | undefined {
  const note = ((ao.notes as Note[] | undefined) ?? []).find((n) => n.type === type && n.publish !== false);
  const text = note?.subnotes?.filter((s) => s.publish !== false).map((s) => s.content ?? '').join('\n\n') || note?.content?.join('\n\n');
  return text?.trim() || undefined;
}

function dates(folder: ManifestInput['folder']): string | undefined {
  const ds = folder.record.dates.map((d) => d.expression || [d.begin, d.end].filter(Boolean).join('–')).filter(Boolean);
  return ds.length ? ds.join('; ') : undefined;
}

function extent(ao: Record<string, unknown>): string | undefined {
  const es = ((ao.extents as { number?: string; extent_type?: string }[] | undefined) ?? []).map((e) => [e.number, e.extent_type?.replace(/_/g, ' ')].filter(Boolean).join(' '));
  return es.filter(Boolean).join('; ') || undefined;
}

function creators(ao: Record<string, unknown>): string | undefined {
  const agents = (ao.linked_agents as { role?: string; _resolved?: { title?: string; display_name?: { sort_name?: string } } }[] | undefined) ?? [];
  const names = agents.filter((a) => a.role === 'creator').map((a) => a._resolved?.title ?? a._resolved?.display_name?.sort_name).filter((n): n is string => !!n);
  return names.length ? names.join('; ') : undefined;
}

/** A rights URI IIIF accepts (Creative Commons or RightsStatements.org) found in the use restriction. */
export function rightsUri(text: string | undefined): string | undefined {
  const m = text?.match(/https?:\/\/(creativecommons\.org\/(licenses|publicdomain)\/[^\s"'<>)]+|rightsstatements\.org\/vocab\/[^\s"'<>)]+)/);
  if (!m) return undefined;
  const uri = m[0].replace(/^https:/, 'http:').replace(/[.,;]+$/, '');
  return uri.endsWith('/') ? uri : `${uri}/`;
}

export function folderTitle(folder: ManifestInput['folder']): string {
  return (folder.record.archivalObject.title as string | undefined) || folder.arrangement.folderTitle || folder.name;
}

function imageServiceRef(img: PublishedImage) {
  return [{ id: img.serviceId, type: 'ImageService3', profile: 'level0' }];
}

export function thumbnailOf(img: PublishedImage) {
  return { id: `${img.serviceId}/${img.thumbnail.path}`, type: 'Image', format: 'image/jpeg', width: img.thumbnail.width, height: img.thumbnail.height, service: imageServiceRef(img) };
}

export function buildManifest(m: ManifestInput): Record<string, unknown> {
  const ao = m.folder.record.archivalObject;
  const a = m.folder.arrangement;
  const title = folderTitle(m.folder);
  const pairs: [string, string | undefined][] = [
    ['Title', title],
    ['Dates', dates(m.folder)],
    ['Extent', extent(ao)],
    ['Creator', creators(ao)],
    ['Collection', a.collectionDisplay],
    ['Series', a.seriesDisplay],
    ['Subseries', a.subseriesDisplay],
    ['Identifier', m.folder.record.componentId],
  ];
  const base = m.manifestId.replace(/manifest\.json$/, '');
  const rights = rightsUri(m.collection.useRestriction);
  const manifest: Record<string, unknown> = {
    '@context': PRESENTATION_CONTEXT,
    id: m.manifestId,
    type: 'Manifest',
    label: none(title),
    summary: none(noteText(ao, 'scopecontent') ?? [a.collectionDisplay, a.seriesDisplay, a.subseriesDisplay, a.folderDisplay].filter(Boolean).join(' / ')),
    metadata: pairs.filter((p): p is [string, string] => !!p[1]).map(([label, value]) => ({ label: en(label), value: none(value) })),
    ...(m.collection.useRestriction ? { requiredStatement: { label: en('Rights'), value: none(m.collection.useRestriction) } } : {}),
    ...(rights ? { rights } : {}),
    ...(m.homepage ? { homepage: [{ id: m.homepage, type: 'Text', label: none(title), format: 'text/html' }] } : {}),
    thumbnail: m.images.length ? [thumbnailOf(m.images[0])] : undefined,
    partOf: [{ id: m.collectionUrl, type: 'Collection', label: none(m.collection.title) }],
    items: m.images.map((img, i) => {
      const canvas = `${base}canvas/${i + 1}`;
      return {
        id: canvas,
        type: 'Canvas',
        label: en(`Image ${Number(img.sequence)}`),
        width: img.width,
        height: img.height,
        thumbnail: [thumbnailOf(img)],
        items: [{
          id: `${canvas}/page`,
          type: 'AnnotationPage',
          items: [{
            id: `${canvas}/page/image`,
            type: 'Annotation',
            motivation: 'painting',
            target: canvas,
            body: { id: `${img.serviceId}/full/max/0/default.jpg`, type: 'Image', format: 'image/jpeg', width: img.width, height: img.height, service: imageServiceRef(img) },
          }],
        }],
      };
    }),
  };
  if (!manifest.thumbnail) delete manifest.thumbnail;
  return manifest;
}

/** What the collection document needs of each published folder. */
export interface CollectionEntry {
  folder: string;
  manifestId: string;
  label: string;
  series?: string;
  subseries?: string;
  thumbnail?: Record<string, unknown>;
}

/** The collection's IIIF Collection: series and subseries nested, folders' Manifests in name order. */
export function buildCollection(collectionUrl: string, collection: CollectionInfo, entries: CollectionEntry[]): Record<string, unknown> {
  const base = collectionUrl.replace(/collection\.json$/, '');
  const slug = (s: string) => encodeURIComponent(s.trim().toLowerCase().replace(/\s+/g, '-'));
  const manifestRef = (e: CollectionEntry) => ({ id: e.manifestId, type: 'Manifest', label: none(e.label), ...(e.thumbnail ? { thumbnail: [e.thumbnail] } : {}) });
  const sorted = [...entries].sort((x, y) => x.folder.localeCompare(y.folder));
  const items: Record<string, unknown>[] = [];
  const nested = new Map<string, { node: Record<string, unknown>; children: Record<string, unknown>[]; subs: Map<string, Record<string, unknown>[]> }>();
  for (const e of sorted) {
    if (!e.series) {
      items.push(manifestRef(e));
      continue;
    }
    let s = nested.get(e.series);
    if (!s) {
      const children: Record<string, unknown>[] = [];
      s = { node: { id: `${base}series/${slug(e.series)}`, type: 'Collection', label: none(e.series), items: children }, children, subs: new Map() };
      nested.set(e.series, s);
      items.push(s.node);
    }
    if (!e.subseries) {
      s.children.push(manifestRef(e));
      continue;
    }
    let sub = s.subs.get(e.subseries);
    if (!sub) {
      sub = [];
      s.subs.set(e.subseries, sub);
      s.children.push({ id: `${base}series/${slug(e.series)}/${slug(e.subseries)}`, type: 'Collection', label: none(e.subseries), items: sub });
    }
    sub.push(manifestRef(e));
  }
  return {
    '@context': PRESENTATION_CONTEXT,
    id: collectionUrl,
    type: 'Collection',
    label: none(collection.title),
    ...(collection.useRestriction ? { requiredStatement: { label: en('Rights'), value: none(collection.useRestriction) } } : {}),
    items,
  };
}
