/** `GET /` (the form and recent runs) and `POST /distilling` (ask for a run). */
import { Router, type Request, type Response } from 'express';
import { collectionIdProblem, parseProcesses, RequestProblem } from '../../runs/requests.js';
import { RunConflict } from '../../runs/statusFolder.js';
import type { ProcessName } from '../../runs/types.js';
import type { WebContext } from '../context.js';
import { processChoices, unavailableProblem } from '../processes.js';
import { problems, WebProblem } from '../problems.js';
import { recentRuns } from '../recent.js';
import { readAuditStatus } from '../../audit/records.js';
import { identityKey, type WebUser } from '../users.js';

export function formRoutes(ctx: WebContext): Router {
  const router = Router();

  router.get('/', async (req, res) => {
    await renderForm(ctx, req, res, 200, {});
  });

  router.post('/distilling', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const collectionId = typeof body.collection_id === 'string' ? body.collection_id.trim() : '';
    const chosen = Array.isArray(body.processes) ? body.processes.map(String) : typeof body.processes === 'string' ? [body.processes] : [];
    const regenerateFolders = typeof body.regenerate_folders === 'string' ? body.regenerate_folders.trim() : '';
    const regenerate = body.regenerate === 'yes' ? regenerateFolders || true : undefined;
    const again = (problem: WebProblem) => renderForm(ctx, req, res, problem.status, { problem, collectionId, chosen, regenerate: regenerate !== undefined, regenerateFolders });

    const idProblem = collectionIdProblem(body.collection_id);
    if (idProblem) return again(problems.badRequest(idProblem));
    let processes: ProcessName[];
    try {
      processes = parseProcesses(body.processes);
    } catch (err) {
      if (err instanceof RequestProblem) return again(problems.badRequest(err.message));
      throw err;
    }
    const off = unavailableProblem(processes, ctx.modules);
    if (off) return again(problems.badRequest(off));

    const user = res.locals.user as WebUser;
    const who = identityKey(user.email);
    const wait = ctx.requestLimit.take(who);
    if (wait > 0) {
      ctx.log.warn({ user: user.email, perHour: ctx.requestLimit.perHour }, 'run request refused: too many in the last hour');
      const minutes = Math.max(1, Math.ceil(wait / 60_000));
      return again(problems.tooMany(`You have asked for ${ctx.requestLimit.perHour} runs in the last hour, as many as Distillery takes from one person. You can ask again in ${minutes} minute${minutes === 1 ? '' : 's'}.`));
    }
    try {
      const request = await ctx.status.requestRun({ collectionId, processes, user: { email: user.email, name: user.name }, regenerate });
      ctx.log.info({ collection: collectionId, processes, regenerate: request.regenerate, user: user.email, run: request.runId }, 'run requested');
    } catch (err) {
      ctx.requestLimit.giveBack(who);
      if (err instanceof RunConflict) return again(problems.conflict(err.message));
      if (err instanceof RequestProblem) return again(problems.badRequest(err.message));
      throw err;
    }
    res.redirect(303, `/distill/${encodeURIComponent(collectionId)}`);
  });

  return router;
}

async function renderForm(
  ctx: WebContext,
  req: Request,
  res: Response,
  status: number,
  state: { problem?: WebProblem; collectionId?: string; chosen?: string[]; regenerate?: boolean; regenerateFolders?: string },
): Promise<void> {
  const recent = await recentRuns(ctx.status, 10);
  const audit = await readAuditStatus(ctx.status.dir);
  res.status(status).render('form', {
    user: res.locals.user,
    csrfToken: ctx.csrfToken(req),
    choices: processChoices(ctx.modules),
    problem: state.problem,
    collectionId: state.collectionId ?? '',
    chosen: state.chosen ?? [],
    regenerate: state.regenerate ?? false,
    regenerateFolders: state.regenerateFolders ?? '',
    recent,
    audit,
  });
}
