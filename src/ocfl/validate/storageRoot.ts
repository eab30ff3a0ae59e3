/**
 * Validates a storage root (OCFL §4): its declaration, ocfl_layout.json, extensions, and a
 * hierarchy of directories that holds nothing but object roots — every object is validated too.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Collector, type ValidationResult } from './result.js';
import { checkObject, checkExtensions, REGISTERED_EXTENSIONS, type ObjectValidationOptions } from './object.js';

/**
 * Whether `path` is to be validated as a storage root rather than an object: it declares itself
 * one (0=ocfl_1.x), or it declares nothing, holds no inventory.json and does hold what only a
 * storage root holds (ocfl_layout.json, or object roots below it). A storage root that lost its
 * declaration is then reported as such (E069), not as an object missing its own (E003).
 */
export async function looksLikeStorageRoot(path: string): Promise<boolean> {
  const names = await readdir(path).catch(() => [] as string[]);
  if (names.some((n) => /^0=ocfl_\d/.test(n))) return true;
  if (names.some((n) => n.startsWith('0=ocfl_object_')) || names.includes('inventory.json')) return false;
  if (names.includes('ocfl_layout.json')) return true;
  return hasObjectBelow(path, 6);
}

async function hasObjectBelow(dir: string, depth: number): Promise<boolean> {
  if (depth === 0) return false;
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (!e.isDirectory() || e.name === 'extensions') continue;
    const sub = join(dir, e.name);
    const inner = await readdir(sub).catch(() => [] as string[]);
    if (inner.some((n) => n.startsWith('0=ocfl_object_'))) return true;
    if (await hasObjectBelow(sub, depth - 1)) return true;
  }
  return false;
}

export async function validateStorageRoot(rootPath: string, opts: ObjectValidationOptions = {}): Promise<ValidationResult> {
  const c = new Collector();
  const entries = await readdir(rootPath, { withFileTypes: true }).catch(() => undefined);
  if (!entries) {
    c.error('E069', rootPath, 'This is not a readable directory, so it cannot be an OCFL storage root.');
    return c.result();
  }
  const decls = entries.filter((e) => e.name.startsWith('0='));
  let rootSpec: string | undefined;
  if (decls.length === 0) c.error('E069', rootPath, 'There is no storage root declaration 0=ocfl_1.1.');
  else if (decls.length > 1) c.error('E076', rootPath, 'There is more than one storage root declaration file.');
  for (const d of decls) {
    const m = /^0=ocfl_(1\.[01])$/.exec(d.name);
    if (!m) {
      c.error('E077', join(rootPath, d.name), `The declaration ${d.name} is not 0=ocfl_1.0 or 0=ocfl_1.1.`);
      continue;
    }
    rootSpec = m[1];
    const text = await readFile(join(rootPath, d.name), 'utf8').catch(() => undefined);
    if (text !== `ocfl_${rootSpec}\n`) c.error('E080', join(rootPath, d.name), `The declaration must contain "ocfl_${rootSpec}" and a newline, but holds ${JSON.stringify(text)}.`);
  }
  if (entries.some((e) => e.name === 'ocfl_layout.json')) {
    const text = await readFile(join(rootPath, 'ocfl_layout.json'), 'utf8');
    let layout: unknown;
    try {
      layout = JSON.parse(text);
    } catch {
      layout = undefined;
    }
    const l = layout as { extension?: unknown; description?: unknown } | undefined;
    if (!l || typeof l.extension !== 'string' || typeof l.description !== 'string') {
      c.error('E070', join(rootPath, 'ocfl_layout.json'), 'ocfl_layout.json must be a JSON object with "extension" and "description" strings.');
    } else if (!REGISTERED_EXTENSIONS.has(l.extension)) {
      c.error('E071', join(rootPath, 'ocfl_layout.json'), `ocfl_layout.json names the extension "${l.extension}", which is not a registered OCFL extension.`);
    }
  }
  for (const e of entries) {
    const p = join(rootPath, e.name);
    if (!e.isDirectory()) continue; // files in the root itself are allowed and ignored (E087)
    if (e.name === 'extensions') await checkExtensions(p, c, 'storage root');
    else await walkHierarchy(p, c, rootSpec, opts);
  }
  return c.result();
}

async function walkHierarchy(dir: string, c: Collector, rootSpec: string | undefined, opts: ObjectValidationOptions): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  const decl = entries.find((e) => e.name.startsWith('0=ocfl_object_'));
  if (decl) {
    const { specVersion } = await checkObject(dir, c, opts);
    if (specVersion && rootSpec && specVersion > rootSpec) c.error('E081', dir, `The object declares OCFL ${specVersion}, later than the storage root's ${rootSpec}.`);
    return;
  }
  if (entries.length === 0) {
    c.error('E073', dir, 'This directory in the storage root is empty; remove it.');
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walkHierarchy(p, c, rootSpec, opts);
    else c.error('E072', p, `The file "${e.name}" is in the object hierarchy but in no object; move it out of the storage root.`);
  }
}
