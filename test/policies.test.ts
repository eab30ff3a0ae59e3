/**
 * Named policies: withRetry enforces each attempt's time-out, and an outside server that accepts a
 * connection and never answers ends in a retry, then a failure naming the call, the host and the
 * setting to change.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ArchivesSpaceClient } from '../src/archivesspace/client.js';
import { configureTimeouts, policies, TimeoutError, withRetry, type RetryPolicy } from '../src/policies.js';

let server: Server | undefined;
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** An HTTP server that accepts every connection and never answers; counts the requests it swallowed. */
async function silentServer(): Promise<{ url: string; requests: () => number }> {
  let requests = 0;
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (b) => {
      requests += (b.toString('latin1').match(/^(GET|POST|PUT|DELETE) /gm) ?? []).length;
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server!.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, requests: () => requests };
}

const quick = (timeoutMs: number, attempts = 2): RetryPolicy => ({ ...policies.shortRequest, attempts, initialDelayMs: 1, maxDelayMs: 1, timeoutMs });

describe('withRetry', () => {
  it("abandons an attempt that never settles at the policy's time-out, aborts its signal, and retries", async () => {
    const signals: AbortSignal[] = [];
    const retried: unknown[] = [];
    const started = Date.now();
    const err = await withRetry(quick(300), (_attempt, signal) => {
      signals.push(signal);
      return new Promise<never>(() => undefined); // never answers
    }, { what: 'GET /status on example.org', onRetry: (e) => retried.push(e) }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(signals).toHaveLength(2);
    expect(signals.every((s) => s.aborted)).toBe(true);
    expect(retried[0]).toBeInstanceOf(TimeoutError);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('GET /status on example.org did not answer in time and was stopped (time-out 0.3 s, short request policy; if it needs longer, raise SHORT_REQUEST_TIMEOUT in settings.ini). (gave up after 2 attempts, short request policy)');
  });

  it('stops retrying when the run stops', async () => {
    const stop = new AbortController();
    let attempts = 0;
    const err = await withRetry(quick(200, 5), async () => {
      attempts++;
      stop.abort(new Error('cancelled by the archivist'));
      throw new Error('flaky');
    }, { signal: stop.signal }).catch((e: unknown) => e);
    expect(attempts).toBe(1);
    expect((err as Error).message).toBe('flaky');
  });

  it('time-outs come from settings.ini by the key each policy names', () => {
    const before = policies.tapeTransfer.timeoutMs;
    try {
      configureTimeouts({ TAPE_TRANSFER_TIMEOUT: 90 });
      expect(policies.tapeTransfer.timeoutMs).toBe(90_000);
    } finally {
      policies.tapeTransfer.timeoutMs = before;
    }
  });
});

describe('a server that accepts and never answers', () => {
  it('ArchivesSpace: each request times out, is retried, and the failure names the host and the setting', async () => {
    process.env.DISTILLERY_RETRY_DELAY_SCALE = '0';
    const s = await silentServer();
    const client = new ArchivesSpaceClient({ baseUrl: s.url, username: 'admin', password: 'x', repositoryId: 2, timeoutMs: 300 });
    const started = Date.now();
    const err = await client.findCollection('HBF').catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(s.requests()).toBe(policies.shortRequest.attempts);
    expect((err as Error).message).toMatch(new RegExp(`^ArchivesSpace at ${s.url} did not answer POST /users/admin/login within 0\\.3 s \\(ECONNABORTED\\); a retry may help\\. If it is only slow, raise ASPACE_TIMEOUT_SECONDS in settings\\.ini\\.`));
    expect((err as Error).message).toContain(`gave up after ${policies.shortRequest.attempts} attempts`);
  });
});
