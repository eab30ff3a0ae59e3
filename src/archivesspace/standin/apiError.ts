/**
 * The stand-in's error table (ArchivesSpace exceptions.rb `ResponseMappings`): every failure is
 * thrown as an ApiError with the real status and body and rendered in one place by the server.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === 'object' && body !== null && 'error' in body ? JSON.stringify((body as { error: unknown }).error) : String(body));
  }
}

export const apiErrors = {
  /** Bad or missing parameters (BadParamsException). */
  params: (errors: Record<string, string[]>) => new ApiError(400, { error: errors }),
  /** Model validation (Sequel::ValidationFailed): no `warning` key. */
  model: (errors: Record<string, string[]>) => new ApiError(400, { error: errors }),
  /** JSON-schema validation (JSONModel::ValidationException). */
  schema: (type: string, errors: Record<string, string[]>) =>
    new ApiError(400, { error: errors, warning: {}, invalid_object: `#<JSONModel(:${type}) {}>` }),
  reference: (uri: string) => new ApiError(400, { error: `Can't relate to non-existent record: ${uri}` }),
  parse: (detail: string) => new ApiError(400, { error: `Had some trouble parsing your request: ${detail}` }),
  accessDenied: () => new ApiError(403, { error: 'Access denied' }),
  loginFailed: () => new ApiError(403, { error: 'Login failed' }),
  notFound: (model: string) => new ApiError(404, { error: `${model} not found` }),
  staleLock: () => new ApiError(409, { error: 'The record you tried to update has been modified since you fetched it.' }),
  missingLock: () => new ApiError(409, { error: 'You must provide a lock_version in your request' }),
  sessionGone: (token: string) => new ApiError(412, { code: 'SESSION_GONE', error: `No session found for ${token}` }),
  sessionExpired: (token: string) => new ApiError(412, { code: 'SESSION_EXPIRED', error: `Session timed out for ${token}` }),
  internal: (message: string) => new ApiError(500, { error: message }),
};
