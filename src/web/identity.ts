/**
 * Who is asking. Behind Apache + Shibboleth the identity (REMOTE_USER, an e-mail address) arrives
 * in a header set by the proxy; anyone could send that header, so it counts only on connections
 * from the proxy's own addresses. In development mode everyone is the fixed debug user.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { WebSettings } from '../settings/settings.js';
import { problems } from './problems.js';
import { UsersFile, UsersFileProblem, type WebUser } from './users.js';

/** The original's development user. */
export const DEBUG_USER: WebUser = { email: 'hello@example.com', name: 'World' };

/** Addresses (or CIDR ranges such as 10.0.0.0/8) from which the identity header is believed. */
export function trustedAddresses(entries: string[]): (address: string | undefined) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [addr, bits] = entry.split('/');
    const ip = unmapped(addr);
    const type = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
    if (!type) throw new Error(`WEB_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range (e.g. 127.0.0.1 or 10.1.0.0/16).`);
    if (bits === undefined) list.addAddress(ip, type);
    else list.addSubnet(ip, Number(bits), type);
  }
  return (address) => {
    if (!address) return false;
    const ip = unmapped(address);
    return list.check(ip, isIPv4(ip) ? 'ipv4' : 'ipv6');
  };
}

/** `::ffff:127.0.0.1` (an IPv4 client on a dual-stack socket) is 127.0.0.1. */
function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1] : address;
}

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
    const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    if (value && !trusted(req.socket.remoteAddress)) {
      log.warn({ from: req.socket.remoteAddress, header: web.identityHeader }, 'identity header ignored: the request did not come from a trusted proxy (WEB_TRUSTED_PROXIES)');
      return next(problems.noIdentity());
    }
    if (!value) return next(problems.noIdentity());
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
        log.error({ err }, err.message);
        return next(problems.usersFile(err.message));
      }
      next(err);
    }
  };
}
