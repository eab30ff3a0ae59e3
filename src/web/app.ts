/**
 * The web side of Distillery: the form an archivist fills in, the live status page of a run and
 * the list of past runs. It shares only the status folder with the workers.
 */
import { randomBytes } from 'node:crypto';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { csrfSync } from 'csrf-sync';
import { pino, type Logger } from 'pino';
import { StatusFolder } from '../runs/statusFolder.js';
import { debugIdentityProblem, type ModuleSettings, type WebSettings } from '../settings/settings.js';
import { demoEnvironment } from '../settings/environment.js';
import { RunFollowers, type FollowOptions } from './follow.js';
import { helpers } from './format.js';
import { bindSession, identify, trustedAddresses } from './identity.js';
import { PUBLIC_DIR, VIEWS_DIR } from './paths.js';
import { problems, WebProblem } from './problems.js';
import { RequestLimit } from './requestLimit.js';
import { formRoutes } from './routes/form.js';
import { runsRoutes } from './routes/runs.js';
import { collectionRoutes } from './routes/collections.js';
import type { OverviewSources } from '../collection/overview.js';
import { statusRoutes } from './routes/status.js';
import { securityHeaders } from './security.js';
import { PrunedMemoryStore, type SessionLimits } from './sessionStore.js';
import { identityKey, type WebUser } from './users.js';
import { iiifFiles, viewerRoutes } from './routes/iiif.js';
import type { IiifSettings } from '../destinations/iiif/settings.js';
import { workerWarning } from './workers.js';

export interface WebAppOptions {
  web: WebSettings;
  /** The shared status folder (STATUS_FILES). */
  statusFiles: string;
  modules: ModuleSettings;
  /** The embedded demo: says so on every page. */
  demo?: boolean;
  logger?: Logger;
  /** How the status page follows runs (poll interval). */
  follow?: FollowOptions;
  /** Where the collection overview finds the OCFL storage root and the tape catalogue. */
  overview?: Omit<OverviewSources, 'status'>;
  /** How many sessions are kept (defaults in sessionStore.ts). */
  sessions?: Partial<SessionLimits>;
  /** ACCESS_PLATFORM=iiif: the viewer page, and the published folder when it is local. */
  iiif?: IiifSettings;
}

export interface WebApp extends express.Express {
  /** Stops the pollers that follow runs and the session pruner (the server calls this on close). */
  closeFollowers(): void;
}

import type { WebContext } from './context.js';

