/** `GET /runs` (past runs) and `GET /runs/<log name>` (one archived log with its record). */
import type { FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream';
import { Router } from 'express';
import { openNoFollow } from '../../runs/statusFolder.js';
import type { RunRecord } from '../../runs/types.js';
import type { WebContext } from '../context.js';
import { problems } from '../problems.js';
import { recentRuns } from '../recent.js';

/** A page of this many past runs is plenty; older logs stay in the status folder. */
const LIST_LIMIT = 500;
/** Logs larger than this are shown from their end (a very long run), with a link to the whole file. */
const SHOW_BYTES = 2 * 1024 * 1024;

export function runsRoutes(ctx: WebContext): Router {
  const router = Router();

  router.get('/runs', async (_req, res) => {
    const recent = await recentRuns(ctx.status, LIST_LIMIT);
    res.render('runs', { user: res.locals.user, recent });
  });

  router.get('/runs/:log', async (req, res) => {
    const name = String(req.params.log);
    const path = ctx.status.archivedLogPath(name);
    // Opened without following a symbolic link: a link in the status folder is no log of ours.
    const handle = path ? await openNoFollow(path).catch(() => undefined) : undefined;
    const st = await handle?.stat().catch(() => undefined);
    if (!handle || !st?.isFile()) {
      await handle?.close();
      throw problems.notFound(`There is no archived log named "${name.slice(0, 120)}".`);
    }
    if (req.query.raw === '1') {
      res.type('text/plain; charset=utf-8');
      res.setHeader('Content-Disposition', `inline; filename="${name}"`);
      // pipeline closes the file when the client goes away (pipe would leave it open).
      return void pipeline(handle.createReadStream(), res, (err) => {
        if (err && !res.destroyed) res.destroy(err);
      });
    }
    const start = Math.max(0, st.size - SHOW_BYTES);
    const text = await readRange(handle, start);
    const run = (await ctx.status.archived(name.replace(/-\d{14}\.log$/, ''))).find((a) => a.log === name);
    const record: RunRecord | undefined = run?.record;
    res.render('log', { user: res.locals.user, name, text, truncated: start > 0, record, collectionId: run?.collectionId ?? '' });
  });

  return router;
}

/** The file from `start` to its end; closes the handle. */
async function readRange(handle: FileHandle, start: number): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of handle.createReadStream({ start })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
