/**
 * The script of the two-tab test's page: the client package in cookie mode, as a single-page app
 * on the API's origin uses it, exposed to the test as `globalThis.backoffice`. `?crossTab=off`
 * turns the cross-tab lock off (the control that shows the test notices its absence).
 */
import { createBackofficeClient, indexedDbCounter, type IndexedDbLike } from '../../../client/src/index.js';

const { search } = (globalThis as unknown as { location: { search: string } }).location;
let sessionEnds = 0;
const client = createBackofficeClient({
  auth: 'cookie',
  crossTab: new URLSearchParams(search).get('crossTab') !== 'off',
  onSessionEnd: () => {
    sessionEnds += 1;
  },
});

/** What the test calls in the page. */
export interface PageApi {
  login(username: string, password: string): Promise<void>;
  /** `GET /api/users/me/`: the final status and the username, or null. */
  me(): Promise<{ status: number; username: string | null }>;
  /** How many times the client said the session ended. */
  sessionEnds(): number;
  /** The refreshes the origin's tabs have counted in IndexedDB. */
  sharedRefreshes(): Promise<number>;
}

const api: PageApi = {
  login: (username, password) => client.login({ username, password }),
  async me() {
    const { response, data } = await client.api.GET('/api/users/me/');
    return { status: response.status, username: data?.username ?? null };
  },
  sessionEnds: () => sessionEnds,
  sharedRefreshes: () =>
    indexedDbCounter('backoffice-refresh', (globalThis as unknown as { indexedDB: IndexedDbLike }).indexedDB)!.read(),
};
Object.assign(globalThis, { backoffice: api });
