import { expect } from 'chai';
import { api, bearer, makeGroup, makeUser } from '../support/app.js';
import { testKnex } from '../support/hooks.js';

async function adminWith(...codenames: string[]) {
  const group = await makeGroup(`ops-${Math.random().toString(36).slice(2, 8)}`, codenames);
  return bearer(await makeUser({ groups: [group.name] }));
}

describe('/api/groups/', () => {
  it('requires view_group to list, and lists with permission codenames', async () => {
    await makeGroup('viewer', ['view_user', 'view_group']);
    await api().get('/api/groups/').expect(401);
    await api()
      .get('/api/groups/')
      .set('Authorization', await bearer(await makeUser()))
      .expect(403);
    const res = await api()
      .get('/api/groups/')
      .set('Authorization', await adminWith('view_group'))
      .expect(200);
    expect(res.body).to.have.all.keys('count', 'next', 'previous', 'results');
    const viewer = res.body.results.find((g: { name: string }) => g.name === 'viewer');
    expect(viewer).to.have.all.keys('id', 'name', 'permissions');
    expect(viewer.permissions).to.deep.equal(['view_group', 'view_user']);
  });

  it('creates a group from codenames (201); unknown codename and duplicate name are 400', async () => {
    // A non-superuser gives a group only permissions it holds itself.
    const authorization = await adminWith('add_group', 'change_user', 'view_user');
    const res = await api()
      .post('/api/groups/')
      .set('Authorization', authorization)
      .send({ name: 'editors', permissions: ['change_user', 'view_user'] })
      .expect(201);
    expect(res.body).to.deep.include({ name: 'editors', permissions: ['change_user', 'view_user'] });
    const unknown = await api()
      .post('/api/groups/')
      .set('Authorization', authorization)
      .send({ name: 'x', permissions: ['fly'] })
      .expect(400);
    expect(unknown.body).to.deep.equal({ permissions: ['Object with codename=fly does not exist.'] });
    const duplicate = await api()
      .post('/api/groups/')
      .set('Authorization', authorization)
      .send({ name: 'editors' })
      .expect(400);
    expect(duplicate.body).to.deep.equal({ name: ['group with this name already exists.'] });
    const missing = await api().post('/api/groups/').set('Authorization', authorization).send({}).expect(400);
    expect(missing.body).to.deep.equal({ name: ['This field is required.'] });
  });

  it('names a lone surrogate in a codename or group name as missing, not a 500 (no database text can hold one)', async () => {
    const authorization = await adminWith('add_group', 'view_user', 'add_user');
    // Raw JSON: "\udfff" is an escape JSON.parse turns into a lone surrogate (a JS string sent by
    // supertest would be re-encoded as U+FFFD on the way). After a BOM, PGlite's encoder sent bytes
    // PostgreSQL refused as invalid UTF-8 (the fuzzer's find).
    const group = await api()
      .post('/api/groups/')
      .set('Authorization', authorization)
      .set('Content-Type', 'application/json')
      .send('{"name":"x","permissions":["view_user","%\uFEFF\\udfff"]}')
      .expect(400);
    expect(group.body).to.deep.equal({ permissions: ['Object with codename=%\uFEFF\udfff does not exist.'] });
    const user = await api()
      .post('/api/users/')
      .set('Authorization', authorization)
      .set('Content-Type', 'application/json')
      .send('{"username":"surrogate","password":"Long-enough-pass-2026","groups":["\uFEFF\\udfff"]}')
      .expect(400);
    expect(user.body).to.deep.equal({ groups: ['Object with name=\uFEFF\udfff does not exist.'] });
  });

  it('reports malformed fields and what the database finds in the others in one 400, as DRF does', async () => {
    const group = await makeGroup('editors', []);
    await makeGroup('viewers', []);
    const authorization = await adminWith('add_group', 'change_group');
    const created = await api()
      .post('/api/groups/')
      .set('Authorization', authorization)
      .send({ name: '', permissions: ['fly'] })
      .expect(400);
    expect(created.body).to.deep.equal({
      name: ['This field may not be blank.'],
      permissions: ['Object with codename=fly does not exist.'],
    });
    const renamed = await api()
      .patch(`/api/groups/${group.id}/`)
      .set('Authorization', authorization)
      .send({ name: 'viewers', permissions: 'fly' })
      .expect(400);
    expect(renamed.body).to.deep.equal({
      name: ['group with this name already exists.'],
      permissions: ['Expected a list of items but got type "str".'],
    });
    // DRF looks the group up before it validates.
    await api().put('/api/groups/999999/').set('Authorization', authorization).send({ name: '' }).expect(404);
  });

  it('retrieves, renames, replaces permissions and deletes', async () => {
    const group = await makeGroup('editors', ['view_user']);
    const authorization = await adminWith('view_group', 'change_group', 'delete_group', 'add_user');
    expect(
      (await api().get(`/api/groups/${group.id}/`).set('Authorization', authorization).expect(200)).body,
    ).to.deep.equal({
      id: group.id,
      name: 'editors',
      permissions: ['view_user'],
    });
    const patched = await api()
      .patch(`/api/groups/${group.id}/`)
      .set('Authorization', authorization)
      .send({ permissions: ['add_user'] })
      .expect(200);
    expect(patched.body).to.deep.equal({ id: group.id, name: 'editors', permissions: ['add_user'] });
    const put = await api()
      .put(`/api/groups/${group.id}/`)
      .set('Authorization', authorization)
      .send({ name: 'writers' })
      .expect(200);
    expect(put.body).to.deep.equal({ id: group.id, name: 'writers', permissions: ['add_user'] });
    await api().delete(`/api/groups/${group.id}/`).set('Authorization', authorization).expect(204);
    await api().get(`/api/groups/${group.id}/`).set('Authorization', authorization).expect(404);
    await api().delete(`/api/groups/${group.id}/`).set('Authorization', authorization).expect(404);
  });

  it('lists a page with every group’s codenames in one statement, besides the count (no query per group)', async () => {
    for (const name of ['a', 'b', 'c']) await makeGroup(name, ['view_user', 'view_group']);
    const authorization = await adminWith('view_group');
    const statements: string[] = [];
    const listen = (query: { sql: string }) => statements.push(query.sql);
    testKnex().on('query', listen);
    try {
      const res = await api().get('/api/groups/').set('Authorization', authorization).expect(200);
      expect(res.body.results.map((g: { permissions: string[] }) => g.permissions)).to.deep.equal(
        Array(4).fill(['view_group', 'view_user']).fill(['view_group'], 3),
      );
    } finally {
      testKnex().off('query', listen);
    }
    // The count, then the page with its codenames; the actor's own lookup aside.
    expect(statements.filter((sql) => /from "auth_group"/.test(sql))).to.have.length(2);
    expect(statements.filter((sql) => sql.includes('"auth_group_permissions"'))).to.have.length(1);
  });

  it('records each write in the audit log, in its transaction', async () => {
    const user = await makeUser({ is_superuser: true, username: 'root' });
    const authorization = await bearer(user);
    const created = await api()
      .post('/api/groups/')
      .set('Authorization', authorization)
      .send({ name: 'editors', permissions: ['view_user'] })
      .expect(201);
    const { id } = created.body as { id: number };
    await api()
      .patch(`/api/groups/${id}/`)
      .set('Authorization', authorization)
      .send({ name: 'editors', permissions: ['view_user', 'change_user'] })
      .expect(200);
    await api().delete(`/api/groups/${id}/`).set('Authorization', authorization).expect(204);
    // A refused write leaves no entry.
    await api().post('/api/groups/').set('Authorization', authorization).send({ name: '' }).expect(400);
    const entries = await testKnex()('admin_log')
      .where({ target_type: 'group' })
      .orderBy('id')
      .select('action', 'actor_username', 'target_id', 'target_repr', 'details');
    expect(entries).to.deep.equal([
      {
        action: 'add_group',
        actor_username: 'root',
        target_id: String(id),
        target_repr: 'editors',
        details: { added: ['name', 'permissions'] },
      },
      {
        action: 'change_group',
        actor_username: 'root',
        target_id: String(id),
        target_repr: 'editors',
        details: { changed: ['permissions'] },
      },
      { action: 'delete_group', actor_username: 'root', target_id: String(id), target_repr: 'editors', details: {} },
    ]);
  });

  it('answers a taken name and an unknown codename in Russian as Django words them', async () => {
    await makeGroup('editors', []);
    const res = await api({ LANGUAGE_CODE: 'ru' })
      .post('/api/groups/')
      .set('Authorization', await adminWith('add_group'))
      .send({ name: 'editors', permissions: ['fly'] })
      .expect(400);
    expect(res.body).to.deep.equal({
      name: ['группа с таким имя уже существует.'],
      permissions: ['Объект с codename=fly не существует.'],
    });
  });

  it('grants its members its permissions, and takes them back when changed', async () => {
    const group = await makeGroup('auditors', ['view_user']);
    const member = await bearer(await makeUser({ groups: ['auditors'] }));
    await api().get('/api/users/').set('Authorization', member).expect(200);
    await api()
      .patch(`/api/groups/${group.id}/`)
      .set('Authorization', await adminWith('change_group'))
      .send({ permissions: [] })
      .expect(200);
    await api().get('/api/users/').set('Authorization', member).expect(403);
  });
});

