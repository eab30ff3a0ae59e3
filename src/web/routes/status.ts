/**
 * `GET /distill/<collection>`: the status page of a collection's run, and
 * `GET /distill/<collection>/events`: its server-sent events (init, line, state — the whole record —,
 * delta — what changed in it —, end).
 */
import { Router, type Request } from 'express';
import { collectionIdProblem } from '../../runs/requests.js';
import type { WebContext } from '../context.js';
import { cursorId, parseCursorId, type FollowEvent } from '../follow.js';
import { problems } from '../problems.js';
import type { WebUser } from '../users.js';

/** Comment lines keep proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
/**
 * A client with more than this handed to its response and not yet drained is too far behind: it is
 * dropped and resumes with Last-Event-ID.
 */
const MAX_BEHIND_BYTES = 1024 * 1024;

function collectionParam(req: Request): string {
  const id = String(req.params.collection ?? '');
  if (collectionIdProblem(id) || id !== id.trim()) throw problems.notFound(`"${id.slice(0, 100)}" is not a collection ID.`);
  return id;
}

export function statusRoutes(ctx: WebContext): Router {
  const router = Router();

  router.get('/distill/:collection', async (req, res) => {
    const collectionId = collectionParam(req);
    const [record, archived] = await Promise.all([ctx.status.readRecord(collectionId), ctx.status.archived(collectionId)]);
    const active = record !== undefined || (await ctx.status.activeFor(collectionId)) !== undefined;
    if (!active && archived.length === 0) throw problems.notFound(`No run of ${collectionId} has been requested yet.`);
    const cancel = record ? await ctx.status.cancelRequest(collectionId, record.request.runId) : undefined;
    const cancellable = record !== undefined && (record.state === 'queued' || record.state === 'running') && !cancel;
    res.render('status', { user: res.locals.user, collectionId, csrfToken: ctx.csrfToken(req), cancellable, cancel });
  });

  // Cancel (CSRF-checked like every POST): recorded with who and when; a queued run is taken back
  // at once, a running one stops at the worker's next safe boundary (src/alchemist/fence.ts).
  router.post('/distill/:collection/cancel', async (req, res) => {
    const collectionId = collectionParam(req);
    const record = await ctx.status.readRecord(collectionId);
    if (!record || (record.state !== 'queued' && record.state !== 'running')) {
      throw problems.conflict(`No run of ${collectionId} is waiting or running, so there is nothing to cancel.`);
    }
    const user = res.locals.user as WebUser;
    const cancel = { runId: record.request.runId, by: { email: user.email, name: user.name }, at: new Date().toISOString() };
    await ctx.status.requestCancel(collectionId, cancel);
    ctx.log.info({ collection: collectionId, run: cancel.runId, user: user.email }, 'run cancel requested');
    // Still waiting for a worker: take the request back, so no worker starts it.
    if (await ctx.status.withdraw(collectionId)) await ctx.status.endUnfinished(collectionId, 'cancelled before a worker took it');
    res.redirect(303, `/distill/${encodeURIComponent(collectionId)}`);
  });

  router.get('/distill/:collection/events', (req, res) => {
    const collectionId = collectionParam(req);
    const last = req.get('last-event-id') ?? (typeof req.query.from === 'string' ? req.query.from : '0');
    // `<offset>` or `<offset>.<epoch>.<rev>`: lines resume at the offset; the record at its revision.
    const { from, since } = parseCursorId(last);
    // Line ids carry the record revision the client holds, so whichever event it saw last tells both.
    let held = since ? `.${since.epoch}.${since.rev}` : '';
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no', // nginx/Apache: do not hold the stream back
    });
    res.write('retry: 3000\n\n');
    const maxBehind = ctx.followers.opts.maxBehindBytes ?? MAX_BEHIND_BYTES;
    let open = true;
    let unsubscribe = () => {};
    // Everything this stream holds stops with it, whichever way it ends.
    const finish = () => {
      if (!open) return;
      open = false;
      clearInterval(keepalive);
      unsubscribe();
    };
    // "Too far behind" is counted here, not read from res.writableLength: the bytes handed to
    // res.write since it last said "wait" (returned false) and has not yet drained. What
    // writableLength covers differs between Node versions: Node 24 gathers a response's writes of one
    // event-loop turn in the response itself (corked) and hands them to the socket as one write, so
    // writableLength only ever shows that turn's batch (under 90 KB here) while the socket queue
    // stays empty; Node 22 writes each event to the socket, whose queue held part of a batch
    // across turns (up to 262 KB here, which is what dropped an 8 MB/s client on Node 22 and not on
    // Node 24). Counting what was handed over since the back-pressure began holds on both: it only
    // grows while Node itself is holding bytes the client has not taken.
    let unsent = 0;
    let waiting = false;
    res.on('drain', () => {
      waiting = false;
      unsent = 0;
    });
    /** Writes unless the stream is over; a client that stopped reading is dropped, never buffered for. */
    const write = (text: string): boolean => {
      if (!open || res.writableEnded || res.destroyed) return false;
      const room = res.write(text);
      if (waiting || !room) unsent += Buffer.byteLength(text);
      if (!room) waiting = true;
      if (unsent > maxBehind) {
        ctx.log.info({ collectionId, unsent }, 'event stream client too far behind: dropped (it resumes from its last event)');
        finish();
        res.destroy();
        return false;
      }
      return true;
    };
    const send = (event: FollowEvent): boolean => {
      switch (event.type) {
        case 'init':
        case 'line':
          // JSON keeps a stray carriage return inside a line from ending the event early.
          return write(`event: ${event.type}\nid: ${event.id}${held}\ndata: ${JSON.stringify(event.text)}\n\n`);
        case 'state':
        case 'delta':
          held = `.${event.cursor.epoch}.${event.cursor.rev}`;
          return write(`event: ${event.type}\nid: ${cursorId(event.cursor)}\ndata: ${JSON.stringify(event.type === 'state' ? event.record : event.delta)}\n\n`);
        case 'end': {
          write(`event: end\ndata: ${JSON.stringify({ reason: event.reason, log: event.log })}\n\n`);
          finish();
          if (!res.writableEnded) res.end();
          return false;
        }
      }
    };
    const keepalive = setInterval(() => write(': keep-alive\n\n'), ctx.followers.opts.keepAliveMs ?? KEEPALIVE_MS);
    res.on('close', finish);
    res.on('finish', finish);
    res.on('error', (err) => {
      ctx.log.info({ err, collectionId }, 'event stream closed with an error');
      finish();
    });
    unsubscribe = ctx.followers.follow(collectionId, from, send, since);
    if (!open) unsubscribe();
  });

  return router;
}
