/**
 * One writer per object, and crashes at every install step. In-process crashes are simulated by
 * throwing from the install-step hook (nothing after it runs, as in a crash); the cross-process
 * cases run a real second Node process (test/ocfl/support/child.ts) that holds the lock or exits
 * mid-install.
 */
import { describe, it, expect, afterEach } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { commitVersion, readInventory, validateObject, recoverObject, objectPath, ObjectLockedError, type InstallStep } from '../../src/ocfl/index.js';
import { META, tempRoot, writeFiles, runChild } from './helpers.js';

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

const STEPS: InstallStep[] = ['assembled', 'version-installed', 'root-inventory-installed', 'sidecar-installed'];

describe('a crash between install steps', () => {
  it.each(STEPS)('after "%s" leaves the object valid at its old or new head', async (step) => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const id = 'https://example.org/obj/crash';
    const f = await writeFiles(join(t.dir, 'in'), { 'a.txt': 'A', 'b.txt': 'B' });
    await commitVersion(t.root, id, [{ logicalPath: 'a.txt', sourcePath: f['a.txt'] }], META);
    const crash = new Error('simulated crash');
    await expect(
      commitVersion(t.root, id, [{ logicalPath: 'a.txt', sourcePath: f['a.txt'] }, { logicalPath: 'b.txt', sourcePath: f['b.txt'] }], META, {
        onStep: (s) => {
          if (s === step) throw crash;
        },
      }),
    ).rejects.toBe(crash);
    const obj = join(t.root, objectPath(id));
    const before = await validateObject(obj);
    if (step === 'assembled' || step === 'sidecar-installed') {
      // Before the first rename, or after the last, the object is valid as it is.
      expect(before.errors).toEqual([]);
    } else {
      // In between, the new version directory is complete with its own inventory; the next
      // writer (or `distillery ocfl recover`) finishes the install from it.
      expect(before.valid).toBe(false);
      expect(await recoverObject(t.root, obj)).toBe('v2');
    }
    const after = await validateObject(obj);
    expect(after.errors).toEqual([]);
    const head = (await readInventory(t.root, id))!.head;
    expect(head).toBe(step === 'assembled' ? 'v1' : 'v2');
    // And the object takes its next version normally.
    const next = await commitVersion(t.root, id, [{ logicalPath: 'c.txt', sourcePath: f['b.txt'] }], META);
    expect(next.version).toBe(head === 'v1' ? 'v2' : 'v3');
    expect((await validateObject(obj)).errors).toEqual([]);
  });

  it('of a whole process mid-install is recovered by the next writer, which takes over the stale lock', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const id = 'https://example.org/obj/process-crash';
    const f = await writeFiles(join(t.dir, 'in'), { 'a.txt': 'A', 'b.txt': 'B' });
    await commitVersion(t.root, id, [{ logicalPath: 'a.txt', sourcePath: f['a.txt'] }], META);
    const child = await runChild([t.root, id, 'crash:version-installed', f['b.txt']]);
    expect(child.code, child.stderr).toBe(42);
    const locks = await readdir(join(t.dir, 'root-distillery', 'locks'));
    expect(locks).toHaveLength(1); // left behind by the dead process
    const lock = JSON.parse(await readFile(join(t.dir, 'root-distillery', 'locks', locks[0]), 'utf8'));
    expect(lock.pid).not.toBe(process.pid);
    const r = await commitVersion(t.root, id, [{ logicalPath: 'a.txt', sourcePath: f['a.txt'] }], META, { lock: { waitMs: 2_000 } });
    // The child's v2 was rolled forward first; this state (a.txt only) differs from v2, so v3.
    expect(r.version).toBe('v3');
    const inv = (await readInventory(t.root, id))!;
    expect(inv.versions.v2.message).toBe('child crash:version-installed');
    expect((await validateObject(join(t.root, objectPath(id)))).errors).toEqual([]);
  });
});

describe('one writer per object', () => {
  it('a second process waits for the lock, or fails clearly when it waits too short', async () => {
    const t = await tempRoot();
    cleanup = t.cleanup;
    const id = 'https://example.org/obj/two-writers';
    const f = await writeFiles(join(t.dir, 'in'), { 'a.txt': 'A', 'b.txt': 'B', 'c.txt': 'C' });
    await commitVersion(t.root, id, [{ logicalPath: 'a.txt', sourcePath: f['a.txt'] }], META);
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const child = runChild([t.root, id, 'hold:2500', f['b.txt']], (l) => l === 'locked' && locked());
    await isLocked;
    const err = await commitVersion(t.root, id, [{ logicalPath: 'c.txt', sourcePath: f['c.txt'] }], META, { lock: { waitMs: 200 } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectLockedError);
    expect((err as Error).message).toMatch(/is in use by process \d+ on .* since .*Try again when it has finished/);
    const waited = await commitVersion(t.root, id, [{ logicalPath: 'c.txt', sourcePath: f['c.txt'] }], META, { lock: { waitMs: 60_000 } });
    const done = await child;
    expect(done.code, done.stderr).toBe(0);
    expect(waited.version).toBe('v3');
    const inv = (await readInventory(t.root, id))!;
    expect(inv.versions.v2.message).toBe('child hold:2500');
    expect((await validateObject(join(t.root, objectPath(id)))).errors).toEqual([]);
  });
});
