/** MODS details the end-to-end test's seed does not reach: inclusive and undated dates, characters XML forbids. */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { bookMods } from '../../../src/destinations/islandora/mods.js';

const base = {
  title: 'T',
  pageCount: 3,
  collectionTitle: 'C',
  recordUrl: 'https://collections.example.org/repositories/2/archival_objects/5?a=1&b=2',
  componentId: 'HBF_001_01',
};
const parse = (xml: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', parseTagValue: false }).parse(xml).mods;

describe('book MODS', () => {
  it('writes inclusive creation dates as start and end, an undated expression as text, and skips bulk and other labels', () => {
    const xml = bookMods({
      ...base,
      dates: [
        { label: 'creation', date_type: 'inclusive', begin: '1921-03', end: '1922' },
        { label: 'creation', date_type: 'bulk', begin: '1921', end: '1921' },
        { label: 'digitized', date_type: 'single', begin: '2020' },
        { label: 'creation', date_type: 'single', expression: 'circa 1925' },
      ],
    });
    expect(parse(xml).originInfo.dateCreated).toEqual([
      { '#text': '1921-03', '@encoding': 'w3cdtf', '@point': 'start' },
      { '#text': '1922', '@encoding': 'w3cdtf', '@point': 'end' },
      'circa 1925',
    ]);
  });

  it('leaves out originInfo without dates, subseries without a series, and accessCondition without a note', () => {
    const mods = parse(bookMods({ ...base, dates: [] }));
    expect(mods.originInfo).toBeUndefined();
    expect(mods.accessCondition).toBeUndefined();
    expect(mods.relatedItem[0].titleInfo).toEqual({ title: 'C' });
  });

  it('stays well-formed with control characters, quotes and ampersands in ArchivesSpace text', () => {
    const xml = bookMods({ ...base, title: 'Tab\there \u0001bell\u0007 "q" & \'a\' ]]>', dates: [], subseries: { id: '2', title: '<Sub>' } });
    expect(XMLValidator.validate(xml)).toBe(true);
    const mods = parse(xml);
    expect(mods.titleInfo.title).toBe('Tab\there bell "q" & \'a\' ]]>');
    expect(mods.relatedItem[1]['@xlink:href']).toBe(base.recordUrl);
    expect(mods.relatedItem[0].titleInfo.partName).toBe('<Sub>');
  });
});
