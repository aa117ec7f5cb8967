/**
 * openapi-fetch's methods, typed so that a misspelt body field or parameter fails `tsc`.
 * openapi-fetch infers the request options as a type parameter and adds an index signature, so an
 * object literal with an unknown key passes once the required keys are there
 * (openapi-ts/openapi-typescript#1769, #2329). Here the options are the operation's own type,
 * worked out from the path alone, and TypeScript's excess-property check applies to them.
 *
 * @module
 */
import type { Client, ClientPathsWithMethod, FetchResponse, MaybeOptionalInit } from 'openapi-fetch';
import type { paths } from './schema.js';

/** The methods the API answers (HEAD and OPTIONS aside). */
export type ApiMethod = 'get' | 'put' | 'post' | 'patch' | 'delete';

/** The paths that answer a method. */
export type ApiPath<M extends ApiMethod> = ClientPathsWithMethod<Client<paths>, M>;

/** The request options of an operation: `params` (`path`, `query`), `body`, and fetch's own options. */
export type ApiInit<P extends keyof paths, M extends ApiMethod> = MaybeOptionalInit<paths[P], M>;

/** The answer of an operation: `data` (2xx) or `error` (the DRF body), and the `Response`. */
export type ApiResult<P extends keyof paths, M extends ApiMethod> = FetchResponse<
  paths[P][M] & Record<string | number, unknown>,
  ApiInit<P, M>,
  `${string}/${string}`
>;

/** One method of {@link TypedApi}: the options are required when the operation has required ones. */
export type TypedMethod<M extends ApiMethod> = <P extends ApiPath<M>>(
  url: P,
  ...init: undefined extends ApiInit<P, M> ? [init?: ApiInit<P, M>] : [init: ApiInit<P, M>]
) => Promise<ApiResult<P, M>>;

/** The typed API: `api.GET('/api/users/', { params: { query: { search: 'ann' } } })`. */
export interface TypedApi {
  readonly GET: TypedMethod<'get'>;
  readonly PUT: TypedMethod<'put'>;
  readonly POST: TypedMethod<'post'>;
  readonly PATCH: TypedMethod<'patch'>;
  readonly DELETE: TypedMethod<'delete'>;
}

/**
 * The same openapi-fetch client, seen through {@link TypedApi}: nothing changes at run time.
 *
 * @param client - a client made by openapi-fetch's `createClient<paths>()`
 */
export function typedApi(client: Client<paths>): TypedApi {
  return client as unknown as TypedApi;
}
