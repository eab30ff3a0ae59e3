/**
 * Validates a storage root (OCFL §4): its declaration, ocfl_layout.json, extensions, and a
 * hierarchy of directories that holds nothing but object roots — every object is validated too.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Collector, type ValidationResult } from './result.js';
import { checkObject, checkExtensions, type ObjectValidationOptions } from './object.js';

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
    }
  }
  for (const e of entries) {
    const p = join(rootPath, e.name);
    if (!e.isDirectory()) continue; // files in the root itself are allowed and ignored (E087)
    if (e.name === 'extensions') await checkExtensions(p, c, 'W016');
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
