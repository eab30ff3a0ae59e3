/**
 * Every error the web pages show, in one table: status code, title and message. Routes throw
 * `WebProblem`s; one error handler in app.ts renders them.
 */
export const NO_ACCESS =
  'Please contact Archives & Special Collections or Digital Library Development if you should have access.';

export class WebProblem extends Error {
  override readonly name = 'WebProblem';
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
    /** A second line: what happened, for the person who fixes it. */
    readonly detail?: string,
  ) {
    super(message);
  }
}

export const problems = {
  noIdentity: () => new WebProblem(403, 'Access denied', NO_ACCESS, 'You are not signed in: no identity reached Distillery from the sign-in service.'),
  unknownUser: (email: string) => new WebProblem(403, 'Access denied', NO_ACCESS, `${email} is not in the list of Distillery users.`),
  badCsrf: () =>
    new WebProblem(403, 'Form expired', 'This form has expired or did not come from this Distillery page. Go back, reload the page and submit again.'),
  /** The users file cannot be used: what is wrong with it goes to the log only (it names the file and its lines). */
  usersFile: () =>
    new WebProblem(503, 'Sign-in unavailable', 'Distillery cannot check who may use it right now. Please tell Digital Library Development.'),
  /** Something failed inside: the page gets a reference to find the details in the log, and nothing else. */
  internal: (reference: string) =>
    new WebProblem(
      500,
      'Something went wrong',
      'Distillery could not finish this request. Try again; if it keeps happening, tell Digital Library Development and give them this reference.',
      `Reference: ${reference}`,
    ),
  tooMany: (message: string) => new WebProblem(429, 'Too many requests', message),
  badRequest: (message: string) => new WebProblem(400, 'Cannot start this run', message),
  conflict: (message: string) => new WebProblem(409, 'Run already requested', message),
  notFound: (what: string) => new WebProblem(404, 'Not found', what),
} as const;
