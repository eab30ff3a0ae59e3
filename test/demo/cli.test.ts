// The command line beside the demo: it finds the demo's settings from the same folder, and
// `distillery demo reset` starts the demo afresh (refused while something answers on its port).
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demoSettingsFallback } from '../../src/cli.js';
import { DEMO_COLLECTION, resetDemo } from '../../src/demo/demo.js';
import { freePort } from '../../src/freePort.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('the command line beside the demo', () => {
  it('uses data/demo/settings.ini when there is no settings.ini and no DISTILLERY_SETTINGS', async () => {
    dir = await mkdtemp(join(tmpdir(), 'distillery-democli-'));
    expect(demoSettingsFallback({}, dir)).toBeUndefined();
    await mkdir(join(dir, 'data', 'demo'), { recursive: true });
    await writeFile(join(dir, 'data', 'demo', 'settings.ini'), '[settings]\n');
    expect(demoSettingsFallback({}, dir)).toBe(join(dir, 'data', 'demo', 'settings.ini'));
    // A real installation's settings always win.
    expect(demoSettingsFallback({ DISTILLERY_SETTINGS: '/etc/distillery/settings.ini' }, dir)).toBeUndefined();
    await writeFile(join(dir, 'settings.ini'), '[settings]\n');
    expect(demoSettingsFallback({}, dir)).toBeUndefined();
  });

  it('demo reset removes what the demo made and prepares the sample collection again; refused while the port answers', async () => {
    dir = await mkdtemp(join(tmpdir(), 'distillery-demoreset-'));
    const dataDir = join(dir, 'data', 'demo');
    await mkdir(join(dataDir, 'status'), { recursive: true });
    await writeFile(join(dataDir, 'status', 'DEMO-20261130120000.log'), 'a run\n');
    await mkdir(join(dataDir, 'stage3-processed', DEMO_COLLECTION), { recursive: true });

    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    const refused = await resetDemo(dataDir, port);
    await new Promise((r) => busy.close(r));
    expect(refused.refused).toContain(`Something answers on port ${port}: if it is the demo, stop it first`);
    expect(existsSync(join(dataDir, 'status', 'DEMO-20261130120000.log'))).toBe(true);

    const reset = await resetDemo(dataDir, await freePort());
    expect(reset.refused).toBeUndefined();
    expect(reset.removed.sort()).toEqual(['stage3-processed', 'status']);
    expect(existsSync(join(dataDir, 'status'))).toBe(false);
    expect(existsSync(join(dataDir, 'stage3-processed', DEMO_COLLECTION))).toBe(false);
    expect((await readdir(join(dataDir, 'stage1-initial', DEMO_COLLECTION))).length).toBeGreaterThan(0);
  }, 60_000);
});
