/**
 * What the middleware chain adds to Koa's context, declared once for the whole application.
 *
 * @module
 */
import type { Logger } from 'pino';
import type { AuthUser } from '../auth/authenticate.js';
import type { Throttles } from './throttle.js';

declare module 'koa' {
  interface DefaultContext {
    /** The request's logger, carrying its request id. */
    log: Logger;
    /** The request id: the client's `X-Request-Id` when well-formed, otherwise generated. */
    requestId: string;
    /** The application's throttles, shared by every request. */
    throttles: Throttles;
  }
  interface DefaultState {
    /** The authenticated user, set by `authenticate()`. */
    user?: AuthUser;
    /** The session (login) the access token belongs to. */
    sessionId?: string;
    /** How the request authenticated: `bearer` header or `cookie`; absent when anonymous. */
    authVia?: 'bearer' | 'cookie';
    /** Validated request bodies, keyed by the schema that validated them. */
    validated?: Map<unknown, unknown>;
  }
}

export {};
