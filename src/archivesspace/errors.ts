/**
 * One error class for everything ArchivesSpace-related: what was asked, what the server said
 * (status and its field messages), and whether a retry can help.
 */
export class ArchivesSpaceError extends Error {
  override readonly name = 'ArchivesSpaceError';
  /** HTTP status, or undefined when the server was not reached or the error is about the records. */
  readonly status?: number;
  /** The server's field messages, e.g. { digital_object_id: ['Must be unique'] }. */
  readonly fieldErrors: Record<string, string[]>;
  /** True for network errors, time-outs and 5xx: the same request may succeed later. */
  readonly retryable: boolean;
  /** 412 SESSION_GONE / SESSION_EXPIRED, or the error code the server sent. */
  readonly code?: string;

  constructor(message: string, opts: { status?: number; fieldErrors?: Record<string, string[]>; retryable?: boolean; code?: string } = {}) {
    super(message);
    this.status = opts.status;
    this.fieldErrors = opts.fieldErrors ?? {};
    this.retryable = opts.retryable ?? false;
    this.code = opts.code;
  }

  /** The optimistic-lock conflict: re-read, re-apply and post again. */
  get isStaleLock(): boolean {
    return this.status === 409 && /modified since you fetched it/.test(this.message);
  }

  hasFieldError(field: string, pattern: RegExp): boolean {
    return (this.fieldErrors[field] ?? []).some((m) => pattern.test(m));
  }
}

/** Builds the error for a non-2xx answer: the server's words, and what to do. */
export function errorFromResponse(method: string, path: string, status: number, data: unknown): ArchivesSpaceError {
  const body = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : undefined;
  const raw = body?.error;
  let fieldErrors: Record<string, string[]> = {};
  let detail: string;
  if (raw && typeof raw === 'object') {
    fieldErrors = Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : [String(v)]]));
    detail = Object.entries(fieldErrors).map(([k, v]) => `${k}: ${v.join('; ')}`).join(', ');
  } else if (typeof raw === 'string') {
    detail = raw.length > 300 ? `${raw.slice(0, 300)}…` : raw;
  } else {
    detail = typeof data === 'string' && data.trim() ? data.trim().slice(0, 200) : 'no error message';
  }
  const what = `ArchivesSpace answered ${status} to ${method} ${path}: ${detail}.`;
  const code = typeof body?.code === 'string' ? body.code : undefined;
  if (status >= 500) {
    return new ArchivesSpaceError(`${what} A retry may help; if it persists, check the ArchivesSpace server's log.`, { status, fieldErrors, retryable: true, code });
  }
  if (status === 409) {
    return new ArchivesSpaceError(`${what} Someone else changed the record at the same time; running again will re-read it.`, { status, fieldErrors, code });
  }
  if (status === 404) {
    return new ArchivesSpaceError(`${what} The record does not exist (deleted, or in another repository: check ASPACE_REPOSITORY_ID).`, { status, fieldErrors, code });
  }
  if (status === 403) {
    return new ArchivesSpaceError(`${what} The ArchivesSpace user in ASPACE_USERNAME lacks the permission; ask the ArchivesSpace administrator.`, { status, fieldErrors, code });
  }
  return new ArchivesSpaceError(`${what} Retrying will not help: correct the record in ArchivesSpace or report this to the Distillery maintainers.`, { status, fieldErrors, code });
}
