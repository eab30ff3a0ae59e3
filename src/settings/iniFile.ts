/**
 * settings.ini read by the rules of the original, which read it with Python's configparser
 * (defaults): a line `KEY=value` or `KEY: value`; the value is everything after the first `=` or
 * `:` up to the end of the line, with the spaces around it removed. `#` and `;` start a comment
 * only at the beginning of a line, so `ASPACE_PASSWORD=admin#2024;x` is `admin#2024;x`. Quotes are
 * part of the value. Key names are not case-sensitive. Section names are.
 *
 * Where configparser would stop with an error, so does this (a key given twice, a line that is
 * not a key, a key before any section); the problems are collected with their line numbers. Only
 * `[settings]` is checked: other sections (the original kept its logging set-up there) are skipped.
 * Unlike configparser, a byte-order mark (as Notepad writes) is accepted and dropped, `%` needs no
 * doubling (nothing is interpolated), and an indented line continuing a value is refused: no
 * value Distillery reads spans lines.
 */
import type { SettingsProblem } from './reader.js';

export interface IniSections {
  /** Keys in upper case, per section name. */
  sections: Map<string, Map<string, { value: string; line: number }>>;
  problems: SettingsProblem[];
}

const SECTION = /^\[([^\]]+)\]\s*$/;

export function parseIniText(text: string, file: string): IniSections {
  const sections = new Map<string, Map<string, { value: string; line: number }>>();
  const problems: SettingsProblem[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  let current: Map<string, { value: string; line: number }> | undefined;
  let currentName = '';
  let lastKeyIndent = -1;
  const seenSections = new Set<string>();
  lines.forEach((raw, i) => {
    const n = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) return;
    const indent = raw.length - raw.trimStart().length;
    // Only [settings] is read; other sections (the original kept its logging set-up here) are skipped.
    const skipping = current !== undefined && currentName !== 'settings' && !SECTION.test(trimmed);
    if (skipping) return;
    if (current && lastKeyIndent >= 0 && indent > lastKeyIndent) {
      problems.push({ key: `line ${n}`, message: `of ${file} is indented, so it would continue the value of the line above: write each KEY=value on one line, starting at the left margin.` });
      return;
    }
    const section = SECTION.exec(trimmed);
    if (section) {
      currentName = section[1];
      lastKeyIndent = -1;
      if (seenSections.has(currentName)) {
        problems.push({ key: `[${currentName}]`, message: `appears twice in ${file} (line ${n} is the second): keep one [${currentName}] section.` });
      }
      seenSections.add(currentName);
      current = sections.get(currentName) ?? new Map();
      sections.set(currentName, current);
      return;
    }
    const eq = firstDelimiter(trimmed);
    if (eq <= 0) {
      // The line itself is not repeated: it may hold a secret.
      problems.push({ key: `line ${n}`, message: `of ${file} is not a KEY=value line, a [section] line or a comment (comments start with ; or # at the beginning of a line).` });
      return;
    }
    if (!current) {
      problems.push({ key: `line ${n}`, message: `of ${file} comes before the [settings] line: put [settings] first.` });
      return;
    }
    lastKeyIndent = indent;
    const key = trimmed.slice(0, eq).trim().toUpperCase();
    const value = trimmed.slice(eq + 1).trim();
    const before = current.get(key);
    if (before) {
      problems.push({ key, message: `is set twice in [${currentName}] of ${file} (lines ${before.line} and ${n}): keep one.` });
      return;
    }
    current.set(key, { value, line: n });
  });
  return { sections, problems };
}

function firstDelimiter(line: string): number {
  const a = line.indexOf('=');
  const b = line.indexOf(':');
  if (a === -1) return b;
  if (b === -1) return a;
  return Math.min(a, b);
}
