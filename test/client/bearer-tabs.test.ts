/**
 * Bearer mode across tabs, in Node.js: two clients share a token storage (as two tabs share
 * `localStorage`), a lock manager that grants one holder at a time in order of request (what Web
 * Locks do; Node.js 20 has none) and real BroadcastChannels. Their access tokens expire together:
 * both stay logged in with one refresh, and without the shared lock one of them is logged out.
 */
import { expect } from 'chai';
import {
  createBackofficeClient,
  type BackofficeClient,
  type ChannelLike,
  type CrossTab,
  type TokenPair,
  type TokenStorage,
} from '../../client/src/index.js';
import { makeUser, PASSWORD } from '../support/app.js';
import { lockManager } from './cross-tab.js';
import { serveApp, type AppServer } from './server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Lifetimes are whole seconds (JWT exp), so 2s: a token issued late in a second still lives a second.
describe('client package: Bearer mode, tabs sharing a token storage', function () {
  this.timeout(60_000);
  let server: AppServer;
  const clients: BackofficeClient[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await server?.close();
  });

  async function expireTogether(shareLock: boolean) {
    server = await serveApp({ env: { ACCESS_TOKEN_LIFETIME: '2s' }, refreshDelayMs: 300 });
    await makeUser({ username: 'ann' });
    let stored: TokenPair | null = null;
    const storage: TokenStorage = { load: () => stored, save: (tokens) => void (stored = tokens) };
    const locks = lockManager();
    const tab = (): CrossTab => ({
      locks: shareLock ? locks : lockManager(),
      channel: new BroadcastChannel('refresh') as unknown as ChannelLike,
      name: 'refresh',
    });
    for (let i = 0; i < 2; i += 1)
      clients.push(
        createBackofficeClient({
          baseUrl: server.url,
          auth: 'bearer',
          storage,
          crossTab: tab(),
        }),
      );
    await clients[0]!.login({ username: 'ann', password: PASSWORD });
    // The second tab opened after the login: it starts from the stored pair.
    const second = createBackofficeClient({ baseUrl: server.url, auth: 'bearer', storage, crossTab: tab() });
    clients[1]!.close();
    clients[1] = second;
    await sleep(2_500);
    const statuses = await Promise.all(clients.map(async (c) => (await c.api.GET('/api/users/me/')).response.status));
    return { statuses, refreshes: server.count('POST', '/api/token/refresh/') };
  }

  it('keeps both logged in with one refresh: the waiting tab takes the stored pair', async () => {
    const { statuses, refreshes } = await expireTogether(true);
    expect(statuses).to.deep.equal([200, 200]);
    expect(refreshes).to.equal(1);
  });

  it('control: with a lock each, the second refresh spends the rotated token and is refused', async () => {
    const { statuses, refreshes } = await expireTogether(false);
    expect(refreshes).to.equal(2);
    expect(statuses.sort()).to.deep.equal([200, 401]);
  });
});
