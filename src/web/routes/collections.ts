/**
 * `GET /collections/<collection>`: what of a collection is preserved where (see
 * src/collection/overview.ts), and `?format=json` for the same as data.
 */
import { Router } from 'express';
import { collectionOverview, unplacedProblems } from '../../collection/overview.js';
import { collectionIdProblem } from '../../runs/requests.js';
import type { WebContext } from '../context.js';
import { problems } from '../problems.js';

/** A link to the viewer for an access copy that is a IIIF Manifest, when a viewer is set (IIIF_VIEWER_URL). */
export function viewerLink(viewerUrl: string | undefined, accessUrl: string): string | undefined {
  return viewerUrl && accessUrl.endsWith('/manifest.json') ? `${viewerUrl}${encodeURIComponent(accessUrl)}` : undefined;
}

export function collectionRoutes(ctx: WebContext, viewerUrl?: string): Router {
  const router = Router();
  router.get('/collections/:collection', async (req, res) => {
    const id = String(req.params.collection ?? '');
    if (collectionIdProblem(id)) throw problems.notFound(`"${id.slice(0, 100)}" is not a collection ID.`);
    const overview = await collectionOverview(id, { status: ctx.status, ...ctx.overview });
    if (overview.runs === 0) throw problems.notFound(`No run of ${id} has ended yet, so nothing of it is recorded as preserved.`);
    if (req.query.format === 'json') return void res.json(overview);
    res.render('collection', { user: res.locals.user, overview, unplacedProblems, viewer: (url: string) => viewerLink(viewerUrl, url) });
  });
  return router;
}
