/**
 * An ArchivesSpace stand-in: the subset of the backend REST API that Distillery calls, with the
 * real paths, parameter rules, status codes and bodies (see docs/archivesspace.md for the list).
 * Tests and the demo start it on loopback; it is never a replacement for a real ArchivesSpace.
 */
import { readOnlyPages } from './pages.js';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import express, { type Request, type Response } from 'express';
import { ApiError, apiErrors } from './apiError.js';
import { FaultInjector } from './faults.js';
import { parseParams, type ParamSpec, type ParamValues } from './params.js';
import { identifierOf, ref, StandInState, TYPE_PATH, type RecordType, type Session, type StoredRecord } from './state.js';
import type { Seed, StandInEnums } from './types.js';

type Json = Record<string, unknown>;

export interface StandInOptions {
  seed: Seed;
  port?: number;
  host?: string;
  enums?: Partial<StandInEnums>;
  /** Keep records in this JSON file across restarts (the demo); loaded instead of the seed when present. */
  stateFile?: string;
  /** Records per tree waypoint: 200 as in ArchivesSpace (30 when it runs with ASPACE_INTEGRATION). */
  waypointSize?: number;
  /** Idle time after which an expiring session answers SESSION_EXPIRED (ArchivesSpace default 3600). */
  sessionExpireAfterSeconds?: number;
}

export interface StandInHandle {
  url: string;
  close(): Promise<void>;
  state: StandInState;
  faults: FaultInjector;
}

interface Ctx {
  req: Request;
  params: ParamValues;
  repoId: number;
  id: number;
  body: Json;
  session?: Session;
}

