/**
 * The caches that database notices keep current — who a token is, and pages of the users list:
 * they answer from memory once warm, and every write that changes an answer — through the API, a
 * use-case or plain SQL — is seen on the next request, because the notices evict it. On both
 * database kinds.
 */
import { expect } from 'chai';
import type { Knex } from 'knex';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { PrincipalCache } from '../../src/auth/principal-cache.js';
import { NOTICE_CHANNEL } from '../../src/db/notice-protocol.js';
import { NoticeHub, type Listener } from '../../src/db/notifications.js';
import { deleteUser, setUserPermissions, SYSTEM_ACTOR, updateUser } from '../../src/users/service.js';
import { updateGroup } from '../../src/groups/service.js';
import { makeGroup, makeUser, testDeps, tokensFor } from '../support/app.js';
import { testDatabase, testKnex } from '../support/hooks.js';

describe('caches kept current by database notices (CACHE_TTL)', () => {
  let cache: PrincipalCache;
  let listener: Listener;
  let client: supertest.Agent;
  let principalQueries = 0;
  let countQueries = 0;
  const onQuery = (query: { sql: string }) => {
    if (query.sql.includes('session_until')) principalQueries++;
    if (query.sql.startsWith('select count(*)')) countQueries++;
  };

  beforeEach(async () => {
    cache = new PrincipalCache({ ttlMs: 60_000 });
    const notices = new NoticeHub();
    notices.subscribe(cache);
    listener = await testDatabase().listen(NOTICE_CHANNEL, notices);
    client = supertest(createApp({ ...testDeps({ CACHE_TTL: '1m' }), principals: cache, notices }).app.callback());
    principalQueries = 0;
    countQueries = 0;
    testKnex().on('query', onQuery);
  });

  afterEach(async () => {
    testKnex().removeListener('query', onQuery);
    await listener.close();
  });

  /** A user, logged in, whose `/me/` has been answered once (so the cache holds it). */
  async function warmUser(overrides: Parameters<typeof makeUser>[0] = {}) {
    const user = await makeUser(overrides);
    const tokens = await tokensFor(user);
    const authorization = `Bearer ${tokens.access}`;
    await listener.sync(); // the notices of the user's own creation must not evict what the warm-up caches
    await client.get('/api/users/me/').set('Authorization', authorization).expect(200);
    return { user, tokens, authorization };
  }

  /** `/me/` after every notice committed so far has arrived. */
  async function me(authorization: string) {
    await listener.sync();
    return client.get('/api/users/me/').set('Authorization', authorization);
  }

  /** Runs SQL as another process would: no use-case, only the triggers. */
  const sql = (text: string, bindings: Knex.RawBinding[] = []) => testKnex().raw(text, bindings);

  it('answers a warm token from memory: no query after the first', async () => {
    const { authorization } = await warmUser();
    expect(principalQueries).to.equal(1);
    for (let i = 0; i < 5; i++) await client.get('/api/users/me/').set('Authorization', authorization).expect(200);
    expect(principalQueries).to.equal(1);
  });

  it('refuses a logged-out session at once', async () => {
    const { tokens, authorization } = await warmUser();
    await client.post('/api/token/blacklist/').send({ refresh: tokens.refresh }).expect(200);
    const refused = await me(authorization);
    expect(refused.status).to.equal(401);
    expect(refused.body.messages[0].message).to.equal('Token is blacklisted');
  });

  it('keeps a session cached through a rotation, and refuses it after a logout with the new token', async () => {
    const { tokens, authorization } = await warmUser();
    const rotated = await client.post('/api/token/refresh/').send({ refresh: tokens.refresh }).expect(200);
    const queries = principalQueries;
    await me(authorization).then((r) => expect(r.status).to.equal(200));
    expect(principalQueries, 'a rotation sends no notice: the session stays live').to.equal(queries);

    await client.post('/api/token/blacklist/').send({ refresh: rotated.body.refresh }).expect(200);
    const refused = await me(authorization);
    expect(refused.status).to.equal(401);
    expect(refused.body.messages[0].message).to.equal('Token is blacklisted');
  });

  it('notices a blacklisting that is not a rotation, even while a newer token keeps the session live', async () => {
    const { user, tokens, authorization } = await warmUser();
    await client.post('/api/token/refresh/').send({ refresh: tokens.refresh }).expect(200);
    await sql('DELETE FROM token_blacklist_blacklistedtoken'); // the first token is live again, the rotated one too
    await me(authorization);
    const queries = principalQueries;
    await sql(
      'INSERT INTO token_blacklist_blacklistedtoken (token_id, blacklisted_at) SELECT id, now() FROM token_blacklist_outstandingtoken WHERE user_id = ? ORDER BY id LIMIT 1',
      [user.id],
    );
    await me(authorization).then((r) => expect(r.status, 'still live: the newer token').to.equal(200));
    expect(principalQueries - queries, 'evicted and asked again').to.equal(1);
  });

  it('refuses a session blacklisted in SQL, and one whose tokens were deleted', async () => {
    const first = await warmUser();
    await sql(
      'INSERT INTO token_blacklist_blacklistedtoken (token_id, blacklisted_at) SELECT id, now() FROM token_blacklist_outstandingtoken WHERE user_id = ?',
      [first.user.id],
    );
    expect((await me(first.authorization)).status).to.equal(401);

    const second = await warmUser();
    await sql('DELETE FROM token_blacklist_outstandingtoken WHERE user_id = ?', [second.user.id]);
    expect((await me(second.authorization)).status).to.equal(401);
  });

  it('refuses a session whose last token expired since it was cached', async () => {
    const { user, authorization } = await warmUser();
    await sql(
      "UPDATE token_blacklist_outstandingtoken SET expires_at = now() + interval '1 second' WHERE user_id = ?",
      [user.id],
    );
    await me(authorization).then((r) => expect(r.status).to.equal(200)); // cached again, live for one more second
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const refused = await client.get('/api/users/me/').set('Authorization', authorization);
    expect(refused.status).to.equal(401);
    expect(refused.body.messages[0].message).to.equal('Token is blacklisted');
  });

  it('refuses a user deactivated or deleted, by a use-case or in SQL', async () => {
    const first = await warmUser();
    await updateUser(testKnex(), SYSTEM_ACTOR, first.user.id, { is_active: false });
    expect((await me(first.authorization)).body.code).to.equal('user_inactive');

    const second = await warmUser();
    await sql('UPDATE auth_user SET is_active = false WHERE id = ?', [second.user.id]);
    expect((await me(second.authorization)).body.code).to.equal('user_inactive');

    const third = await warmUser();
    await deleteUser(testKnex(), SYSTEM_ACTOR, third.user.id);
    expect((await me(third.authorization)).body.code).to.equal('user_not_found');
  });

  it('sees permissions change through groups, group permissions, direct grants and superuser status', async () => {
    const editors = await makeGroup('editors', ['view_user']);
    const { user, authorization } = await warmUser();
    const permissions = async () => ((await me(authorization)).body as { permissions: string[] }).permissions;
    const groups = async () => ((await me(authorization)).body as { groups: string[] }).groups;
    expect(await permissions()).to.deep.equal([]);

    await updateUser(testKnex(), SYSTEM_ACTOR, user.id, { groups: ['editors'] });
    expect(await permissions()).to.deep.equal(['view_user']);
    expect(await groups()).to.deep.equal(['editors']);

    await updateGroup(testKnex(), SYSTEM_ACTOR, editors.id, { permissions: ['view_user', 'change_user'] });
    expect(await permissions()).to.deep.equal(['change_user', 'view_user']);

    await sql('UPDATE auth_group SET name = ? WHERE id = ?', ['writers', editors.id]);
    expect(await groups()).to.deep.equal(['writers']);

    await setUserPermissions(testKnex(), SYSTEM_ACTOR, user.id, ['delete_user']);
    expect(await permissions()).to.deep.equal(['change_user', 'delete_user', 'view_user']);

    await sql('DELETE FROM auth_user_groups WHERE user_id = ?', [user.id]);
    expect(await permissions()).to.deep.equal(['delete_user']);

    await sql('UPDATE auth_user SET is_superuser = true WHERE id = ?', [user.id]);
    const all: string[] = await testKnex()('auth_permission').orderBy('codename').pluck('codename');
    expect(await permissions()).to.deep.equal(all);
  });

  it('sees a profile change made through the API', async () => {
    const { authorization } = await warmUser();
    await client
      .patch('/api/users/me/')
      .set('Authorization', authorization)
      .send({ first_name: 'Renamed' })
      .expect(200);
    expect((await me(authorization)).body.first_name).to.equal('Renamed');
  });

  it('forgets everything on TRUNCATE', async () => {
    const { user, authorization } = await warmUser();
    await sql('TRUNCATE auth_user RESTART IDENTITY CASCADE');
    expect((await me(authorization)).status).to.equal(401);
    // Ids start again at 1: a new user must not inherit the old one's cached row.
    const other = await makeUser({ username: 'newcomer' });
    expect(other.id).to.equal(user.id);
    const session = await tokensFor(other);
    expect((await me(`Bearer ${session.access}`)).body.username).to.equal('newcomer');
  });

  it('keeps no load that raced with a notice', async () => {
    const { user, tokens } = await warmUser();
    const sid = (JSON.parse(Buffer.from(tokens.access.split('.')[1]!, 'base64url').toString()) as { sid: string }).sid;
    cache.notice({ kind: 'user', id: user.id });
    const loading = cache.load(testKnex(), user.id, sid);
    cache.notice({ kind: 'user', id: user.id }); // arrives while the query is in flight
    await loading;
    const before = principalQueries;
    await cache.load(testKnex(), user.id, sid);
    expect(principalQueries - before, 'the raced load was not kept').to.equal(1);
    await cache.load(testKnex(), user.id, sid);
    expect(principalQueries - before, 'the next one was').to.equal(1);
  });

  it('asks the database on every request while it is not listening', async () => {
    const { user, authorization } = await warmUser();
    await listener.close();
    expect(cache.active).to.equal(false);
    await sql('UPDATE auth_user SET is_active = false WHERE id = ?', [user.id]);
    const before = principalQueries;
    expect((await client.get('/api/users/me/').set('Authorization', authorization)).body.code).to.equal(
      'user_inactive',
    );
    expect(principalQueries - before).to.equal(1);
  });

  describe('pages of the users list', () => {
    /**
     * The list as an admin sees it, after every notice committed so far has arrived. (One `Host`:
     * supertest listens on a new port for each request, and the page's links carry it.)
     */
    async function list(authorization: string, query = '') {
      await listener.sync();
      const res = await client
        .get(`/api/users/${query}`)
        .set('Authorization', authorization)
        .set('Host', 'api.test')
        .expect(200);
      return res.body as {
        count: number;
        next: string | null;
        results: { username: string; groups: string[]; last_login: string | null }[];
      };
    }

    it('answers a page from memory until a user, a membership or a group changes', async () => {
      const { authorization } = await warmUser({ is_superuser: true, username: 'admin' });
      const editors = await makeGroup('editors');
      const other = await makeUser({ username: 'bob' });
      const first = await list(authorization);
      expect(first.count).to.equal(2);
      const counted = countQueries;
      expect(await list(authorization)).to.deep.equal(first);
      expect(countQueries, 'the second answer is from memory').to.equal(counted);

      await sql(
        "INSERT INTO auth_user (username, password, email, first_name, last_name, is_active, is_staff, is_superuser, date_joined) VALUES ('carol', '!', '', '', '', true, false, false, now())",
      );
      expect((await list(authorization)).results.map((u) => u.username)).to.deep.equal(['admin', 'bob', 'carol']);

      await sql('UPDATE auth_user SET username = ? WHERE id = ?', ['robert', other.id]);
      expect((await list(authorization)).results[1]!.username).to.equal('robert');

      await updateUser(testKnex(), SYSTEM_ACTOR, other.id, { groups: ['editors'] });
      expect((await list(authorization)).results[1]!.groups).to.deep.equal(['editors']);

      await sql('UPDATE auth_group SET name = ? WHERE id = ?', ['writers', editors.id]);
      expect((await list(authorization)).results[1]!.groups).to.deep.equal(['writers']);

      await tokensFor({ username: 'robert' });
      expect((await list(authorization)).results[1]!.last_login, 'a login shows').to.be.a('string');

      await deleteUser(testKnex(), SYSTEM_ACTOR, other.id);
      expect((await list(authorization)).count).to.equal(2);
    });

    it('keeps a page per origin and query, and through logouts', async () => {
      const { authorization } = await warmUser({ is_superuser: true });
      for (let i = 0; i < 3; i++) await makeUser();
      const local = await list(authorization, '?page_size=2');
      const proxied = await client
        .get('/api/users/?page_size=2')
        .set('Authorization', authorization)
        .set('Host', 'api.example.com')
        .expect(200);
      expect(local.next).to.equal('http://api.test/api/users/?page_size=2&page=2');
      expect(proxied.body.next).to.equal('http://api.example.com/api/users/?page_size=2&page=2');
      expect((await list(authorization, '?page_size=3')).results).to.have.length(3);

      const other = await tokensFor(await makeUser());
      await list(authorization, '?page_size=3');
      const counted = countQueries;
      await client.post('/api/token/blacklist/').send({ refresh: other.refresh }).expect(200);
      await list(authorization, '?page_size=3');
      expect(countQueries, 'a logout leaves the list as it is').to.equal(counted);
    });
  });

  describe('pages of a declared resource’s list (groups)', () => {
    async function groups(authorization: string) {
      await listener.sync();
      const res = await client.get('/api/groups/').set('Authorization', authorization).set('Host', 'api.test');
      expect(res.status).to.equal(200);
      return res.body as { count: number; results: { name: string; permissions: string[] }[] };
    }

    it('answers a page from memory until a statement writes its table or a many-to-many table', async () => {
      const { authorization } = await warmUser({ is_superuser: true });
      const editors = await makeGroup('editors');
      const first = await groups(authorization);
      expect(first.results.map((g) => g.name)).to.deep.equal(['editors']);
      const counted = countQueries;
      expect(await groups(authorization)).to.deep.equal(first);
      expect(countQueries, 'the second answer is from memory').to.equal(counted);

      await sql("INSERT INTO auth_group (name) VALUES ('writers')");
      expect((await groups(authorization)).results.map((g) => g.name)).to.deep.equal(['editors', 'writers']);

      await sql(
        "INSERT INTO auth_group_permissions (group_id, permission_id) SELECT ?, id FROM auth_permission WHERE codename = 'view_user'",
        [editors.id],
      );
      expect((await groups(authorization)).results[0]!.permissions).to.deep.equal(['view_user']);

      await sql("UPDATE auth_permission SET codename = 'view_user' WHERE codename = 'view_user'");
      const counted2 = countQueries;
      await groups(authorization);
      expect(countQueries, 'a write to the related table evicts the page too').to.equal(counted2 + 1);
    });

    it('keeps no page of a list whose rows have computed fields (the files: a URL signed per answer)', async () => {
      const { authorization } = await warmUser({ is_superuser: true });
      const before = countQueries;
      for (let i = 0; i < 2; i++)
        await client.get('/api/files/').set('Authorization', authorization).set('Host', 'api.test').expect(200);
      expect(countQueries - before).to.equal(2);
    });
  });

  it('with CACHE_TTL=off, asks the database on every request', async () => {
    const off = new PrincipalCache({ ttlMs: 0 });
    const notices = new NoticeHub();
    notices.subscribe(off);
    const offListener = await testDatabase().listen(NOTICE_CHANNEL, notices);
    try {
      const plain = supertest(
        createApp({ ...testDeps({ CACHE_TTL: 'off' }), principals: off, notices }).app.callback(),
      );
      const { authorization } = await warmUser({ is_superuser: true });
      const before = { principal: principalQueries, count: countQueries };
      for (let i = 0; i < 3; i++) await plain.get('/api/users/me/').set('Authorization', authorization).expect(200);
      for (let i = 0; i < 3; i++) await plain.get('/api/users/').set('Authorization', authorization).expect(200);
      expect(principalQueries - before.principal).to.equal(6);
      expect(countQueries - before.count).to.equal(3);
    } finally {
      await offListener.close();
    }
  });

  it('when the notice connection drops, stops answering from memory and resumes once it is back', async function () {
    if (testDatabase().kind !== 'postgres') this.skip(); // the embedded database has no connection to lose
    const { user, authorization } = await warmUser();
    await sql(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'backoffice-notices' AND datname = current_database()",
    );
    for (let i = 0; i < 50 && cache.active; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cache.active, 'bypassed while not listening').to.equal(false);
    await sql('UPDATE auth_user SET is_active = false WHERE id = ?', [user.id]); // its notice is lost
    expect((await client.get('/api/users/me/').set('Authorization', authorization)).body.code).to.equal(
      'user_inactive',
    );
    for (let i = 0; i < 150 && !cache.active; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(cache.active, 'listening again').to.equal(true);
    await sql('UPDATE auth_user SET is_active = true WHERE id = ?', [user.id]);
    await me(authorization).then((r) => expect(r.status).to.equal(200));
  });
});