export function createApp(opts: WebAppOptions): WebApp {
  const { web } = opts;
  const log = opts.logger ?? pino({ name: 'distillery-web' });
  if (web.identity === 'debug') {
    // The settings refuse this too; a second lock because the debug user lets anyone in.
    // Checked in the environment the settings were read in: the demo's is development mode.
    const problem = debugIdentityProblem(web.host, opts.demo ? demoEnvironment() : undefined);
    if (problem) throw new Error(`WEB_IDENTITY ${problem}`);
    log.warn({ host: web.host }, 'development mode (WEB_IDENTITY=debug): everyone who reaches this server is signed in as hello@example.com');
  }
  const status = new StatusFolder(opts.statusFiles);
  const followers = new RunFollowers(status, log, opts.follow);
  const trusted = trustedAddresses(web.trustedProxies);

  const app = express() as WebApp;
  const SESSION_MS = 12 * 60 * 60 * 1000;
  const store = new PrunedMemoryStore(SESSION_MS, opts.sessions);
  app.closeFollowers = () => {
    followers.close();
    store.close();
  };
  app.disable('x-powered-by');
  // X-Forwarded-Proto is believed from the proxy only, so secure cookies work behind TLS termination.
  app.set('trust proxy', (addr: string) => trusted(addr));
  app.set('view engine', 'ejs');
  app.set('views', VIEWS_DIR);
  app.locals.h = helpers;
  app.locals.demo = Boolean(opts.demo);
  app.locals.debugIdentity = web.identity === 'debug';
  // Identity comes from the web server in front (e.g. Shibboleth), so logging out is its business:
  // Log out goes to WEB_LOGOUT_URL. With the debug identity there is no such server and nothing to
  // log out of, so the link leads to a page that says so (GET /logout), never to "Not found".
  app.locals.logoutUrl = web.identity === 'debug' ? '/logout' : web.logoutUrl;

  app.use(securityHeaders());
  app.use('/static', express.static(PUBLIC_DIR, { index: false, fallthrough: false, maxAge: '1h' }));
  const published = opts.iiif && iiifFiles(opts.iiif);
  if (published) app.use(published);
  app.use(
    session({
      name: 'distillery.sid',
      store,
      secret: web.sessionSecret,
      resave: false,
      saveUninitialized: false,
      cookie: { httpOnly: true, sameSite: 'lax', secure: web.secureCookies, maxAge: SESSION_MS },
    }),
  );
  const csrf = csrfSync({
    getTokenFromRequest: (req) => {
      const body = req.body as Record<string, unknown> | undefined;
      return typeof body?._csrf === 'string' ? body._csrf : (req.headers['x-csrf-token'] as string | undefined);
    },
  });
  app.use(identify(web, log));
  app.use(bindSession());
  app.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }));
  app.use(csrf.csrfSynchronisedProtection);

  // Pages say plainly when no worker is looking for runs (workers.ts).
  app.use((req, res, next) => {
    if (req.method !== 'GET' || req.path.endsWith('/events') || req.path.startsWith('/runs/')) return next();
    workerWarning(status).then((w) => {
      res.locals.workerWarning = w;
      next();
    }, next);
  });

  const csrfToken = (req: Request): string => {
    // The only time a session is kept: it records whose it is (see bindSession).
    const user = req.res?.locals.user as WebUser | undefined;
    if (user) req.session.user = identityKey(user.email);
    return csrf.generateToken(req);
  };
  const ctx: WebContext = { status, followers, modules: opts.modules, log, csrfToken, requestLimit: new RequestLimit(web.runRequestsPerHour ?? 20), overview: opts.overview };
  app.get('/logout', (_req, res) => {
    if (web.identity !== 'debug') return void res.redirect(303, web.logoutUrl);
    res.render('logout', { user: res.locals.user, demo: Boolean(opts.demo) });
  });
  app.use(formRoutes(ctx));
  app.use(statusRoutes(ctx));
  app.use(runsRoutes(ctx));
  app.use(collectionRoutes(ctx, opts.iiif?.viewerUrl));
  if (opts.iiif) app.use(viewerRoutes(opts.iiif));

  app.use((_req: Request, _res: Response, next: NextFunction) => next(problems.notFound('There is no such page in Distillery.')));
  app.use(errorHandler(log));
  return app;
}

function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let problem: WebProblem;
    const status = (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
    if (err instanceof WebProblem) problem = err;
    else if ((err as { code?: string }).code === 'EBADCSRFTOKEN') problem = problems.badCsrf();
    else if (status === 404) problem = problems.notFound('There is no such page in Distillery.');
    else if (status === 413) problem = problems.badRequest('The form sent too much data.');
    else if (status !== undefined && status >= 400 && status < 500) problem = problems.badRequest(`The request could not be read (${(err as Error).message}).`);
    else {
      // Details (messages, file and template paths) go to the log only, found by the reference.
      const reference = randomBytes(6).toString('hex');
      log.error({ err, url: req.originalUrl, reference }, `request failed (reference ${reference})`);
      problem = problems.internal(reference);
    }
    if (res.headersSent) return void res.end();
    res.status(problem.status);
    if (req.path.endsWith('/events')) return void res.type('text/plain').send(`${problem.title}: ${problem.message}`);
    res.render('problem', { problem, user: res.locals.user }, (renderErr, html) => {
      if (!renderErr) return void res.send(html);
      log.error({ err: renderErr }, 'the problem page could not be rendered');
      res.type('text/plain').send(`${problem.title}. ${problem.message}${problem.status === 500 && problem.detail ? ` ${problem.detail}` : ''}`);
    });
  };
}
