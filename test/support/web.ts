/**
 * The web form in its own process, for tests that kill it at a chosen moment: with KILL_BEFORE set,
 * the process SIGKILLs itself the moment it is about to rename a file whose name ends with that
 * text into the status folder (e.g. "-run.json": the stream is written, the record and request not;
 * "-init-cloud": stream and record written, the request not) — a web process dying between its
 * writes, at exactly that point.
 * Run with Node 22 (see startWebProcess): web.ts <statusDir> <usersFile>; prints "url <url>".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { pino } from 'pino';

export function startWebProcess(repo: string, node: string, statusDir: string, usersFile: string, killBefore?: string): { child: ChildProcess; url: Promise<string>; exited: Promise<{ code: number | null; signal: string | null }> } {
  const child = spawn(node, ['--experimental-transform-types', '--no-warnings', '--import', `${repo}/test/ocfl/support/registerTs.mjs`, `${repo}/test/support/web.ts`, statusDir, usersFile], {
    cwd: repo,
    env: { ...process.env, ...(killBefore ? { KILL_BEFORE: killBefore } : {}) },
  });
  let out = '';
  const url = new Promise<string>((ok, fail) => {
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /^url (\S+)$/m.exec(out);
      if (m) ok(m[1]);
    });
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    child.once('exit', () => fail(new Error(`the web process ended before it listened:\n${out}`)));
  });
  url.catch(() => undefined);
  const exited = new Promise<{ code: number | null; signal: string | null }>((ok) => child.once('exit', (code, signal) => ok({ code, signal })));
  return { child, url, exited };
}

if (process.argv[1]?.endsWith('web.ts')) {
  const [statusDir, usersFile] = process.argv.slice(2);
  const killBefore = process.env.KILL_BEFORE;
  if (killBefore) {
    const rename = fsp.rename;
    fsp.rename = async (from, to) => {
      if (String(to).endsWith(killBefore)) process.kill(process.pid, 'SIGKILL');
      return rename(from, to);
    };
    syncBuiltinESMExports();
  }
  const { startWeb } = await import('../../src/web/server.js');
  const web = await startWeb({
    web: { host: '127.0.0.1', port: 0, usersFile, identity: 'header', identityHeader: 'x-remote-user', trustedProxies: ['127.0.0.1', '::1', '::ffff:127.0.0.1'], sessionSecret: 'test-session-secret-0123456789', logoutUrl: '/logout', secureCookies: false },
    statusFiles: statusDir,
    modules: { cloud: 's3' },
    logger: pino({ level: 'silent' }),
  });
  process.stdout.write(`url ${web.url}\n`);
}
