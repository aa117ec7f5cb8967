import { expect } from 'chai';
import { api, bearer, fromFrontend, makeGroup, makeUser, PASSWORD, tokensFor } from '../support/app.js';
import { testKnex } from '../support/hooks.js';

const FORBIDDEN = { detail: 'You do not have permission to perform this action.' };
const USER_KEYS = [
  'id',
  'username',
  'email',
  'first_name',
  'last_name',
  'is_active',
  'is_staff',
  'is_superuser',
  'date_joined',
  'last_login',
  'groups',
];

/** A user holding the given permissions through a group of its own. */
async function userWith(...codenames: string[]) {
  const group = await makeGroup(
    `role-${codenames.join('-') || 'none'}-${Math.random().toString(36).slice(2, 8)}`,
    codenames,
  );
  return makeUser({ groups: [group.name] });
}

describe('GET /api/users/me/', () => {
  it('returns the user with groups and effective permission codenames, never the password', async () => {
    await makeGroup('viewer', ['view_user', 'view_group']);
    const user = await makeUser({ username: 'alice', first_name: 'Alice', groups: ['viewer'] });
    await testKnex()('auth_user_user_permissions').insert({
      user_id: user.id,
      permission_id: (await testKnex()('auth_permission').where({ codename: 'blacklist_token' }).first('id')).id,
    });
    const res = await api()
      .get('/api/users/me/')
      .set('Authorization', await bearer(user))
      .expect(200);
    expect(res.body).to.have.all.keys(...USER_KEYS, 'permissions');
    expect(res.body).to.include({ username: 'alice', first_name: 'Alice', is_active: true });
    expect(res.body.groups).to.deep.equal(['viewer']);
    expect(res.body.permissions).to.deep.equal(['blacklist_token', 'view_group', 'view_user']);
    expect(JSON.stringify(res.body)).not.to.include('argon2');
  });

  it('gives a superuser every permission', async () => {
    const admin = await makeUser({ is_superuser: true });
    const res = await api()
      .get('/api/users/me/')
      .set('Authorization', await bearer(admin))
      .expect(200);
    const all = await testKnex()('auth_permission').orderBy('codename').pluck('codename');
    expect(res.body.permissions).to.deep.equal(all);
  });
});

describe('PATCH /api/users/me/', () => {
  it('changes names and email, and nothing else', async () => {
    const user = await makeUser();
    const res = await api()
      .patch('/api/users/me/')
      .set('Authorization', await bearer(user))
      .send({ first_name: 'New', last_name: 'Name', email: 'new@example.com', is_superuser: true, username: 'hacker' })
      .expect(200);
    expect(res.body).to.include({
      first_name: 'New',
      last_name: 'Name',
      email: 'new@example.com',
      is_superuser: false,
      username: user.username,
    });
  });

  it("rejects an invalid email with Django's message", async () => {
    const user = await makeUser();
    const res = await api()
      .patch('/api/users/me/')
      .set('Authorization', await bearer(user))
      .send({ email: 'nope' })
      .expect(400);
    expect(res.body).to.deep.equal({ email: ['Enter a valid email address.'] });
  });

  it('refuses a cookie-authenticated change from a foreign origin', async () => {
    const user = await makeUser();
    const { access } = await tokensFor(user);
    await api()
      .patch('/api/users/me/')
      .set('Cookie', `access_token=${access}`)
      .set('Origin', 'https://evil.example')
      .send({ first_name: 'x' })
      .expect(403);
    await api()
      .patch('/api/users/me/')
      .set('Cookie', `access_token=${access}`)
      .set(fromFrontend)
      .send({ first_name: 'x' })
      .expect(200);
  });
});

describe('other methods on /api/users/me/', () => {
  it('answers 405 with Allow once authenticated, as DRF does, not a lookup of a user called "me"', async () => {
    const admin = await makeUser({ is_superuser: true });
    const authorization = await bearer(admin);
    for (const method of ['put', 'delete'] as const) {
      const client = api();
      const res = await client[method]('/api/users/me/')
        .set('Authorization', authorization)
        .send({ username: 'x' })
        .expect(405);
      expect(res.body).to.deep.equal({ detail: `Method "${method.toUpperCase()}" not allowed.` });
      expect(res.headers.allow).to.equal('GET, PATCH, HEAD, OPTIONS');
    }
    const post = await api()
      .post('/api/users/me/')
      .set('Authorization', authorization)
      .send({ username: 'x' })
      .expect(405);
    expect(post.body).to.deep.equal({ detail: 'Method "POST" not allowed.' });
    const anonymous = await api().put('/api/users/me/').send({ username: 'x' }).expect(401);
    expect(anonymous.body).to.deep.equal({ detail: 'Authentication credentials were not provided.' });
    expect(await testKnex()('auth_user').where({ username: 'x' }).first()).to.equal(undefined);
    await api().get('/api/users/me/').set('Authorization', authorization).expect(200);
  });
});

