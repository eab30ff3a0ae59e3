/**
 * The web side of Distillery: the form an archivist fills in, the live status page of a run and
 * the list of past runs. It shares only the status folder with the workers.
 */
import express, { type ErrorRequestHandler, type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { csrfSync } from 'csrf-sync';
import { pino, type Logger } from 'pino';
import { StatusFolder } from '../runs/statusFolder.js';
import type { ModuleSettings, WebSettings } from '../settings/settings.js';
import { RunFollowers, type FollowOptions } from './follow.js';
import { helpers } from './format.js';
import { identify, trustedAddresses } from './identity.js';
import { PUBLIC_DIR, VIEWS_DIR } from './paths.js';
import { problems, WebProblem } from './problems.js';
import { formRoutes } from './routes/form.js';
import { runsRoutes } from './routes/runs.js';
import { statusRoutes } from './routes/status.js';
import { securityHeaders } from './security.js';
import { PrunedMemoryStore } from './sessionStore.js';
import { iiifFiles, viewerRoutes } from './routes/iiif.js';
import type { IiifSettings } from '../destinations/iiif/settings.js';

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
  /** ACCESS_PLATFORM=iiif: the viewer page, and the published folder when it is local. */
  iiif?: IiifSettings;
}

export interface WebApp extends express.Express {
  /** Stops the pollers that follow runs and the session pruner (the server calls this on close). */
  closeFollowers(): void;
}

export interface WebContext {
  status: StatusFolder;
  followers: RunFollowers;
  modules: ModuleSettings;
  log: Logger;
  csrfToken(req: Request): string;
}

export function createApp(opts: WebAppOptions): WebApp {
  const { web } = opts;
  if (web.identity === 'debug' && process.env.NODE_ENV === 'production') {
    // The settings refuse this too; a second lock because the debug user lets anyone in.
    throw new Error('WEB_IDENTITY=debug is refused when NODE_ENV=production: the debug user lets anyone in. Use WEB_IDENTITY=header behind Shibboleth.');
  }
  const log = opts.logger ?? pino({ name: 'distillery-web' });
  const status = new StatusFolder(opts.statusFiles);
  const followers = new RunFollowers(status, log, opts.follow);
  const trusted = trustedAddresses(web.trustedProxies);

  const app = express() as WebApp;
  const SESSION_MS = 12 * 60 * 60 * 1000;
  const store = new PrunedMemoryStore(SESSION_MS);
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
  app.locals.logoutUrl = web.logoutUrl;

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
  app.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }));
  app.use(csrf.csrfSynchronisedProtection);

  const ctx: WebContext = { status, followers, modules: opts.modules, log, csrfToken: (req) => csrf.generateToken(req) };
  app.use(formRoutes(ctx));
  app.use(statusRoutes(ctx));
  app.use(runsRoutes(ctx));
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
      log.error({ err, url: req.originalUrl }, 'request failed');
      problem = new WebProblem(500, 'Something went wrong', 'Distillery could not finish this request. Try again; if it keeps happening, tell Digital Library Development.', (err as Error)?.message);
    }
    if (res.headersSent) return void res.end();
    res.status(problem.status);
    if (req.path.endsWith('/events')) return void res.type('text/plain').send(`${problem.title}: ${problem.message}`);
    res.render('problem', { problem, user: res.locals.user });
  };
}
