/**
 * The official OCFL 1.0 and 1.1 fixtures (github.com/OCFL/fixtures d323fc2, CC-BY-4.0, kept in
 * test/fixtures/ocfl with their source note): good objects valid with no warnings; warn objects
 * valid with exactly the warnings in their names; bad objects invalid with every error code in
 * their names among those reported.
 */
import { describe, it, expect, test } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { validateObject } from '../../src/ocfl/index.js';

const ROOT = resolve(import.meta.dirname, '../fixtures/ocfl');
const codesIn = (name: string) => [...new Set(name.split('_').filter((s) => /^[EW]\d{3}$/.test(s)))].sort();
const list = (version: string, kind: string) => readdirSync(join(ROOT, version, kind)).sort();

test('both fixture sets are in the repository with their source note', () => {
  for (const v of ['1.0', '1.1']) for (const k of ['good-objects', 'warn-objects', 'bad-objects']) expect(existsSync(join(ROOT, v, k)), `${v}/${k}`).toBe(true);
  expect(existsSync(join(ROOT, 'SOURCE.txt'))).toBe(true);
  // Counts as published (spec/ocfl-ace.md §2.1): a lost fixture would otherwise go unnoticed.
  expect([list('1.0', 'good-objects').length, list('1.0', 'warn-objects').length, list('1.0', 'bad-objects').length]).toEqual([10, 14, 52]);
  expect([list('1.1', 'good-objects').length, list('1.1', 'warn-objects').length, list('1.1', 'bad-objects').length]).toEqual([12, 13, 55]);
});

describe.each(['1.0', '1.1'])('OCFL %s fixtures', (version) => {
  const dir = join(ROOT, version);

  it.each(list(version, 'good-objects'))('good: %s is valid with no warnings', async (name) => {
    const r = await validateObject(join(dir, 'good-objects', name));
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
  });

  it.each(list(version, 'warn-objects'))('warn: %s is valid with exactly its warnings', async (name) => {
    const r = await validateObject(join(dir, 'warn-objects', name));
    expect(r.errors).toEqual([]);
    expect([...new Set(r.warnings.map((w) => w.code))].sort(), JSON.stringify(r.warnings)).toEqual(codesIn(name));
  });

  it.each(list(version, 'bad-objects'))('bad: %s is invalid with its named errors', async (name) => {
    const r = await validateObject(join(dir, 'bad-objects', name));
    expect(r.valid).toBe(false);
    const got = new Set(r.errors.map((e) => e.code));
    for (const code of codesIn(name)) expect(got.has(code), `${name} should report ${code}; got ${JSON.stringify(r.errors)}`).toBe(true);
  });
});
