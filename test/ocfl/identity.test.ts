/**
 * Object ids that never change: the id is a namespace pinned once plus the archival object's
 * repository-relative URI; objects written under the older URL-based ids (host, port and all)
 * are found and continued, never forked; `distillery ocfl migrate-ids` records every alias.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { commitVersion, identityFilePath, isUrlBasedId, listObjectIds, ObjectIdentity, stableObjectId } from '../../src/ocfl/index.js';
import { ocflCommand } from '../../src/ocfl/cli.js';
import { META, tempRoot, writeFiles } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup() {
  const t = await tempRoot();
  cleanup = t.cleanup;
  const files = await writeFiles(t.dir, { 'a.jp2': 'image a', 'b.jp2': 'image b' });
  const legacy = async (id: string, created: string) =>
    commitVersion(t.root, id, [{ logicalPath: 'F/a.jp2', sourcePath: files['a.jp2'] }], { ...META, created: new Date(created) });
  return { ...t, files, legacy };
}

describe('stable object ids', () => {
  it('are the namespace and the repository-relative URI: no host, port, scheme or proxy path', () => {
    const uri = '/repositories/2/archival_objects/1234';
    expect(stableObjectId('info:archivesspace', uri)).toBe('info:archivesspace/repositories/2/archival_objects/1234');
    expect(stableObjectId('https://archives.example.edu/', uri)).toBe('https://archives.example.edu/repositories/2/archival_objects/1234');
    // Whatever public URL the record was reached through, the id is the same.
    for (const url of ['http://127.0.0.1:41234/public' + uri, 'https://aspace.example.edu' + uri, 'https://example.edu/proxy/aspace' + uri]) {
      expect(stableObjectId('info:archivesspace', url)).toBe('info:archivesspace/repositories/2/archival_objects/1234');
    }
    expect(isUrlBasedId('http://127.0.0.1:41234/public/repositories/2/archival_objects/7')).toBe(true);
    expect(isUrlBasedId('info:archivesspace/repositories/2/archival_objects/7')).toBe(false);
  });

  it('an object written under a URL-based id is continued under that id, not forked', async () => {
    const { root, files, legacy } = await setup();
    const old = 'http://127.0.0.1:40001/public/repositories/2/archival_objects/7';
    await legacy(old, '2026-01-01T00:00:00Z');
    const identity = await ObjectIdentity.open(root, 'info:archivesspace');
    const r = await identity.resolve('/repositories/2/archival_objects/7');
    expect(r).toEqual({ objectId: old, stableId: 'info:archivesspace/repositories/2/archival_objects/7', legacy: old, forks: [] });
    await commitVersion(root, r.objectId, [{ logicalPath: 'F/a.jp2', sourcePath: files['a.jp2'] }, { logicalPath: 'F/b.jp2', sourcePath: files['b.jp2'] }], META);
    expect(await listObjectIds(root)).toEqual([old]);
    // The alias is recorded; a second process reading the file continues the same object.
    const again = await ObjectIdentity.open(root, 'info:archivesspace');
    expect((await again.resolve('/repositories/2/archival_objects/7')).objectId).toBe(old);
    expect(JSON.parse(await readFile(identityFilePath(root), 'utf8')).aliases).toEqual({ 'info:archivesspace/repositories/2/archival_objects/7': old });
  });

  it('a record with no object gets its stable id; forks made under several URLs are listed, the first one continued', async () => {
    const { root, legacy } = await setup();
    const identity = await ObjectIdentity.open(root, 'info:archivesspace');
    expect((await identity.resolve('/repositories/2/archival_objects/9')).objectId).toBe('info:archivesspace/repositories/2/archival_objects/9');
    await legacy('http://127.0.0.1:40002/public/repositories/2/archival_objects/8', '2026-01-02T00:00:00Z');
    await legacy('http://127.0.0.1:40001/public/repositories/2/archival_objects/8', '2026-01-01T00:00:00Z');
    await legacy('https://aspace.example.edu/repositories/2/archival_objects/8', '2026-01-03T00:00:00Z');
    const fresh = await ObjectIdentity.open(root, 'info:archivesspace');
    const r = await fresh.resolve('/repositories/2/archival_objects/8');
    expect(r.objectId).toBe('http://127.0.0.1:40001/public/repositories/2/archival_objects/8');
    expect(r.forks).toEqual(['http://127.0.0.1:40002/public/repositories/2/archival_objects/8', 'https://aspace.example.edu/repositories/2/archival_objects/8']);
  });

  it('the namespace is pinned at first use: another one is refused with what to put back', async () => {
    const { root } = await setup();
    await ObjectIdentity.open(root, 'info:archivesspace');
    await expect(ObjectIdentity.open(root, 'https://archives.example.edu')).rejects.toThrow(/put OCFL_ID_NAMESPACE=info:archivesspace back/);
  });

  it('distillery ocfl migrate-ids records every alias, lists forks, and can be run again', async () => {
    const { root, legacy } = await setup();
    await legacy('http://127.0.0.1:40001/public/repositories/2/archival_objects/1', '2026-01-01T00:00:00Z');
    await legacy('http://127.0.0.1:40002/public/repositories/2/archival_objects/1', '2026-01-02T00:00:00Z');
    await legacy('http://127.0.0.1:40001/public/repositories/2/archival_objects/2', '2026-01-01T00:00:00Z');
    // What `distillery check` says before: the objects waiting, and the command that records them.
    const before = await (await ObjectIdentity.open(root, 'info:archivesspace')).checkNote();
    expect(before).toContain('3 object(s) made under older URL-based ids');
    expect(before).toContain(`distillery ocfl migrate-ids ${root}`);
    const out: string[] = [];
    const io = { out: (s: string) => void out.push(s), err: (s: string) => void out.push(s) };
    expect(await ocflCommand(['migrate-ids', root, '--namespace', 'info:archivesspace'], io)).toBe(0);
    const text = out.join('');
    expect(text).toContain('info:archivesspace/repositories/2/archival_objects/1\tcontinues\thttp://127.0.0.1:40001/public/repositories/2/archival_objects/1');
    expect(text).toContain('fork (left as it is; review)\thttp://127.0.0.1:40002/public/repositories/2/archival_objects/1');
    expect(text).toContain('2 object(s) made under URL-based ids now continue under their stable ids (0 recorded before); 1 further object(s)');
    expect((await (await ObjectIdentity.open(root, 'info:archivesspace')).unaliased())).toEqual([]);
    expect(await (await ObjectIdentity.open(root, 'info:archivesspace')).checkNote()).toContain('no object under an older URL-based id is waiting');
    out.length = 0;
    expect(await ocflCommand(['migrate-ids', root], io)).toBe(0);
    expect(out.join('')).toContain('0 object(s) made under URL-based ids now continue under their stable ids (2 recorded before)');
    expect(await listObjectIds(root)).toHaveLength(3);
  });
});
