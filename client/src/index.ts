/**
 * `@backoffice/client`: the Backoffice API's typed client.
 *
 * @example
 * import { createBackofficeClient, unwrap, DrfError } from '@backoffice/client';
 * const client = createBackofficeClient({ auth: 'cookie' });
 * await client.login({ username: 'ann', password: '…' });
 * const page = await unwrap(client.api.GET('/api/users/', { params: { query: { search: 'bo', page_size: 50 } } }));
 *
 * @module
 */
export {
  createBackofficeClient,
  type BackofficeClient,
  type BackofficeClientOptions,
  type TokenPair,
  type TokenStorage,
} from './client.js';
export { DrfError, unwrap, type DrfErrorBody } from './errors.js';
export {
  RefreshCoordinator,
  browserCrossTab,
  indexedDbCounter,
  type CrossTab,
  type LockManagerLike,
  type ChannelLike,
  type SharedCounter,
  type IndexedDbLike,
} from './refresh.js';
export {
  typedApi,
  type TypedApi,
  type TypedMethod,
  type ApiMethod,
  type ApiPath,
  type ApiInit,
  type ApiResult,
} from './typed-api.js';
export type { paths, components, operations } from './schema.js';
