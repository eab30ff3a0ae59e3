/**
 * The official OCFL 1.0 fixtures (github.com/OCFL/fixtures, kept in test/fixtures/ocfl):
 * good objects valid with no warnings; warn objects valid with at least the warnings in their
 * names; bad objects invalid with an error named in theirs (except the few ocfl-py also reports
 * differently, spec/ocfl-ace.md §2.3).
 */
import { describe, it, expect, test } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { validateObject } from '../../src/ocfl/index.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/ocfl/1.0');
const present = existsSync(FIXTURES);
test('the OCFL fixtures are in the repository', () => expect(present, `OCFL fixtures missing at ${FIXTURES}`).toBe(true));

/** Rejected, but with a code other than the one in the name (same as ocfl-py 2.1.0). */
const OTHER_CODE_OK = new Set([
  'E010_missing_versions',
  'E011_E013_invalid_padded_head_version',
  'E015_content_not_in_content_dir',
  'E019_inconsistent_content_dir',
  'E040_wrong_version_in_version_dir',
  'E100_E099_fixity_invalid_content_paths',
]);

const codesIn = (name: string) => name.split('_').filter((s) => /^[EW]\d{3}$/.test(s));
const list = (kind: string) => (present ? readdirSync(join(FIXTURES, kind)).sort() : []);

describe.skipIf(!present)('OCFL 1.0 fixtures', () => {
  it.each(list('good-objects'))('good: %s is valid with no warnings', async (name) => {
    const r = await validateObject(join(FIXTURES, 'good-objects', name));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it.each(list('warn-objects'))('warn: %s is valid and reports its warnings', async (name) => {
    const r = await validateObject(join(FIXTURES, 'warn-objects', name));
    expect(r.errors).toEqual([]);
    const got = new Set(r.warnings.map((w) => w.code));
    for (const code of codesIn(name)) expect(got, `${name}: ${JSON.stringify(r.warnings)}`).toContain(code);
  });

  it.each(list('bad-objects'))('bad: %s is invalid with a named code', async (name) => {
    const r = await validateObject(join(FIXTURES, 'bad-objects', name));
    expect(r.valid).toBe(false);
    const got = r.errors.map((e) => e.code);
    if (!OTHER_CODE_OK.has(name)) {
      expect(codesIn(name).some((c) => got.includes(c)), `${name} reported ${JSON.stringify(r.errors)}`).toBe(true);
    }
  });
});
