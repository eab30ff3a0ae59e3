/**
 * IIIF access copies in the web app: the published folder itself when IIIF_PUBLISH_TO is a local
 * folder under IIIF_BASE_URL's path on this server (the demo), served to anyone with CORS so any
 * viewer can show it; and a viewer page (Mirador) for any Manifest published under IIIF_BASE_URL.
 */
import { join } from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import type { IiifSettings } from '../../destinations/iiif/settings.js';
import { problems, WebProblem } from '../problems.js';
import { ROOT_DIR } from '../paths.js';

const MIRADOR_DIR = join(ROOT_DIR, 'node_modules', 'mirador', 'dist');

/** The path under which this server serves a local publishing folder, or undefined. */
export function servedIiifPath(iiif: IiifSettings | undefined): string | undefined {
  if (!iiif || iiif.publishTo.kind !== 'folder') return undefined;
  return new URL(iiif.baseUrl).pathname.replace(/\/+$/, '') || undefined;
}

/** The public, read-only IIIF files (mounted before sign-in: they are what the public sees). */
export function iiifFiles(iiif: IiifSettings): RequestHandler | undefined {
  const path = servedIiifPath(iiif);
  if (!path || iiif.publishTo.kind !== 'folder') return undefined;
  const files = express.static(iiif.publishTo.path, { index: false, fallthrough: false, dotfiles: 'deny', maxAge: '5m' });
  const router = Router();
  router.use(path, (req, res, next) => {
    if (/(^|\/)(distillery|collection-index)\.json$|\.partial-\d+/.test(req.path)) return next(problems.notFound('There is no such IIIF file.'));
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (req.path.endsWith('.json')) res.type('application/json');
    files(req, res, next);
  });
  return router;
}

/** `GET /viewer?manifest=<url>`: Mirador on a Manifest published under IIIF_BASE_URL. */
export function viewerRoutes(iiif: IiifSettings): Router {
  const router = Router();
  const origin = new URL(iiif.baseUrl).origin;
  router.use('/vendor/mirador', express.static(MIRADOR_DIR, { index: false, fallthrough: false, maxAge: '1d' }));
  router.get('/viewer', (req, res) => {
    const manifest = typeof req.query.manifest === 'string' ? req.query.manifest : '';
    if (!manifest.startsWith(`${iiif.baseUrl}/`) || !manifest.endsWith('/manifest.json') || manifest.includes('..')) {
      throw new WebProblem(400, 'Cannot show this Manifest', `The viewer shows Manifests published under ${iiif.baseUrl}/ only.`);
    }
    // Mirador styles itself at run time (inline styles) and loads images from the IIIF host.
    res.setHeader('Content-Security-Policy', [
      "default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", `img-src 'self' data: blob: ${origin}`,
      `connect-src 'self' ${origin}`, "font-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'",
    ].join('; '));
    res.render('viewer', { user: res.locals.user, manifest });
  });
  return router;
}