describe('POST /api/users/me/password/', () => {
  it("changes the password (204) and logs out the user's other sessions only", async () => {
    const user = await makeUser({ username: 'alice' });
    const current = await tokensFor(user);
    const other = await tokensFor(user);
    await api()
      .post('/api/users/me/password/')
      .set('Authorization', `Bearer ${current.access}`)
      .send({ old_password: PASSWORD, new_password: 'a-Brand-new-secret-7' })
      .expect(204);
    await api().get('/api/users/me/').set('Authorization', `Bearer ${current.access}`).expect(200);
    await api().get('/api/users/me/').set('Authorization', `Bearer ${other.access}`).expect(401);
    await api().post('/api/token/refresh/').send({ refresh: other.refresh }).expect(401);
    await api().post('/api/token/').send({ username: 'alice', password: 'a-Brand-new-secret-7' }).expect(200);
    await api().post('/api/token/').send({ username: 'alice', password: PASSWORD }).expect(401);
  });

  it('puts a wrong old password under old_password and weak new ones under new_password', async () => {
    const user = await makeUser({ username: 'alice' });
    const authorization = await bearer(user);
    const wrong = await api()
      .post('/api/users/me/password/')
      .set('Authorization', authorization)
      .send({ old_password: 'nope', new_password: 'a-Brand-new-secret-7' })
      .expect(400);
    expect(wrong.body).to.deep.equal({
      old_password: ['Your old password was entered incorrectly. Please enter it again.'],
    });
    const weak = await api()
      .post('/api/users/me/password/')
      .set('Authorization', authorization)
      .send({ old_password: PASSWORD, new_password: '1234567' })
      .expect(400);
    expect(weak.body).to.deep.equal({
      new_password: [
        'This password is too short. It must contain at least 8 characters.',
        'This password is too common.',
        'This password is entirely numeric.',
      ],
    });
  });
});

describe('POST /api/users/me/password/: the per-user password throttle', () => {
  const THROTTLED = /^Request was throttled\. Expected available in \d+ seconds?\.$/;
  const env = { THROTTLE_LOGIN_PER_USER: '5/m' };

  /** One app (its in-memory counters) for the whole test, and a way to post a password change. */
  async function changer(username = 'alice') {
    const user = await makeUser({ username });
    const client = api(env);
    const authorization = await bearer(user);
    const change = (oldPassword: string, newPassword = 'a-Brand-new-secret-7') =>
      client
        .post('/api/users/me/password/')
        .set('Authorization', authorization)
        .send({ old_password: oldPassword, new_password: newPassword });
    return { client, change };
  }

  it('refuses the sixth attempt after five wrong old passwords with 429 and Retry-After, the right one too', async () => {
    const { change } = await changer();
    for (let i = 0; i < 5; i++) await change(`wrong-${i}`).expect(400);
    const refused = await change(PASSWORD).expect(429);
    expect(refused.body.detail).to.match(THROTTLED);
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
    await api().post('/api/token/').send({ username: 'alice', password: PASSWORD }).expect(200);
  });

  it('shares the bucket with failed logins, whichever comes first', async () => {
    const { client, change } = await changer();
    for (let i = 0; i < 3; i++)
      await client.post('/api/token/').send({ username: 'alice', password: 'nope' }).expect(401);
    await change('wrong-1').expect(400);
    await change('wrong-2').expect(400);
    await change(PASSWORD).expect(429);
    await client.post('/api/token/').send({ username: 'alice', password: PASSWORD }).expect(429);
  });

  it('counts neither a weak new password nor another user, and a success clears the count', async () => {
    const { change } = await changer();
    const other = await changer('bob');
    for (let i = 0; i < 4; i++) await change(`wrong-${i}`).expect(400);
    for (let i = 0; i < 3; i++) await change(PASSWORD, '1234567').expect(400);
    await other.change('wrong').expect(400);
    await change(PASSWORD).expect(204);
    for (let i = 0; i < 5; i++) await change(`wrong-again-${i}`).expect(400);
  });
});

