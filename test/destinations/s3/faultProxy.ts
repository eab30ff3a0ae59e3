/**
 * An HTTP proxy between the destination and the S3 test server that injects what fauxqs cannot
 * produce by itself: error answers real S3 gives (AccessDenied, InvalidAccessKeyId, SlowDown,
 * 500), dropped connections, a body damaged on the way, a stored checksum that differs, an answer
 * lost after S3 did the work (`dropAnswer`), and a server that accepts the request, reads it whole
 * and never answers (`hang`).
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  /** Bucket-relative path without the leading "/<bucket>/", decoded. */
  key: string;
  query: URLSearchParams;
}

export type Fault =
  | { kind: 'respond'; status: number; code: string; message?: string }
  | { kind: 'reset' }
  | { kind: 'corruptBody' }
  | { kind: 'corruptChecksumHeader' }
  /** The request reaches S3 and is done there, but the answer is dropped (the connection is cut). */
  | { kind: 'dropAnswer' }
  /** The request is read whole and never answered; the connection stays open until the client gives up. */
  | { kind: 'hang' };

export interface FaultProxy {
  endpoint: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

export async function startFaultProxy(target: string, rule: (r: SeenRequest) => Fault | undefined): Promise<FaultProxy> {
  const to = new URL(target);
  const seen: SeenRequest[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://proxy');
    const parts = url.pathname.split('/').slice(2);
    const r: SeenRequest = { method: req.method ?? 'GET', key: decodeURIComponent(parts.join('/')), query: url.searchParams };
    seen.push(r);
    const fault = rule(r);
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'hang') {
      req.resume(); // reads the request and never answers; the connection stays open
      return;
    }
    if (fault?.kind === 'respond') {
      req.resume();
      const body = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>${fault.message ?? fault.code}</Message><RequestId>proxy</RequestId></Error>`;
      res.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (fault?.kind === 'corruptBody' && body.length > 0) {
        body = Buffer.from(body);
        body[Math.floor(body.length / 2)] ^= 0xff;
      }
      const up = httpRequest(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
        (upRes: IncomingMessage) => {
          if (fault?.kind === 'dropAnswer') {
            upRes.resume();
            upRes.on('end', () => req.socket.destroy());
            return;
          }
          const headers = { ...upRes.headers };
          if (fault?.kind === 'corruptChecksumHeader' && headers['x-amz-checksum-sha256']) {
            headers['x-amz-checksum-sha256'] = Buffer.alloc(32, 7).toString('base64');
          }
          res.writeHead(upRes.statusCode ?? 502, headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
