/**
 * The client package (client/src) against the real app on a loopback port, in Bearer mode from
 * Node.js: login, a list with filters, a create refused with a field error, the refresh rule (one
 * refresh, one retry, never a loop, never for the token calls) and logout.
 */
import { expect } from 'chai';
import { createBackofficeClient, DrfError, unwrap, type TokenPair } from '../../client/src/index.js';
import { makeUser, PASSWORD } from '../support/app.js';
import { serveApp, type AppServer } from './server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('client package against the real server (Bearer mode)', function () {
  this.timeout(60_000);
  let server: AppServer;

  afterEach(async () => {
    await server?.close();
  });

  async function loggedIn(env: Record<string, string> = {}) {
    server = await serveApp({ env });
    await makeUser({ username: 'boss', is_superuser: true });
    const client = createBackofficeClient({ baseUrl: server.url, auth: 'bearer' });
    await client.login({ username: 'boss', password: PASSWORD });
    return client;
  }

  it('logs in and keeps the token pair in memory', async () => {
    const client = await loggedIn();
    expect(client.tokens?.access).to.be.a('string');
    const me = await unwrap(client.api.GET('/api/users/me/'));
    expect(me.username).to.equal('boss');
  });

  it('refuses wrong credentials with a typed 401 and does not refresh for it', async () => {
    server = await serveApp();
    await makeUser({ username: 'boss' });
    const client = createBackofficeClient({ baseUrl: server.url, auth: 'bearer' });
    const error = await client.login({ username: 'boss', password: 'wrong' }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(DrfError);
    expect((error as DrfError).status).to.equal(401);
    expect((error as DrfError).detail).to.equal('No active account found with the given credentials');
    expect(server.count('POST', '/api/token/refresh/')).to.equal(0);
  });

  it('lists users with search, ordering and page_size', async () => {
    const client = await loggedIn();
    for (const username of ['alice', 'alina', 'bob']) await makeUser({ username });
    const page = await unwrap(
      client.api.GET('/api/users/', { params: { query: { search: 'ali', ordering: ['-username'], page_size: 1 } } }),
    );
    expect(page.count).to.equal(2);
    expect(page.results.map((u) => u.username)).to.deep.equal(['alina']);
    expect(page.next).to.match(/page=2/);
  });

  it('surfaces a refused create as DRF field errors', async () => {
    const client = await loggedIn();
    await makeUser({ username: 'alice' });
    const error = await unwrap(
      client.api.POST('/api/users/', { body: { username: 'alice', password: PASSWORD } }),
    ).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(DrfError);
    expect((error as DrfError).status).to.equal(400);
    expect((error as DrfError).fieldErrors).to.deep.equal({ username: ['A user with that username already exists.'] });
  });

  it('refreshes once for concurrent requests whose access token expired, and retries each once', async () => {
    const client = await loggedIn({ ACCESS_TOKEN_LIFETIME: '2s' });
    const first = client.tokens!;
    await sleep(2_500);
    const answers = await Promise.all(Array.from({ length: 5 }, () => client.api.GET('/api/users/me/')));
    expect(answers.map((a) => a.response.status)).to.deep.equal([200, 200, 200, 200, 200]);
    expect(server.count('POST', '/api/token/refresh/')).to.equal(1);
    expect(server.count('GET', '/api/users/me/')).to.equal(10);
    expect(client.tokens!.refresh, 'rotated').to.not.equal(first.refresh);
  });

  it('keeps the rotated pair in the storage hook', async () => {
    server = await serveApp({ env: { ACCESS_TOKEN_LIFETIME: '2s' } });
    await makeUser({ username: 'boss' });
    const saved: Array<TokenPair | null> = [];
    const client = createBackofficeClient({
      baseUrl: server.url,
      auth: 'bearer',
      storage: { load: () => saved.at(-1) ?? null, save: (tokens) => saved.push(tokens) },
    });
    await client.login({ username: 'boss', password: PASSWORD });
    await sleep(2_500);
    await unwrap(client.api.GET('/api/users/me/'));
    expect(saved).to.have.length(2);
    expect(saved[1]!.refresh).to.not.equal(saved[0]!.refresh);
    // A client made later starts from the stored pair.
    const again = createBackofficeClient({
      baseUrl: server.url,
      auth: 'bearer',
      storage: { load: () => saved[1]!, save() {} },
    });
    expect((await again.api.GET('/api/users/me/')).response.status).to.equal(200);
  });

  it('gives up after one refused refresh: the 401 is the answer, the session ends, no loop', async () => {
    const ended: string[] = [];
    server = await serveApp({ env: { ACCESS_TOKEN_LIFETIME: '2s' } });
    await makeUser({ username: 'boss' });
    const client = createBackofficeClient({
      baseUrl: server.url,
      auth: 'bearer',
      onSessionEnd: () => ended.push('end'),
    });
    await client.login({ username: 'boss', password: PASSWORD });
    // The refresh token is spent elsewhere (another device rotated it): this client's refresh is refused.
    const stolen = client.tokens!.refresh;
    const other = await fetch(`${server.url}/api/token/refresh/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh: stolen }),
    });
    expect(other.status).to.equal(200);
    await sleep(2_500);
    const { response, error } = await client.api.GET('/api/users/me/');
    expect(response.status).to.equal(401);
    expect(error).to.have.property('detail');
    expect(server.count('POST', '/api/token/refresh/')).to.equal(2);
    expect(server.count('GET', '/api/users/me/')).to.equal(1);
    expect(ended).to.deep.equal(['end']);
    expect(client.tokens).to.equal(null);
  });

  it('logs out: the refresh token is blacklisted and the tokens forgotten', async () => {
    const client = await loggedIn();
    const { refresh } = client.tokens!;
    await client.logout();
    expect(client.tokens).to.equal(null);
    expect(server.count('POST', '/api/token/blacklist/')).to.equal(1);
    const reuse = await fetch(`${server.url}/api/token/refresh/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh }),
    });
    expect(reuse.status).to.equal(401);
    expect(((await reuse.json()) as { code: string }).code).to.equal('token_not_valid');
  });
});