describe('GET /api/users/', () => {
  it('requires authentication and view_user', async () => {
    await api().get('/api/users/').expect(401);
    const nobody = await makeUser();
    expect(
      (
        await api()
          .get('/api/users/')
          .set('Authorization', await bearer(nobody))
          .expect(403)
      ).body,
    ).to.deep.equal(FORBIDDEN);
  });

  it('lists users in pages with absolute next and previous links', async () => {
    const viewer = await userWith('view_user');
    for (let i = 0; i < 4; i++) await makeUser();
    const authorization = await bearer(viewer);
    const first = await api()
      .get('/api/users/?page_size=2')
      .set('Authorization', authorization)
      .set('Host', 'api.example.com')
      .expect(200);
    expect(first.body.count).to.equal(5);
    expect(first.body.results).to.have.length(2);
    expect(first.body.results[0]).to.have.all.keys(...USER_KEYS);
    expect(first.body.previous).to.equal(null);
    expect(first.body.next).to.equal('http://api.example.com/api/users/?page_size=2&page=2');
    const last = await api().get('/api/users/?page_size=2&page=3').set('Authorization', authorization).expect(200);
    expect(last.body.next).to.equal(null);
    expect(last.body.previous).to.match(/\/api\/users\/\?page_size=2&page=2$/);
    const past = await api().get('/api/users/?page=9').set('Authorization', authorization).expect(404);
    expect(past.body).to.deep.equal({ detail: 'Invalid page.' });
  });

  it('honours X-Forwarded-Proto in links only with TRUST_PROXY, X-Forwarded-Host only with USE_X_FORWARDED_HOST too', async () => {
    const viewer = await userWith('view_user');
    await makeUser();
    const headers = {
      Authorization: await bearer(viewer),
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': 'backoffice.example.com',
    };
    const forwarded = await api({ TRUST_PROXY: 'true', USE_X_FORWARDED_HOST: 'true' })
      .get('/api/users/?page_size=1')
      .set(headers)
      .expect(200);
    expect(forwarded.body.next).to.match(/^https:\/\/backoffice\.example\.com\/api\/users\//);
    const trusted = await api({ TRUST_PROXY: 'true' }).get('/api/users/?page_size=1').set(headers).expect(200);
    expect(trusted.body.next).to.match(/^https:\/\/127\.0\.0\.1:\d+\/api\/users\//);
    const untrusted = await api().get('/api/users/?page_size=1').set(headers).expect(200);
    expect(untrusted.body.next).not.to.include('backoffice.example.com');
  });

  it('caps page_size at 100', async () => {
    const viewer = await userWith('view_user');
    // 105 users in all, so that a cap missing or above 100 shows.
    const rows = Array.from({ length: 104 }, (_, i) => ({
      username: `bulk${i}`,
      password: '!',
      email: '',
      first_name: '',
      last_name: '',
      is_active: true,
      is_staff: false,
      is_superuser: false,
    }));
    await testKnex()('auth_user').insert(rows);
    const res = await api()
      .get('/api/users/?page_size=1000')
      .set('Authorization', await bearer(viewer))
      .expect(200);
    expect(res.body.count).to.equal(105);
    expect(res.body.results).to.have.length(100);
    expect(res.body.next).to.be.a('string');
    const exact = await api()
      .get('/api/users/?page_size=100')
      .set('Authorization', await bearer(viewer))
      .expect(200);
    expect(exact.body.results).to.have.length(100);
  });

  it('searches username, email and names case-insensitively, every term matching', async () => {
    const viewer = await userWith('view_user');
    await makeUser({ username: 'jdoe', first_name: 'John', last_name: 'Doe' });
    await makeUser({ username: 'jane', first_name: 'Jane', email: 'jane@corp.example' });
    const authorization = await bearer(viewer);
    const names = async (query: string) =>
      (await api().get(`/api/users/?${query}`).set('Authorization', authorization).expect(200)).body.results.map(
        (u: { username: string }) => u.username,
      );
    expect(await names('search=JOHN')).to.deep.equal(['jdoe']);
    expect(await names('search=corp.example')).to.deep.equal(['jane']);
    expect(await names('search=j%20doe')).to.deep.equal(['jdoe']);
    expect(await names('search=100%25')).to.deep.equal([]);
  });

  it('filters by is_active and group, and orders', async () => {
    await makeGroup('managers');
    await makeGroup('staff');
    const viewer = await userWith('view_user');
    await makeUser({ username: 'bob', groups: ['managers', 'staff'] });
    await makeUser({ username: 'carol', is_active: false });
    const authorization = await bearer(viewer);
    const names = async (query: string) =>
      (await api().get(`/api/users/?${query}`).set('Authorization', authorization).expect(200)).body.results.map(
        (u: { username: string }) => u.username,
      );
    expect(await names('is_active=false')).to.deep.equal(['carol']);
    // django-filter's BooleanWidget, as DRF's filter backend reads booleans: any case, or 1 and 0.
    expect(await names('is_active=FALSE')).to.deep.equal(['carol']);
    expect(await names('is_active=0')).to.deep.equal(['carol']);
    expect(await names('is_active=True')).to.deep.equal([viewer.username, 'bob']);
    expect(await names('is_active=yes')).to.deep.equal([viewer.username, 'bob', 'carol']);
    // A member of several groups is listed once.
    expect(await names('group=managers')).to.deep.equal(['bob']);
    expect(await names('group=staff&is_active=true&search=bo')).to.deep.equal(['bob']);
    expect(await names('group=nope')).to.deep.equal([]);
    expect(await names('group=Managers')).to.deep.equal([]);
    expect(await names('ordering=-username')).to.deep.equal([viewer.username, 'carol', 'bob']);
    expect(await names('ordering=username')).to.deep.equal(['bob', 'carol', viewer.username]);
    expect(await names('ordering=password')).to.deep.equal([viewer.username, 'bob', 'carol']);
  });
});

describe('POST /api/users/', () => {
  it('requires add_user', async () => {
    const viewer = await userWith('view_user');
    await api()
      .post('/api/users/')
      .set('Authorization', await bearer(viewer))
      .send({ username: 'x', password: PASSWORD })
      .expect(403);
  });

  it('creates a user (201) with groups, and the password works', async () => {
    await makeGroup('viewer');
    const admin = await userWith('add_user');
    const res = await api()
      .post('/api/users/')
      .set('Authorization', await bearer(admin))
      .send({
        username: 'new.user@x',
        password: 'Str0ng-enough-pw',
        email: 'n@example.com',
        groups: ['viewer'],
        first_name: 'N',
      })
      .expect(201);
    expect(res.body).to.have.all.keys(...USER_KEYS);
    expect(res.body).to.include({ username: 'new.user@x', email: 'n@example.com', is_active: true, is_staff: false });
    expect(res.body.groups).to.deep.equal(['viewer']);
    await api().post('/api/token/').send({ username: 'new.user@x', password: 'Str0ng-enough-pw' }).expect(200);
    const stored = await testKnex()('auth_user').where({ id: res.body.id }).first('password');
    expect(stored.password).to.match(/^\$argon2id\$/);
  });

  it("answers DRF's messages for missing, blank, long and malformed fields", async () => {
    const authorization = await bearer(await userWith('add_user'));
    const missing = await api().post('/api/users/').set('Authorization', authorization).send({}).expect(400);
    expect(missing.body).to.deep.equal({
      username: ['This field is required.'],
      password: ['This field is required.'],
    });
    const bad = await api()
      .post('/api/users/')
      .set('Authorization', authorization)
      .send({
        username: 'bad name!',
        password: PASSWORD,
        email: 'x@',
        first_name: 'f'.repeat(151),
        is_staff: 'maybe',
        groups: 'viewer',
      })
      .expect(400);
    expect(bad.body).to.deep.equal({
      username: ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'],
      email: ['Enter a valid email address.'],
      first_name: ['Ensure this field has no more than 150 characters.'],
      is_staff: ['Must be a valid boolean.'],
      groups: ['Expected a list of items but got type "str".'],
    });
    const blank = await api()
      .post('/api/users/')
      .set('Authorization', authorization)
      .send({ username: '  ', password: PASSWORD })
      .expect(400);
    expect(blank.body).to.deep.equal({ username: ['This field may not be blank.'] });
    const long = await api()
      .post('/api/users/')
      .set('Authorization', authorization)
      .send({ username: 'u'.repeat(151), password: PASSWORD })
      .expect(400);
    expect(long.body).to.deep.equal({ username: ['Ensure this field has no more than 150 characters.'] });
  });

  it('reports a duplicate username, an unknown group and a weak password together', async () => {
    await makeUser({ username: 'taken' });
    const authorization = await bearer(await userWith('add_user'));
    const res = await api()
      .post('/api/users/')
      .set('Authorization', authorization)
      .send({ username: 'taken', password: 'taken123', groups: ['ghosts'] })
      .expect(400);
    expect(res.body).to.deep.equal({
      username: ['A user with that username already exists.'],
      groups: ['Object with name=ghosts does not exist.'],
      password: ['The password is too similar to the username.'],
    });
  });

  it('reports malformed fields and what the database finds in the others in one 400, as DRF does', async () => {
    await makeUser({ username: 'taken' });
    const authorization = await bearer(await userWith('add_user', 'change_user'));
    const res = await api()
      .post('/api/users/')
      .set('Authorization', authorization)
      .send({ username: 'taken', password: 'taken123', email: 'nope', groups: ['ghosts'], is_staff: 'maybe' })
      .expect(400);
    expect(res.body).to.deep.equal({
      username: ['A user with that username already exists.'],
      password: ['The password is too similar to the username.'],
      email: ['Enter a valid email address.'],
      is_staff: ['Must be a valid boolean.'],
      groups: ['Object with name=ghosts does not exist.'],
    });
    expect(Object.keys(res.body), 'in the order of the fields').to.deep.equal([
      'username',
      'password',
      'email',
      'is_staff',
      'groups',
    ]);
    const bob = await makeUser({ username: 'bob' });
    const patched = await api()
      .patch(`/api/users/${bob.id}/`)
      .set('Authorization', authorization)
      .send({ username: 'taken', email: 'nope' })
      .expect(400);
    expect(patched.body).to.deep.equal({
      username: ['A user with that username already exists.'],
      email: ['Enter a valid email address.'],
    });
    const own = await api()
      .patch(`/api/users/${bob.id}/`)
      .set('Authorization', authorization)
      .send({ username: 'bob', password: 'bob', email: 'nope' })
      .expect(400);
    expect(own.body.username, "keeping one's own username is no conflict").to.equal(undefined);
    expect(own.body.password).to.include('The password is too similar to the username.');
    // DRF looks the user up before it validates.
    await api().put('/api/users/999999/').set('Authorization', authorization).send({ email: 'nope' }).expect(404);
    expect(await testKnex()('auth_user').where({ username: 'taken' }).pluck('id')).to.have.length(1);
  });

  it('lets only a superuser create a superuser', async () => {
    const manager = await userWith('add_user');
    await api()
      .post('/api/users/')
      .set('Authorization', await bearer(manager))
      .send({ username: 'root2', password: PASSWORD, is_superuser: true })
      .expect(403);
    const root = await makeUser({ is_superuser: true });
    const res = await api()
      .post('/api/users/')
      .set('Authorization', await bearer(root))
      .send({ username: 'root2', password: PASSWORD, is_superuser: true })
      .expect(201);
    expect(res.body.is_superuser).to.equal(true);
  });
});

describe('/api/users/{id}/', () => {
  it('retrieves with view_user; 404 for unknown and non-numeric ids', async () => {
    const viewer = await userWith('view_user');
    const target = await makeUser({ username: 'target' });
    const authorization = await bearer(viewer);
    expect(
      (await api().get(`/api/users/${target.id}/`).set('Authorization', authorization).expect(200)).body.username,
    ).to.equal('target');
    expect((await api().get('/api/users/99999/').set('Authorization', authorization).expect(404)).body).to.deep.equal({
      detail: 'Not found.',
    });
    expect((await api().get('/api/users/abc/').set('Authorization', authorization).expect(404)).body).to.deep.equal({
      detail: 'Not found.',
    });
  });

  it('PATCH changes given fields with change_user; a password set by an admin logs the user out', async () => {
    await makeGroup('g1');
    const admin = await userWith('change_user');
    const target = await makeUser({ username: 'target' });
    const targetTokens = await tokensFor(target);
    const res = await api()
      .patch(`/api/users/${target.id}/`)
      .set('Authorization', await bearer(admin))
      .send({ first_name: 'T', groups: ['g1'], is_active: 'false', password: 'An0ther-good-one' })
      .expect(200);
    expect(res.body).to.include({ first_name: 'T', is_active: false, username: 'target' });
    expect(res.body.groups).to.deep.equal(['g1']);
    await api().post('/api/token/refresh/').send({ refresh: targetTokens.refresh }).expect(401);
  });

  it('PUT requires the username; the password may be left out', async () => {
    const admin = await userWith('change_user');
    const target = await makeUser({ username: 'target' });
    const authorization = await bearer(admin);
    expect(
      (
        await api()
          .put(`/api/users/${target.id}/`)
          .set('Authorization', authorization)
          .send({ email: 'a@b.co' })
          .expect(400)
      ).body,
    ).to.deep.equal({
      username: ['This field is required.'],
    });
    const res = await api()
      .put(`/api/users/${target.id}/`)
      .set('Authorization', authorization)
      .send({ username: 'renamed', email: 'a@b.co' })
      .expect(200);
    expect(res.body).to.include({ username: 'renamed', email: 'a@b.co' });
    await api().post('/api/token/').send({ username: 'renamed', password: PASSWORD }).expect(200);
  });

  it('lets a non-superuser grant only what it holds, never its own privileges, never on a user with more rights (403, nothing written)', async () => {
    const manager = await userWith('add_user', 'change_user', 'view_user');
    const authorization = await bearer(manager);
    const strong = await makeGroup('strong', ['delete_user']);
    const weak = await makeGroup('weak', ['view_user']);
    const count = async () => Number((await testKnex()('auth_user').count({ n: '*' }))[0]!.n);
    const users = await count();
    // Creating: a group granting what the actor lacks, staff (the actor is not staff).
    expect(
      (
        await api()
          .post('/api/users/')
          .set('Authorization', authorization)
          .send({ username: 'x1', password: PASSWORD, groups: ['strong'] })
          .expect(403)
      ).body,
    ).to.deep.equal(FORBIDDEN);
    await api()
      .post('/api/users/')
      .set('Authorization', authorization)
      .send({ username: 'x2', password: PASSWORD, is_staff: true })
      .expect(403);
    expect(await count()).to.equal(users);
    await api()
      .post('/api/users/')
      .set('Authorization', authorization)
      .send({ username: 'x3', password: PASSWORD, groups: ['weak'] })
      .expect(201);
    // Changing another user: into a group granting more; itself: groups or staff flag, even to drop them.
    const peer = await makeUser({ username: 'peer' });
    await api()
      .patch(`/api/users/${peer.id}/`)
      .set('Authorization', authorization)
      .send({ groups: [strong.name] })
      .expect(403);
    expect((await testKnex()('auth_user_groups').where({ user_id: peer.id })).length).to.equal(0);
    await api()
      .patch(`/api/users/${manager.id}/`)
      .set('Authorization', authorization)
      .send({ groups: [...manager.groups, weak.name] })
      .expect(403);
    await api().patch(`/api/users/${manager.id}/`).set('Authorization', authorization).send({ groups: [] }).expect(403);
    await api()
      .patch(`/api/users/${manager.id}/`)
      .set('Authorization', authorization)
      .send({ is_staff: true })
      .expect(403);
    // Its own name, with its groups as they are, is fine.
    await api()
      .patch(`/api/users/${manager.id}/`)
      .set('Authorization', authorization)
      .send({ first_name: 'Me', groups: manager.groups })
      .expect(200);
    // A user holding a permission the actor lacks cannot be changed (its password set) by it.
    const stronger = await makeUser({ username: 'stronger', groups: ['strong'] });
    await api()
      .patch(`/api/users/${stronger.id}/`)
      .set('Authorization', authorization)
      .send({ password: 'An0ther-good-one' })
      .expect(403);
    await api().post('/api/token/').send({ username: 'stronger', password: PASSWORD }).expect(200);
  });

  it('refuses a non-superuser changing or deleting a superuser', async () => {
    const admin = await userWith('change_user', 'delete_user');
    const root = await makeUser({ is_superuser: true });
    const authorization = await bearer(admin);
    await api()
      .patch(`/api/users/${root.id}/`)
      .set('Authorization', authorization)
      .send({ first_name: 'x' })
      .expect(403);
    await api().delete(`/api/users/${root.id}/`).set('Authorization', authorization).expect(403);
  });

  it("DELETE removes the user (204) with delete_user, and the user's token stops working", async () => {
    const admin = await userWith('delete_user');
    const target = await makeUser();
    const targetAuth = await bearer(target);
    await api()
      .delete(`/api/users/${target.id}/`)
      .set('Authorization', await bearer(admin))
      .expect(204);
    await api().get('/api/users/me/').set('Authorization', targetAuth).expect(401);
    await api()
      .delete(`/api/users/${target.id}/`)
      .set('Authorization', await bearer(admin))
      .expect(404);
  });
});

describe('POST /api/users/{id}/logout-all/', () => {
  it('requires blacklist_token', async () => {
    const target = await makeUser();
    await api()
      .post(`/api/users/${target.id}/logout-all/`)
      .set('Authorization', await bearer(await userWith('view_user')))
      .expect(403);
  });

  it('refuses a non-superuser logging out a superuser', async () => {
    const operator = await userWith('blacklist_token');
    const root = await makeUser({ is_superuser: true });
    const tokens = await tokensFor(root);
    expect(
      (
        await api()
          .post(`/api/users/${root.id}/logout-all/`)
          .set('Authorization', await bearer(operator))
          .expect(403)
      ).body,
    ).to.deep.equal(FORBIDDEN);
    await api().get('/api/users/me/').set('Authorization', `Bearer ${tokens.access}`).expect(200);
  });

  it('blacklists every session of the user; their access tokens die at once', async () => {
    const operator = await userWith('blacklist_token');
    const target = await makeUser();
    const a = await tokensFor(target);
    const b = await tokensFor(target);
    const res = await api()
      .post(`/api/users/${target.id}/logout-all/`)
      .set('Authorization', await bearer(operator))
      .expect(200);
    expect(res.body).to.deep.equal({ blacklisted: 2 });
    for (const t of [a, b]) {
      await api().get('/api/users/me/').set('Authorization', `Bearer ${t.access}`).expect(401);
      await api().post('/api/token/refresh/').send({ refresh: t.refresh }).expect(401);
    }
  });
});

describe('GET /api/users/: bounded filters', () => {
  const MAX_LENGTH = (n: number) => `Ensure this field has no more than ${n} characters.`;
  const MAX_ITEMS = (n: number) => `Ensure this field has no more than ${n} elements.`;

  async function list(query: string, expected: number) {
    const viewer = await userWith('view_user');
    return api()
      .get(`/api/users/?${query}`)
      .set('Authorization', await bearer(viewer))
      .expect(expected);
  }

  it('refuses a search of 3,800 terms at once, with both bounds it breaks', async () => {
    const started = performance.now();
    const res = await list(`search=${Array(3_800).fill('a').join(',')}`, 400);
    expect(res.body).to.deep.equal({ search: [MAX_LENGTH(200), MAX_ITEMS(10)] });
    expect(performance.now() - started).to.be.below(5_000);
  });

  it('refuses an eleventh term and a 201st character; a term is whatever whitespace or commas separate', async () => {
    expect((await list(`search=${Array(11).fill('a').join('%20')}`, 400)).body).to.deep.equal({
      search: [MAX_ITEMS(10)],
    });
    expect((await list(`search=${'a'.repeat(201)}`, 400)).body).to.deep.equal({ search: [MAX_LENGTH(200)] });
    // Separators alone make no term; NUL is removed before the terms are counted.
    await list(`search=${',%20'.repeat(60)}a`, 200);
    await list(`search=${Array(10).fill('a').join('%00,')}`, 200);
  });

  it('answers a search of ten terms, every term matching one of the fields', async () => {
    const viewer = await userWith('view_user');
    await makeUser({ username: 'jdoe', first_name: 'John', last_name: 'Doe', email: 'john@corp.example' });
    await makeUser({ username: 'jane', first_name: 'Jane', last_name: 'Doe', email: 'jane@corp.example' });
    const names = async (search: string) =>
      (
        await api()
          .get(`/api/users/?search=${encodeURIComponent(search)}`)
          .set('Authorization', await bearer(viewer))
          .expect(200)
      ).body.results.map((u: { username: string }) => u.username);
    const ten = 'jdoe JOHN doe corp example john@ j,o,h,n';
    expect(ten.split(/[\s,]+/)).to.have.length(10);
    expect(await names(ten)).to.deep.equal(['jdoe']);
    expect(await names('doe corp example j e @ . m p l')).to.deep.equal(['jdoe', 'jane']);
    expect(await names('doe corp example j e @ . m p zz')).to.deep.equal([]);
  });

  it('refuses more ordering fields than there are to sort by; a repeated field sorts once', async () => {
    const viewer = await userWith('view_user');
    await makeUser({ username: 'bob' });
    await makeUser({ username: 'carol' });
    const authorization = await bearer(viewer);
    const get = (ordering: string) => api().get(`/api/users/?ordering=${ordering}`).set('Authorization', authorization);
    const nine = [
      '-username',
      'id',
      'email',
      'first_name',
      'last_name',
      'date_joined',
      'last_login',
      'is_active',
      'is_staff',
    ];
    const res = await get(nine.join(',')).expect(200);
    expect(res.body.results.map((u: { username: string }) => u.username)).to.deep.equal([
      viewer.username,
      'carol',
      'bob',
    ]);
    // Unknown fields are still ignored, but count: the bound is on what the client sends.
    expect((await get([...nine, 'password'].join(',')).expect(400)).body).to.deep.equal({ ordering: [MAX_ITEMS(9)] });
    expect((await get(Array(50).fill('id').join(',')).expect(400)).body).to.deep.equal({ ordering: [MAX_ITEMS(9)] });
    const twice = await get('-username,username').expect(200);
    expect(twice.body.results.map((u: { username: string }) => u.username)).to.deep.equal([
      viewer.username,
      'carol',
      'bob',
    ]);
  });

  it('bounds group and is_active too; an empty group filters nothing, as django-filter skips it', async () => {
    expect((await list(`group=${'g'.repeat(201)}`, 400)).body).to.deep.equal({ group: [MAX_LENGTH(200)] });
    expect((await list(`is_active=${'t'.repeat(201)}`, 400)).body).to.deep.equal({ is_active: [MAX_LENGTH(200)] });
    expect((await list(`ordering=${'x'.repeat(201)}`, 400)).body).to.deep.equal({ ordering: [MAX_LENGTH(200)] });
    const all = await list('group=', 200);
    expect(all.body.count).to.equal((await testKnex()('auth_user').pluck('id')).length);
  });
});

describe('usernames: NFKC and case-insensitive uniqueness', () => {
  const TAKEN = { username: ['A user with that username already exists.'] };

  async function manager() {
    return bearer(await userWith('add_user', 'change_user', 'view_user'));
  }

  it('stores fullwidth and Kelvin-sign names in NFKC form', async () => {
    const authorization = await manager();
    const fullwidth = await api()
      .post('/api/users/')
      .set('Authorization', authorization)
      .send({ username: 'ａｄｍｉｎ', password: PASSWORD })
      .expect(201);
    expect(fullwidth.body.username).to.equal('admin');
    const kelvin = await api()
      .post('/api/users/')
      .set('Authorization', authorization)
      .send({ username: '\u212Aelvin', password: PASSWORD })
      .expect(201);
    expect(kelvin.body.username).to.equal('Kelvin');
    expect(await testKnex()('auth_user').whereIn('username', ['admin', 'Kelvin']).pluck('username')).to.have.members([
      'admin',
      'Kelvin',
    ]);
  });

  it('checks length and characters on the normalised name', async () => {
    const authorization = await manager();
    // U+FB03 (the ffi ligature) is three letters once normalised: 51 of them are 153.
    const long = await api()
      .post('/api/users/')
      .set('Authorization', authorization)
      .send({ username: '\uFB03'.repeat(51), password: PASSWORD })
      .expect(400);
    expect(long.body).to.deep.equal({ username: ['Ensure this field has no more than 150 characters.'] });
    // The ideographic space is a space once normalised, which a username may not hold.
    const spaced = await api()
      .post('/api/users/')
      .set('Authorization', authorization)
      .send({ username: 'ａ\u3000ｂ', password: PASSWORD })
      .expect(400);
    expect(spaced.body).to.deep.equal({
      username: ['Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.'],
    });
  });

  it('refuses a create whose name is an existing one in another case or spelling', async () => {
    await makeUser({ username: 'admin' });
    const authorization = await manager();
    for (const username of ['Admin', 'ADMIN', 'ＡＤＭＩＮ', 'admin']) {
      const res = await api()
        .post('/api/users/')
        .set('Authorization', authorization)
        .send({ username, password: PASSWORD })
        .expect(400);
      expect(res.body, username).to.deep.equal(TAKEN);
    }
    expect(await testKnex()('auth_user').whereRaw('lower(username) = ?', ['admin']).pluck('username')).to.deep.equal([
      'admin',
    ]);
  });

  it('refuses a rename (PUT and PATCH) onto another user’s name in any case; a user may change its own case', async () => {
    await makeUser({ username: 'admin' });
    const target = await makeUser({ username: 'target' });
    const authorization = await manager();
    const patch = (username: string) =>
      api().patch(`/api/users/${target.id}/`).set('Authorization', authorization).send({ username });
    expect((await patch('Admin').expect(400)).body).to.deep.equal(TAKEN);
    expect((await patch('ａｄｍｉｎ').expect(400)).body).to.deep.equal(TAKEN);
    const put = await api()
      .put(`/api/users/${target.id}/`)
      .set('Authorization', authorization)
      .send({ username: 'ADMIN' })
      .expect(400);
    expect(put.body).to.deep.equal(TAKEN);
    expect((await patch('TARGET').expect(200)).body.username).to.equal('TARGET');
    expect((await patch('ｔａｒｇｅｔ').expect(200)).body.username).to.equal('target');
  });

  it('lets exactly one of concurrent creates of Admin, admin and their look-alikes through', async () => {
    const authorization = await manager();
    const create = (username: string) =>
      api().post('/api/users/').set('Authorization', authorization).send({ username, password: PASSWORD });
    const answers = await Promise.all(['Admin', 'admin', 'ＡＤＭＩＮ', 'aDmin', 'adMIN'].map(create));
    expect(answers.map((r) => r.status).sort()).to.deep.equal([201, 400, 400, 400, 400]);
    for (const refused of answers.filter((r) => r.status === 400)) expect(refused.body).to.deep.equal(TAKEN);
    expect(await testKnex()('auth_user').whereRaw('lower(username) = ?', ['admin']).pluck('username')).to.have.length(
      1,
    );
  });
});