export async function startArchivesSpaceStandIn(opts: StandInOptions): Promise<StandInHandle> {
  const state = new StandInState(opts.enums);
  if (opts.sessionExpireAfterSeconds !== undefined) state.sessionExpireAfterSeconds = opts.sessionExpireAfterSeconds;
  if (opts.stateFile && existsSync(opts.stateFile)) state.loadSnapshot(JSON.parse(readFileSync(opts.stateFile, 'utf8')));
  else state.loadSeed(opts.seed);
  const faults = new FaultInjector(state);
  const app = buildApp(state, faults, opts);
  const server = await new Promise<import('node:http').Server>((resolve, reject) => {
    const s = app.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', (err?: Error) => (err ? reject(err) : resolve(s)));
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    state,
    faults,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function buildApp(state: StandInState, faults: FaultInjector, opts: StandInOptions): express.Express {
  const waypointSize = opts.waypointSize ?? 200;
  const app = express();
  app.disable('x-powered-by');
  // Body parameters are read raw and parsed as JSON whatever the Content-Type, as rest.rb does.
  app.use(express.text({ type: () => true, limit: '50mb' }));

  app.use((req, res, next) => {
    res.on('finish', () => {
      state.requestLog.push({ method: req.method, path: req.path, status: res.statusCode });
      // The demo runs for days: keep the recent past only.
      if (state.requestLog.length > 20_000) state.requestLog.splice(0, 10_000);
    });
    next();
  });

  app.use(async (req, res, next) => {
    try {
      for (const rule of faults.take(req.method, req.path)) {
        if (rule.kind === 'delay') await new Promise((r) => setTimeout(r, rule.delayMs));
        else if (rule.kind === 'status') return send(res, rule.status ?? 500, rule.body);
        else if (rule.kind === 'staleLock') {
          const rec = state.get(req.path);
          if (rec) rec.lockVersion += 1;
        } else if (rule.kind === 'loseAnswer') res.locals.loseAnswer = true;
      }
      next();
    } catch (err) {
      next(err);
    }
  });

  // The staff and public addresses Distillery links to (not the API): plain read-only pages.
  readOnlyPages(app, state);

  // Sessions are checked before any routing (RequestWrappingMiddleware).
  app.use((req, res, next) => {
    const token = req.get('X-ArchivesSpace-Session');
    if (!token) return next();
    const session = state.sessions.get(token);
    if (!session) return sendError(res, apiErrors.sessionGone(token));
    if (session.forcedExpiry) {
      state.sessions.delete(token);
      return sendError(res, session.forcedExpiry === 'SESSION_GONE' ? apiErrors.sessionGone(token) : apiErrors.sessionExpired(token));
    }
    if (session.expiring && Date.now() - session.lastUsed > state.sessionExpireAfterSeconds * 1000) {
      state.sessions.delete(token);
      return sendError(res, apiErrors.sessionExpired(token));
    }
    session.lastUsed = Date.now();
    res.locals.session = session;
    next();
  });

  const persist = () => {
    if (!opts.stateFile) return;
    const tmp = `${opts.stateFile}.tmp`;
    writeFileSync(tmp, JSON.stringify(state.toSnapshot()));
    renameSync(tmp, opts.stateFile);
  };

  /** One endpoint: coerce params (400), then permission (403), then the handler, as rest.rb orders them. */
  const endpoint = (
    method: 'get' | 'post' | 'delete',
    path: string,
    spec: { params?: ParamSpec[]; body?: boolean; anonymous?: boolean },
    handler: (ctx: Ctx) => unknown,
  ) => {
    app[method](path, (req: Request, res: Response) => {
      try {
        const source = new URLSearchParams(req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '');
        const raw = typeof req.body === 'string' ? req.body : '';
        if (!spec.body && raw && !raw.trimStart().startsWith('{')) for (const [k, v] of new URLSearchParams(raw)) source.append(k, v);
        const pathErrors: Record<string, string[]> = {};
        let repoId = 0;
        let id = 0;
        if (req.params.repo_id !== undefined) {
          const r = String(req.params.repo_id);
          if (!/^\d+$/.test(r)) pathErrors.repo_id = [`Wanted type Integer but got '${r}'`];
          else if (!state.repositories.has(Number(r))) pathErrors.repo_id = ['Failed validation -- The Repository must exist'];
          repoId = Number(r);
        }
        if (req.params.id !== undefined) {
          const i = String(req.params.id);
          if (!/^\d+$/.test(i)) pathErrors.id = [`Wanted type Integer but got '${i}'`];
          id = Number(i);
        }
        if (Object.keys(pathErrors).length > 0) throw apiErrors.params(pathErrors);
        const params = parseParams(spec.params ?? [], source);
        let body: Json = {};
        if (spec.body) {
          if (!raw.trim()) throw apiErrors.params({ '': ['Parameter required but no value provided'] });
          try {
            body = JSON.parse(raw) as Json;
          } catch (e) {
            throw apiErrors.parse((e as Error).message);
          }
        }
        const session = res.locals.session as Session | undefined;
        if (!spec.anonymous && !session) throw apiErrors.accessDenied();
        const result = handler({ req, params, repoId, id, body, session });
        if (method !== 'get') persist();
        send(res, 200, result);
      } catch (err) {
        sendError(res, err);
      }
    });
  };

  const resolveList = (p: ParamValues) => (p.resolve as string[] | undefined) ?? [];
  const resolveParam: ParamSpec = { name: 'resolve', type: 'string[]' };

  // ---- authentication ------------------------------------------------------------------------
  endpoint(
    'post',
    '/users/:username/login',
    { anonymous: true, params: [{ name: 'password', type: 'string', required: true }, { name: 'expiring', type: 'bool', default: true }] },
    ({ req, params }) => {
      const username = String(req.params.username).trim().toLowerCase();
      if (!/^[a-zA-Z0-9\-_. @]+$/.test(username)) throw new ApiError(400, { error: 'Invalid username' });
      if (state.users.get(username) !== params.password) throw apiErrors.loginFailed();
      const token = randomBytes(32).toString('hex');
      const expiring = params.expiring !== false;
      state.sessions.set(token, { username, expiring, lastUsed: Date.now() });
      const out: Json = { session: token, user: { username, name: username, is_admin: username === 'admin', permissions: {} } };
      if (!expiring) out.expire_after_seconds = 604800;
      return out;
    },
  );
  endpoint('post', '/logout', { anonymous: true }, ({ req }) => {
    const token = req.get('X-ArchivesSpace-Session');
    if (token && state.sessions.delete(token)) return { status: 'session_logged_out' };
    return { status: 'no_active_session' };
  });

  endpoint('get', '/repositories/:repo_id', {}, ({ repoId }) => state.viewRepository(state.repositories.get(repoId)!));

  // ---- find_by_id ----------------------------------------------------------------------------
  const findById = (listKey: string, type: RecordType, fields: { param: string; field: string; json?: boolean }[]) => {
    endpoint(
      'get',
      `/repositories/:repo_id/find_by_id/${listKey}`,
      { params: [...fields.map((f) => ({ name: f.param, type: 'string[]' as const })), { name: 'ark', type: 'string[]' }, resolveParam] },
      ({ repoId, params }) => {
        const hits = new Map<string, StoredRecord>();
        for (const f of fields) {
          for (const value of (params[f.param] as string[] | undefined) ?? []) {
            if (f.json) {
              let parsed: unknown;
              try {
                parsed = JSON.parse(value);
              } catch (e) {
                throw apiErrors.parse((e as Error).message);
              }
              if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > 4) continue;
              const padded = [...parsed, null, null, null].slice(0, 4);
              const wanted = JSON.stringify(padded.map((p) => (p === null || p === undefined ? null : String(p))));
              const key = String(wanted).toLowerCase();
              for (const r of state.list(type, repoId)) if (identifierOf(r.data).toLowerCase() === key) hits.set(r.uri, r);
              continue;
            }
            for (const r of state.findByIgnoringCase(type, repoId, f.field, value)) hits.set(r.uri, r);
          }
        }
        const resolve = resolveList(params).includes(listKey);
        return { [listKey]: [...hits.values()].sort((a, b) => a.id - b.id).map((r) => (resolve ? { ref: r.uri, _resolved: state.view(r) } : { ref: r.uri })) };
      },
    );
  };
  findById('resources', 'resource', [{ param: 'identifier', field: 'identifier', json: true }]);
  findById('archival_objects', 'archival_object', [{ param: 'ref_id', field: 'ref_id' }, { param: 'component_id', field: 'component_id' }]);
  findById('digital_objects', 'digital_object', [{ param: 'digital_object_id', field: 'digital_object_id' }]);
  findById('digital_object_components', 'digital_object_component', [{ param: 'component_id', field: 'component_id' }]);
  findById('top_containers', 'top_container', [{ param: 'indicator', field: 'indicator' }, { param: 'barcode', field: 'barcode' }]);

  // ---- trees ---------------------------------------------------------------------------------
  const waypointEntry = (rec: StoredRecord, position: number, parentUri: string): Json => {
    const kids = state.childrenOf(rec.uri);
    const parent = state.get(parentUri);
    const entry: Json = {
      title: rec.data.title ?? null,
      uri: rec.uri,
      position,
      parent_id: parent && parent.type === rec.type ? parent.id : null,
      child_count: kids.length,
      waypoints: Math.ceil(kids.length / waypointSize),
      waypoint_size: waypointSize,
      suppressed: 0,
      jsonmodel_type: rec.type,
      has_digital_instance: ((rec.data.instances as Json[] | undefined) ?? []).some((i) => i.instance_type === 'digital_object'),
      slugged_url: '',
      parsed_title: rec.data.title ?? null,
    };
    if (rec.type === 'archival_object') {
      if (rec.data.component_id !== undefined) entry.identifier = rec.data.component_id;
      entry.level = rec.data.level;
    } else {
      if (rec.data.label !== undefined) entry.label = rec.data.label;
      const fvs = (rec.data.file_versions as Json[] | undefined) ?? [];
      if (fvs.length > 0) entry.file_uri_summary = fvs.map((f) => f.file_uri).join(', ');
    }
    if (Array.isArray(rec.data.dates) && rec.data.dates.length > 0) {
      entry.dates = (rec.data.dates as Json[]).map((d) => ({ type: d.date_type, label: d.label, expression: d.expression, begin: d.begin, end: d.end }));
    }
    return entry;
  };
  const page = (parentUri: string, offset: number, publishedOnly: boolean): Json[] =>
    state
      .childrenOf(parentUri)
      .filter((r) => !publishedOnly || r.data.publish === true)
      .slice(offset * waypointSize, offset * waypointSize + waypointSize)
      .map((r, i) => waypointEntry(r, offset * waypointSize + i, parentUri));

  for (const type of ['resource', 'digital_object'] as const) {
    const base = `/repositories/:repo_id/${TYPE_PATH[type]}/:id/tree`;
    endpoint('get', `${base}/root`, { params: [{ name: 'published_only', type: 'bool', default: false }] }, ({ repoId, id, params }) => {
      const rec = state.getOrDie(type, repoId, id);
      const kids = state.childrenOf(rec.uri).filter((r) => params.published_only !== true || r.data.publish === true);
      const out: Json = {
        child_count: kids.length,
        waypoints: Math.ceil(kids.length / waypointSize),
        waypoint_size: waypointSize,
        title: rec.data.title,
        uri: rec.uri,
        slugged_url: '',
        jsonmodel_type: type,
        parsed_title: rec.data.title,
        suppressed: 0,
        has_digital_instance: false,
        precomputed_waypoints: kids.length > 0 ? { '': { '0': page(rec.uri, 0, params.published_only === true) } } : {},
      };
      if (type === 'resource') {
        out.level = rec.data.level;
        out.identifier = identifierOf(rec.data, '-');
      } else {
        out.digital_object_type = rec.data.digital_object_type;
        out.file_uri_summary = ((rec.data.file_versions as Json[] | undefined) ?? []).map((f) => f.file_uri).join(', ');
      }
      return out;
    });
    endpoint(
      'get',
      `${base}/waypoint`,
      { params: [{ name: 'offset', type: 'int', required: true }, { name: 'parent_node', type: 'string' }, { name: 'published_only', type: 'bool', default: false }] },
      ({ repoId, id, params }) => {
        const rec = state.getOrDie(type, repoId, id);
        const parentUri = (params.parent_node as string | undefined) ?? rec.uri;
        if (parentUri !== rec.uri && !state.get(parentUri)) throw apiErrors.notFound(type === 'resource' ? 'ArchivalObject' : 'DigitalObjectComponent');
        return page(parentUri, params.offset as number, params.published_only === true);
      },
    );
  }

  endpoint('get', '/repositories/:repo_id/resources/:id/ordered_records', {}, ({ repoId, id }) => {
    const rec = state.getOrDie('resource', repoId, id);
    if (rec.data.publish !== true) return { uris: [] };
    const uris: Json[] = [{ ref: rec.uri, display_string: rec.data.title, depth: 0, level: rec.data.level }];
    const walk = (parent: string, depth: number) => {
      for (const kid of state.childrenOf(parent)) {
        if (kid.data.publish !== true) continue; // unpublished records and their descendants are left out
        uris.push({ ref: kid.uri, display_string: state.displayString(kid), depth, level: kid.data.level === 'otherlevel' ? kid.data.other_level : kid.data.level });
        walk(kid.uri, depth + 1);
      }
    };
    walk(rec.uri, 1);
    return { uris };
  });

  endpoint('get', '/repositories/:repo_id/top_containers/search', { params: [{ name: 'q', type: 'string' }] }, ({ repoId, params }) => {
    const m = /indicator_u_icusort:"?([^"]*)"?/.exec(String(params.q ?? ''));
    const hits = state.list('top_container', repoId).filter((r) => !m || r.data.indicator === m[1]);
    return { response: { numFound: hits.length, start: 0, docs: hits.map((r) => ({ id: r.uri, uri: r.uri, indicator_u_icusort: r.data.indicator, type_enum_s: [r.data.type], json: JSON.stringify(state.view(r)) })) } };
  });

  // ---- records: list, create, read, update, delete ---------------------------------------------
  for (const type of Object.keys(TYPE_PATH) as RecordType[]) {
    const base = `/repositories/:repo_id/${TYPE_PATH[type]}`;
    endpoint(
      'get',
      base,
      { params: [{ name: 'page', type: 'int' }, { name: 'page_size', type: 'int', default: 10 }, { name: 'all_ids', type: 'bool' }, { name: 'id_set', type: 'int[]' }, resolveParam] },
      ({ repoId, params }) => {
        const all = state.list(type, repoId).sort((a, b) => a.id - b.id);
        if (params.all_ids === true) return all.map((r) => r.id);
        if (params.id_set) return all.filter((r) => (params.id_set as number[]).includes(r.id)).map((r) => state.resolve(state.view(r), resolveList(params)));
        if (params.page === undefined) {
          const msg = ['Parameter required but no value provided'];
          throw apiErrors.params({ page: msg, id_set: msg, all_ids: msg });
        }
        const size = Math.min(Math.max(1, params.page_size as number), 250);
        const p = params.page as number;
        return {
          first_page: 1,
          last_page: Math.max(1, Math.ceil(all.length / size)),
          this_page: p,
          total: all.length,
          results: all.slice((p - 1) * size, p * size).map((r) => state.resolve(state.view(r), resolveList(params))),
        };
      },
    );
    endpoint('post', base, { body: true }, ({ repoId, body }) => {
      const rec = state.create(type, repoId, body);
      return { status: 'Created', id: rec.id, lock_version: rec.lockVersion, stale: null, uri: rec.uri, warnings: [] };
    });
    endpoint('get', `${base}/:id`, { params: [resolveParam] }, ({ repoId, id, params }) =>
      state.resolve(state.view(state.getOrDie(type, repoId, id)), resolveList(params)),
    );
    endpoint('post', `${base}/:id`, { body: true }, ({ repoId, id, body }) => {
      const rec = state.update(state.getOrDie(type, repoId, id), body);
      return { status: 'Updated', id: rec.id, lock_version: rec.lockVersion, stale: null, uri: rec.uri, warnings: [] };
    });
    endpoint('delete', `${base}/:id`, {}, ({ repoId, id }) => {
      state.delete(state.getOrDie(type, repoId, id));
      return { status: 'Deleted', id };
    });
  }

  // Unknown routes: Sinatra's HTML 404 (handle_exception! bails out on not_found?).
  app.use((_req: Request, res: Response) => {
    res.status(404).type('text/html').send('<h1>Not Found</h1>');
  });
  app.use((err: unknown, _req: Request, res: Response, _next: express.NextFunction) => sendError(res, err));
  return app;
}

function send(res: Response, status: number, body: unknown): void {
  if (res.locals.loseAnswer) {
    // The request was handled; only its answer is replaced (see FaultInjector.loseAnswerNext).
    res.locals.loseAnswer = false;
    return send(res, 500, { error: 'Stand-in fault: the answer was lost after the request was handled' });
  }
  res.status(status).type('application/json').send(`${JSON.stringify(body)}\n`);
}

function sendError(res: Response, err: unknown): void {
  if (err instanceof ApiError) return send(res, err.status, err.body);
  const e = err as Error;
  send(res, 500, { error: `${e?.message ?? String(err)}: ${e?.stack?.split('\n').slice(1, 3).join(' ') ?? ''}` });
}

export { ref };
