/**
 * Who is asking. Behind Apache + Shibboleth the identity (REMOTE_USER, an e-mail address) arrives
 * in a header set by the proxy; anyone could send that header, so it counts only on connections
 * from the proxy's own addresses. In development mode everyone is the fixed debug user.
 */
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { WebSettings } from '../settings/settings.js';
import { problems } from './problems.js';
import { trustedAddresses } from './trustedProxies.js';
import { identityKey, UsersFile, UsersFileProblem, type WebUser } from './users.js';

export { trustedAddresses };

/** The original's development user. */
export const DEBUG_USER: WebUser = { email: 'hello@example.com', name: 'World' };

/** Sets `res.locals.user` (a WebUser) or fails with 403 (or 503 when users.csv is broken). */
export function identify(web: WebSettings, log: Logger): RequestHandler {
  if (web.identity === 'debug') {
    return (_req, res, next) => {
      res.locals.user = DEBUG_USER;
      next();
    };
  }
  const users = new UsersFile(web.usersFile);
  const trusted = trustedAddresses(web.trustedProxies);
  return async (req, res, next) => {
    const raw = req.headers[web.identityHeader];
    const header = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    if (!header) return next(problems.noIdentity());
    if (!trusted(req.socket.remoteAddress)) {
      log.warn({ from: req.socket.remoteAddress, header: web.identityHeader }, 'identity header ignored: the request did not come from a trusted proxy (WEB_TRUSTED_PROXIES)');
      return next(problems.noIdentity());
    }
    const value = utf8(header);
    if (value === undefined) {
      log.warn({ header: web.identityHeader }, 'identity header refused: it is not UTF-8 text');
      return next(problems.noIdentity());
    }
    try {
      const user = await users.find(value);
      if (!user) {
        log.info({ email: value }, 'refused: not in the users file');
        return next(problems.unknownUser(value));
      }
      res.locals.user = user;
      next();
    } catch (err) {
      if (err instanceof UsersFileProblem) {
        // The path and the bad line are for the librarian, in the log; the page says only that sign-in is unavailable.
        log.error({ err, usersFile: users.path }, err.message);
        return next(problems.usersFile());
      }
      next(err);
    }
  };
}

/**
 * The header's text: Node hands header bytes over as Latin-1 characters; the proxy sends
 * REMOTE_USER as UTF-8 bytes. Undefined when the bytes are not UTF-8.
 */
function utf8(latin1: string): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(latin1, 'latin1'));
  } catch {
    return undefined;
  }
}

/**
 * Ties the session to the person it was made for. The session (which holds the form's CSRF token)
 * records the signed-in identity; a request whose identity differs from its session's (another
 * person's cookie, or a cookie planted before sign-in) gets a new session id and nothing of the old
 * one, so a token made for one person never works for another. The identity is recorded when
 * the form's token is made (app.ts), the only time a session is kept.
 */
export function bindSession(): RequestHandler {
  return (req, res, next) => {
    const user = res.locals.user as WebUser | undefined;
    if (!user || !req.session) return next();
    const key = identityKey(user.email);
    const bound = req.session.user;
    const holdsSomething = bound !== undefined || req.session.csrfToken !== undefined;
    if (bound === key || !holdsSomething) return next();
    req.session.regenerate(next);
  };
}

declare module 'express-session' {
  interface SessionData {
    /** The identity (normalised e-mail address) the session belongs to; set with its CSRF token. */
    user?: string;
  }
}