describe('GET /api/permissions/', () => {
  it('requires view_permission and lists codenames with names', async () => {
    await api()
      .get('/api/permissions/')
      .set('Authorization', await bearer(await makeUser()))
      .expect(403);
    const res = await api()
      .get('/api/permissions/?page_size=100')
      .set('Authorization', await adminWith('view_permission'))
      .expect(200);
    const codenames = res.body.results.map((p: { codename: string }) => p.codename);
    expect(codenames).to.include.members([
      'add_user',
      'change_user',
      'delete_user',
      'view_user',
      'view_group',
      'blacklist_token',
    ]);
    expect(res.body.results[0]).to.have.all.keys('id', 'name', 'codename', 'model');
    expect(res.body.results.find((p: { codename: string }) => p.codename === 'add_user').name).to.equal('Can add user');
  });

  it('refuses a non-superuser giving a group a permission it does not hold, its own group included (403), and writes nothing', async () => {
    const group = await makeGroup(`ops-${Math.random().toString(36).slice(2, 8)}`, [
      'add_group',
      'change_group',
      'view_group',
    ]);
    const authorization = await bearer(await makeUser({ groups: [group.name] }));
    const forbidden = { detail: 'You do not have permission to perform this action.' };
    const created = await api()
      .post('/api/groups/')
      .set('Authorization', authorization)
      .send({ name: 'escalated', permissions: ['view_group', 'delete_user'] })
      .expect(403);
    expect(created.body).to.deep.equal(forbidden);
    await api()
      .get('/api/groups/?page_size=100')
      .set('Authorization', authorization)
      .expect(200)
      .then((res) => {
        expect(res.body.results.map((g: { name: string }) => g.name)).to.not.include('escalated');
      });
    const own = await api()
      .patch(`/api/groups/${group.id}/`)
      .set('Authorization', authorization)
      .send({ permissions: ['add_group', 'change_group', 'view_group', 'change_user'] })
      .expect(403);
    expect(own.body).to.deep.equal(forbidden);
    // Keeping what the group has, or removing from it, is not a grant.
    const kept = await api()
      .put(`/api/groups/${group.id}/`)
      .set('Authorization', authorization)
      .send({ name: group.name, permissions: ['change_group', 'view_group', 'add_group'] })
      .expect(200);
    expect(kept.body.permissions).to.deep.equal(['add_group', 'change_group', 'view_group']);
  });
});
