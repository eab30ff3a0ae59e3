// The first of the two commands: `distillery start` without settings.ini runs the demo, whose
// debug sign-in needs development mode. It is started here as scripts/run starts it, with no
// NODE_ENV in its environment.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, test } from 'vitest';
import { freePort } from '../../src/freePort.js';

test('distillery start with no settings.ini and no NODE_ENV serves the demo form', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'distillery-start-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, DISTILLERY_WEB_PORT: String(port) };
  delete env.NODE_ENV;
  delete env.DISTILLERY_SETTINGS;
  const child = spawn(process.execPath, [resolve('bin/distillery.js'), 'start'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout!.on('data', (d) => { out += String(d); });
  child.stderr!.on('data', (d) => { out += String(d); });
  try {
    const running = await new Promise<boolean>((done) => {
      const timer = setTimeout(() => done(false), 120_000);
      const check = () => { if (/Distillery is running/.test(out)) { clearTimeout(timer); done(true); } };
      child.stdout!.on('data', check);
      child.once('exit', () => { clearTimeout(timer); done(false); });
    });
    expect(running, out).toBe(true);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('hello@example.com');
  } finally {
    const gone = new Promise((r) => child.once('exit', r));
    try { process.kill(-child.pid!, 'SIGINT'); } catch { /* already gone */ }
    await Promise.race([gone, new Promise((r) => setTimeout(r, 20_000))]);
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    await rm(dir, { recursive: true, force: true });
  }
}, 180_000);
