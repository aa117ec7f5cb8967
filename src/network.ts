/**
 * What the socket layer says when a server is down or unreachable, shared by the database and the
 * object store, whose edges answer "unavailable" for it rather than treating it as a bug.
 *
 * @module
 */

/**
 * Node's `code`s of a connection refused, reset, aborted or timed out, or a name that does not
 * resolve; undici's `UND_ERR_SOCKET` for the same seen through `fetch`.
 */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

/**
 * Whether an error code is the socket layer's "cannot reach the server".
 *
 * @param code - an error's `code`, whatever its type
 * @example
 * isNetworkErrorCode((error as NodeJS.ErrnoException).code); // true for 'ECONNREFUSED'
 */
export function isNetworkErrorCode(code: unknown): boolean {
  return typeof code === 'string' && NETWORK_CODES.has(code);
}
