/** Starts the web app on WEB_HOST:WEB_PORT (port 0 picks a free port, for tests). */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type WebAppOptions } from './app.js';

export interface RunningWeb {
  /** e.g. http://127.0.0.1:1234 */
  url: string;
  server: Server;
  close(): Promise<void>;
}

export async function startWeb(opts: WebAppOptions): Promise<RunningWeb> {
  const app = createApp(opts);
  const server = createServer(app);
  // Status pages hold their event streams open; those must not count as idle keep-alive sockets.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => reject(listenError(err, opts.web.host, opts.web.port));
    server.once('error', failed);
    server.listen(opts.web.port, opts.web.host, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    server,
    // Safe to call more than once.
    close: () =>
      (closing ??= new Promise<void>((resolve, reject) => {
        app.closeFollowers();
        server.close((err) => (err ? reject(err) : resolve()));
        // Open event streams would hold close() forever; the pages reconnect to the next process.
        server.closeAllConnections();
      })),
  };
}

/** What to do when the form cannot listen where settings say. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host}:${port}`;
  const change = 'or choose another with WEB_HOST / WEB_PORT in settings.ini (or DISTILLERY_WEB_PORT=…)';
  if (err.code === 'EADDRINUSE') {
    return new Error(`The web form cannot listen on ${where}: another program already uses that port (is Distillery already running?). Stop it, ${change}.`);
  }
  if (err.code === 'EACCES') {
    return new Error(`The web form may not listen on ${where}: ports below 1024 need privileges. Use a port above 1024 behind the web server, ${change}.`);
  }
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
    return new Error(`The web form cannot listen on ${where}: this machine has no such address. Fix WEB_HOST in settings.ini.`);
  }
  return err;
}
