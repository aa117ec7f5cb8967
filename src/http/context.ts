/**
 * What the HTTP layer's middleware adds to Koa's context. Features declare their own additions
 * beside the middleware that sets them (the authenticated user: `auth/authenticate.ts`), so that
 * this file imports no feature.
 *
 * @module
 */
import type { Logger } from 'pino';
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
    /** Validated request bodies, keyed by the schema that validated them. */
    validated?: Map<unknown, unknown>;
  }
}

export {};
