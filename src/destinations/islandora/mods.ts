/**
 * The metadata files Islandora ingests with a book, as the original islandora.py built them:
 * collection MODS and COLLECTION_POLICY (only when the collection object is created), book MODS,
 * page MODS.
 */
import { el, toXml, type XmlElement } from './xml.js';

const MODS_NS = 'http://www.loc.gov/mods/v3';
const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';
const XLINK_NS = 'http://www.w3.org/1999/xlink';
const MODS_XSD = 'http://www.loc.gov/standards/mods/v3/mods-3-7.xsd';

function mods(...children: (XmlElement | undefined | false)[]): string {
  return toXml(
    el('mods', { xmlns: MODS_NS, 'xmlns:xsi': XSI_NS, 'xmlns:xlink': XLINK_NS, 'xsi:schemaLocation': `${MODS_NS} ${MODS_XSD}` }, ...children),
  );
}

export function collectionMods(title: string): string {
  return mods(el('titleInfo', {}, el('title', {}, title)), el('typeOfResource', { collection: 'yes' }));
}

/** Lets the collection hold books and pages whose PIDs use the collection ID as namespace. */
export function collectionPolicy(namespace: string): string {
  const ns = 'http://www.islandora.ca';
  return toXml(
    el(
      'collection_policy',
      { xmlns: ns, 'xmlns:xsi': XSI_NS, 'xsi:schemaLocation': `${ns} http://syn.lib.umanitoba.ca/collection_policy.xsd`, name: '' },
      el(
        'content_models',
        {},
        el('content_model', { name: 'Islandora Page Content Model', namespace, pid: 'islandora:pageCModel', dsid: '' }),
        el('content_model', { name: 'Islandora Internet Archive Book Content Model', namespace, pid: 'islandora:bookCModel', dsid: '' }),
      ),
      el('relationship', {}, 'isMemberOfCollection'),
      el('search_terms'),
    ),
  );
}

export interface BookDate {
  label?: string;
  date_type?: string;
  begin?: string;
  end?: string;
  expression?: string;
}

export interface BookMetadata {
  title: string;
  dates: BookDate[];
  pageCount: number;
  collectionTitle: string;
  series?: { id: string; title: string };
  subseries?: { id: string; title: string };
  /** The archival object's public page. */
  recordUrl: string;
  componentId: string;
  /** The collection's use-and-reproduction note. */
  accessCondition?: string;
  /** Digest of the descriptive metadata this MODS was made from (read back to know when it is stale). */
  metadataDigest?: string;
}

/** MODS 3.7 recordInfoNote types under which a published copy records what it was made from. */
export const METADATA_DIGEST_NOTE = 'distillery metadata sha256';
export const SOURCE_DIGEST_NOTE = 'distillery source sha512';

function dateElements(dates: BookDate[]): XmlElement[] {
  const out: XmlElement[] = [];
  for (const d of dates) {
    if (d.label !== undefined && d.label !== 'creation') continue;
    if (d.date_type === 'bulk') continue;
    if (d.begin && d.date_type === 'inclusive') {
      out.push(el('dateCreated', { encoding: 'w3cdtf', point: 'start' }, d.begin));
      if (d.end) out.push(el('dateCreated', { encoding: 'w3cdtf', point: 'end' }, d.end));
    } else if (d.begin) {
      out.push(el('dateCreated', { encoding: 'w3cdtf' }, d.begin));
    } else if (d.expression) {
      out.push(el('dateCreated', {}, d.expression));
    }
  }
  return out;
}

export function bookMods(m: BookMetadata): string {
  const dates = dateElements(m.dates);
  const host = el(
    'relatedItem',
    { type: 'host' },
    el(
      'titleInfo',
      {},
      el('title', {}, m.collectionTitle),
      m.series && el('partNumber', {}, `Series ${m.series.id}`),
      m.series && el('partName', {}, m.series.title),
      m.subseries && el('partNumber', {}, `Subseries ${m.subseries.id}`),
      m.subseries && el('partName', {}, m.subseries.title),
    ),
  );
  return mods(
    el('titleInfo', {}, el('title', {}, m.title)),
    dates.length > 0 && el('originInfo', {}, ...dates),
    el('physicalDescription', {}, el('extent', { unit: 'images' }, String(m.pageCount))),
    host,
    el('relatedItem', { 'xlink:href': m.recordUrl }, el('location', {}, el('url', {}, m.recordUrl))),
    el('identifier', { type: 'local' }, m.componentId),
    m.accessCondition !== undefined && el('accessCondition', { type: 'use and reproduction' }, m.accessCondition),
    m.metadataDigest !== undefined && el('recordInfo', {}, el('recordInfoNote', { type: METADATA_DIGEST_NOTE }, m.metadataDigest)),
  );
}

/** Page MODS: title, image id, its page number in the book and the sha512 of the preservation image it shows. */
export function pageMods(title: string, identifier: string, source?: { page: string; sha512: string }): string {
  return mods(
    el('titleInfo', {}, el('title', {}, title)),
    el('identifier', { type: 'local' }, identifier),
    source && el('part', {}, el('detail', { type: 'page' }, el('number', {}, String(Number(source.page))))),
    source && el('recordInfo', {}, el('recordInfoNote', { type: SOURCE_DIGEST_NOTE }, source.sha512)),
  );
}
