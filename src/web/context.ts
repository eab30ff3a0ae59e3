/** What every route of the web form is given: the status folder, the run followers, the logger, … */
import type { Request } from 'express';
import type { Logger } from 'pino';
import type { OverviewSources } from '../collection/overview.js';
import type { StatusFolder } from '../runs/statusFolder.js';
import type { ModuleSettings } from '../settings/settings.js';
import type { RunFollowers } from './follow.js';
import type { RequestLimit } from './requestLimit.js';

export interface WebContext {
  status: StatusFolder;
  followers: RunFollowers;
  modules: ModuleSettings;
  log: Logger;
  csrfToken(req: Request): string;
  overview?: Omit<OverviewSources, 'status'>;
  /** Runs asked for per person (WEB_RUN_REQUESTS_PER_HOUR). */
  requestLimit: RequestLimit;
}
