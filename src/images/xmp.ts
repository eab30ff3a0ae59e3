/** The Dublin Core fields embedded in every preservation image, computed by the original's rules. */
import type { Collection, FolderRecord } from '../archivesspace/types.js';

export interface XmpFields {
  title: string;
  identifier: string;
  publisher: string;
  source: string;
  rights: string;
}

export const DEFAULT_RIGHTS = 'Caltech Archives has not determined the copyright in this image.';

export function xmpFields(input: { collection: Collection; folder: FolderRecord; sequence: string; imageId: string }): XmpFields {
  const a = input.folder.arrangement;
  const extent = input.folder.extentNumber?.trim();
  const title = extent
    ? `${a.folderDisplay} [image ${input.sequence}/${extent.padStart(4, '0')}]`
    : `${a.folderDisplay} [image ${input.sequence}]`;
  let source = `${a.repositoryCode}: ${a.collectionDisplay}`;
  if (a.seriesDisplay) source += ` / ${a.seriesDisplay}`;
  if (a.subseriesDisplay) source += ` / ${a.subseriesDisplay}`;
  return {
    title,
    identifier: input.imageId,
    publisher: a.repositoryName,
    source,
    rights: input.collection.useRestriction?.trim() || DEFAULT_RIGHTS,
  };
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * The same five Dublin Core fields as an XMP packet, for derivatives written by sharp/libvips
 * (access JPEGs), where no exiftool pass is wanted: dc:title and dc:rights as language
 * alternatives, dc:publisher as a bag, dc:identifier and dc:source as text — as exiftool writes them.
 */
export function xmpPacket(f: XmpFields): string {
  const alt = (tag: string, v: string) => `<dc:${tag}><rdf:Alt><rdf:li xml:lang="x-default">${escapeXml(v)}</rdf:li></rdf:Alt></dc:${tag}>`;
  return [
    '<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>',
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">',
    '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">',
    alt('title', f.title),
    `<dc:identifier>${escapeXml(f.identifier)}</dc:identifier>`,
    `<dc:publisher><rdf:Bag><rdf:li>${escapeXml(f.publisher)}</rdf:li></rdf:Bag></dc:publisher>`,
    `<dc:source>${escapeXml(f.source)}</dc:source>`,
    alt('rights', f.rights),
    '</rdf:Description></rdf:RDF></x:xmpmeta>',
    '<?xpacket end="w"?>',
  ].join('\n');
}
