/**
 * Details kept as the original had them, each against the value the original's own Python gives
 * (caltechlibrary/distillery at 8dacb3c, distill.py: normalize_directory_component_id,
 * get_s3_aip_folder_prefix, get_xmp_dc_metadata). The expected values were computed by running
 * the original's expressions in Python 3.
 */
import { describe, expect, it } from 'vitest';
import type { Arrangement } from '../../src/archivesspace/types.js';
import { useRestrictionOf } from '../../src/archivesspace/client.js';
import { zfill } from '../../src/collection/componentId.js';
import { folderPrefix, slug } from '../../src/collection/folderPaths.js';

const arrangement = (over: Partial<Arrangement>): Arrangement => ({
  repositoryName: 'Caltech Archives', repositoryCode: 'CaltechArchives', collectionDisplay: 'Hale Papers', collectionId: 'HaleGE',
  folderDisplay: 'Folder 3', folderTitle: 'Folder 3', ...over,
});

describe('the original rules, value for value', () => {
  it("zfill as Python's str.zfill", () => {
    // '0B'.lstrip('0').zfill(3), 'A'.zfill(2), 'ab'.zfill(2), '3'.zfill(2), '-1'.zfill(3)
    expect([zfill('B', 3), zfill('A', 2), zfill('ab', 2), zfill('3', 2), zfill('-1', 3)]).toEqual(['00B', '0A', 'ab', '03', '-01']);
  });

  it('keeps accented and other letters in keys, as isalnum() does', () => {
    // ''.join([c if c.isalnum() else '-' for c in 'Correspondance générale: Zürich & Þórsmörk (1923)'])
    expect(slug('Correspondance générale: Zürich & Þórsmörk (1923)')).toBe('Correspondance-générale--Zürich---Þórsmörk--1923-');
  });

  it('pads non-numeric series and subseries ids as zfill(2) does', () => {
    const a = arrangement({ seriesId: 'A', seriesDisplay: 'Série A', subseriesId: 'b', subseriesDisplay: 'Lettres', folderDisplay: 'Folder 3' });
    expect(folderPrefix(a, 'HaleGE_0B_03')).toBe('HaleGE/HaleGE-s0A-Série-A/HaleGE-s0A-ss0b-Lettres/HaleGE_0B_03-Folder-3/');
  });

  it('XMP rights: the last published use-restriction note, as the original XMP took it', () => {
    const note = (content: string, publish: boolean) => ({ type: 'userestrict', subnotes: [{ content, publish }] });
    const resource = { notes: [note('First terms.', true), { type: 'accessrestrict', subnotes: [{ content: 'x', publish: true }] }, note('Second terms.', true), note('Unpublished.', false), note('', true)] };
    expect(useRestrictionOf(resource)).toBe('Second terms.');
    expect(useRestrictionOf({ notes: [note('Unpublished.', false)] })).toBeUndefined();
  });
});
