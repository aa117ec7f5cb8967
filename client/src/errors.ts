/**
 * The API's error answers as one typed error: DRF's `{"detail": …}` (with simplejwt's `code` for
 * token errors) and DRF's field errors `{"field": ["message", …]}`.
 *
 * @module
 */

/** The JSON body of an error answer, as DRF and simplejwt write it. */
export type DrfErrorBody = {
  /** One sentence for the whole request: `Not found.`, `Authentication credentials were not provided.` */
  readonly detail?: string;
  /** simplejwt's machine-readable reason, e.g. `token_not_valid`. */
  readonly code?: string;
} & Readonly<Record<string, unknown>>;

/**
 * A refused request: its status and DRF body, with the field errors and `Retry-After` read out.
 *
 * @example
 * try {
 *   await unwrap(client.api.POST('/api/users/', { body }));
 * } catch (error) {
 *   if (error instanceof DrfError && error.status === 400) showBesideFields(error.fieldErrors);
 * }
 */
export class DrfError extends Error {
  /** The HTTP status (400, 401, 403, 404, 405, 413, 415, 429, 503, …). */
  readonly status: number;
  /** The parsed body; `{}` when the answer was not JSON (a proxy's error page). */
  readonly body: DrfErrorBody;
  /** DRF's `detail`, when the body has one. */
  readonly detail: string | undefined;
  /** simplejwt's `code`, when the body has one. */
  readonly code: string | undefined;
  /**
   * Field name → its messages, for a 400 with field errors; `non_field_errors` holds the errors of
   * the whole form (a wrong current password, mismatched new passwords).
   */
  readonly fieldErrors: Readonly<Record<string, readonly string[]>>;
  /** Seconds to wait, from `Retry-After` (429, and 503 when the server says). */
  readonly retryAfter: number | undefined;

  /**
   * @param status - the answer's status
   * @param body - its parsed JSON body, or anything else when it had none
   * @param retryAfter - the `Retry-After` header's value, when present
   */
  constructor(status: number, body: unknown, retryAfter?: string | null) {
    const parsed: DrfErrorBody = isRecord(body) ? body : {};
    const detail = typeof parsed.detail === 'string' ? parsed.detail : undefined;
    const fieldErrors = fieldErrorsOf(parsed);
    super(detail ?? summary(fieldErrors) ?? `HTTP ${status}`);
    this.name = 'DrfError';
    this.status = status;
    this.body = parsed;
    this.detail = detail;
    this.code = typeof parsed.code === 'string' ? parsed.code : undefined;
    this.fieldErrors = fieldErrors;
    const seconds = retryAfter ? Number(retryAfter) : Number.NaN;
    this.retryAfter = Number.isFinite(seconds) ? seconds : undefined;
  }

  /**
   * Reads a refused answer into a {@link DrfError} (the body is read; pass a clone to keep it).
   *
   * @param response - an answer whose status is not 2xx
   */
  static async from(response: Response): Promise<DrfError> {
    let body: unknown = {};
    try {
      body = await response.json();
    } catch {
      // Not JSON (an HTML page of a proxy in front of the API): the status is all there is.
    }
    return new DrfError(response.status, body, response.headers.get('Retry-After'));
  }
}

function isRecord(value: unknown): value is DrfErrorBody {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fieldErrorsOf(body: DrfErrorBody): Record<string, string[]> {
  const fields: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(body)) {
    if (Array.isArray(value) && value.every((message) => typeof message === 'string')) fields[name] = value;
  }
  return fields;
}

function summary(fieldErrors: Record<string, readonly string[]>): string | undefined {
  const first = Object.entries(fieldErrors)[0];
  return first ? `${first[0]}: ${first[1].join(' ')}` : undefined;
}

/**
 * Resolves with the data of an openapi-fetch call, or throws its refusal as a {@link DrfError}.
 *
 * @param pending - a call of the typed client (`client.api.GET(…)`, `.POST(…)`, …)
 * @returns the parsed body of the 2xx answer (`undefined` for a 204)
 * @throws {@link DrfError} when the answer is not 2xx
 * @example
 * const page = await unwrap(client.api.GET('/api/users/', { params: { query: { search: 'ann' } } }));
 */
export async function unwrap<T>(pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok) throw new DrfError(response.status, error, response.headers.get('Retry-After'));
  return data as T;
}
