/** `distillery web`: reads settings.ini, serves the form, stops on SIGTERM; bad settings are listed. */
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkCommand } from '../../src/commands/check.js';
import { webCommand } from '../../src/web/cli.js';
import { freePort } from '../../src/freePort.js';

let dir: string | undefined;
afterEach(async () => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A minimal settings.ini and users.csv in `dir`, with the form on `port`, used by webCommand. */
async function useSettings(dir: string, port: number): Promise<void> {
  await writeFile(join(dir, 'users.csv'), 'email_address,display_name\nalice@caltech.edu,Alice\n');
  await writeFile(
    join(dir, 'settings.ini'),
    ['[settings]', 'STATUS_FILES=status', 'STAGE_1_ORIGINAL_FILES=s1', 'STAGE_2_ORIGINAL_FILES=s2', 'STAGE_3_ORIGINAL_FILES=s3',
      'LOSSLESS_PRESERVATION_FILES=pres', `WEB_PORT=${port}`, 'WEB_SESSION_SECRET=0123456789abcdef0123', 'WEB_SECURE_COOKIES=false'].join('\n') + '\n',
  );
  vi.stubEnv('DISTILLERY_SETTINGS', join(dir, 'settings.ini'));
  vi.stubEnv('DISTILLERY_LOG_LEVEL', 'silent');
}

describe('distillery web', () => {
  it('serves the form from settings.ini and stops on SIGTERM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'distillery-webcli-'));
    const port = await freePort();
    await useSettings(dir, port);
    const exit = webCommand([]);
    let res: Response | undefined;
    for (let i = 0; i < 100 && !res; i++) {
      res = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-remote-user': 'alice@caltech.edu' } }).catch(() => undefined);
      if (!res) await new Promise((r) => setTimeout(r, 100));
    }
    expect(res?.status).toBe(200);
    expect(await res!.text()).toContain('Hello, Alice');
    process.emit('SIGTERM');
    expect(await exit).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
  });

  it('logs through the project logger: LOG_FILE is written and no secret setting or credential appears in it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'distillery-webcli-'));
    const port = await freePort();
    await useSettings(dir, port);
    await appendFile(join(dir, 'settings.ini'), 'LOG_FILE=logs/web.log\n');
    vi.stubEnv('DISTILLERY_LOG_LEVEL', 'debug');
    const exit = webCommand([]);
    let res: Response | undefined;
    for (let i = 0; i < 100 && !res; i++) {
      res = await fetch(`http://127.0.0.1:${port}/`, { headers: { 'x-remote-user': 'alice@caltech.edu', authorization: 'Bearer credential-never-logged' } }).catch(() => undefined);
      if (!res) await new Promise((r) => setTimeout(r, 100));
    }
    expect(res?.status).toBe(200);
    process.emit('SIGTERM');
    expect(await exit).toBe(0);
    const logFile = join(dir, 'logs', 'web.log');
    let text = '';
    for (let i = 0; i < 50 && !text.includes('listening'); i++) {
      text = await readFile(logFile, 'utf8').catch(() => '');
      if (!text.includes('listening')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(text).toContain('Distillery web is listening');
    expect(text).not.toContain('0123456789abcdef0123');
    expect(text).not.toContain('credential-never-logged');
  });

  it('says the port is taken, and what to do, when another program listens there', async () => {
    dir = await mkdtemp(join(tmpdir(), 'distillery-webcli-'));
    const other = createServer();
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const port = (other.address() as { port: number }).port;
    try {
      await useSettings(dir, port);
      const errors: string[] = [];
      vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
      expect(await webCommand([])).toBe(1);
      expect(errors.join('\n')).toBe(
        `The web form cannot listen on 127.0.0.1:${port}: another program already uses that port (is Distillery already running?). ` +
          'Stop it, or choose another with WEB_HOST / WEB_PORT in settings.ini (or DISTILLERY_WEB_PORT=…).',
      );
    } finally {
      await new Promise((r) => other.close(r));
    }
  });

  it('lists every settings problem and exits 2', async () => {
    dir = await mkdtemp(join(tmpdir(), 'distillery-webcli-'));
    await writeFile(join(dir, 'settings.ini'), '[settings]\nWEB_PORT=http\n');
    vi.stubEnv('DISTILLERY_SETTINGS', join(dir, 'settings.ini'));
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
    expect(await webCommand([])).toBe(2);
    expect(errors.join('\n')).toMatch(/STATUS_FILES[\s\S]*WEB_PORT/);
  });

  it('refuses at start-up a WEB_TRUSTED_PROXIES entry with a trailing "/" (it would trust every address), and so does check', async () => {
    dir = await mkdtemp(join(tmpdir(), 'distillery-webcli-'));
    const port = await freePort();
    await useSettings(dir, port);
    await appendFile(join(dir, 'settings.ini'), 'WEB_TRUSTED_PROXIES=10.20.30.40/\n');
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((m: string) => void errors.push(m));
    expect(await webCommand([])).toBe(2);
    const expected = 'WEB_TRUSTED_PROXIES "10.20.30.40/" has no valid prefix length after "/": write a number from 1 to 32';
    expect(errors.join('\n')).toContain(expected);
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow();
    errors.length = 0;
    expect(await checkCommand([])).toBe(2);
    expect(errors.join('\n')).toContain(expected);
  });
});
