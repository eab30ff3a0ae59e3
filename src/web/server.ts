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
    server.once('error', reject);
    server.listen(opts.web.port, opts.web.host, () => {
      server.off('error', reject);
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
