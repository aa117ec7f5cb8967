/**
 * The admin panel over HTTP: who may enter, what each permission allows, CSRF, the audit log, and
 * that its actions take effect on the API at once.
 */
import { expect } from 'chai';
import { api, bearer, makeGroup, makeUser, PASSWORD, tokensFor } from '../support/app.js';
import { testKnex } from '../support/hooks.js';
import { adminLogin, cookieHeader, encodeForm, ORIGIN } from './support.js';

async function superuser() {
  return makeUser({ username: 'root', is_staff: true, is_superuser: true });
}

/** A staff user holding exactly the given permissions (through a group). */
async function staffWith(...codenames: string[]) {
  await makeGroup('operators', codenames);
  return makeUser({ username: 'operator', is_staff: true, groups: ['operators'] });
}

async function auditRows() {
  return testKnex()('admin_log').orderBy('id');
}

describe('admin panel: login and access', () => {
  it('serves the login page and Pico CSS from this server, with a CSP that allows no scripts', async () => {
    const page = await api().get('/admin/login/');
    expect(page.status).to.equal(200);
    expect(page.type).to.equal('text/html');
    expect(page.text).to.include('href="/admin/static/pico.min.css"');
    expect(page.headers['content-security-policy']).to.include("default-src 'none'").and.include("style-src 'self'");
    expect(page.headers['content-security-policy']).not.to.include('script-src');
    const css = await api().get('/admin/static/pico.min.css');
    expect(css.status).to.equal(200);
    expect(css.type).to.equal('text/css');
    expect(css.text).to.include('Pico CSS');
  });

  it('logs a staff user in with the API cookies and records the login', async () => {
    const root = await superuser();
    const res = await api()
      .post('/admin/login/')
      .set(ORIGIN)
      .type('form')
      .send(encodeForm({ username: 'root', password: PASSWORD, next: '/admin/users/' }));
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/admin/users/');
    expect(cookieHeader(res)).to.match(/access_token=.+; refresh_token=.+/);
    // The cookies are the API's: the same access token authenticates /api/users/me/.
    const me = await api().get('/api/users/me/').set('Cookie', cookieHeader(res));
    expect(me.status).to.equal(200);
    expect(me.body.username).to.equal('root');
    const [entry] = await auditRows();
    expect(entry).to.include({ actor_id: root.id, actor_username: 'root', action: 'login', target_type: 'user' });
  });

  it('answers wrong credentials with Django’s message and no cookies', async () => {
    await superuser();
    const res = await api()
      .post('/admin/login/')
      .set(ORIGIN)
      .type('form')
      .send(encodeForm({ username: 'root', password: 'wrong-password' }));
    expect(res.status).to.equal(200);
    expect(res.text).to.include('Please enter the correct username and password for a staff account.');
    expect(res.headers['set-cookie']).to.equal(undefined);
  });

  it('refuses a non-staff user with a clear page, sets no cookies and closes the new session', async () => {
    const user = await makeUser({ username: 'alice' });
    const res = await api()
      .post('/admin/login/')
      .set(ORIGIN)
      .type('form')
      .send(encodeForm({ username: 'alice', password: PASSWORD }));
    expect(res.status).to.equal(403);
    expect(res.text).to.include('not a staff account');
    expect(res.headers['set-cookie']).to.equal(undefined);
    const sessions = await testKnex()('token_blacklist_outstandingtoken as o')
      .leftJoin('token_blacklist_blacklistedtoken as b', 'b.token_id', 'o.id')
      .where('o.user_id', user.id)
      .select('b.id as blacklisted');
    expect(sessions).to.have.length(1);
    expect(sessions[0].blacklisted).to.not.equal(null);
  });

  it('refuses a non-staff user who is logged into the API', async () => {
    const alice = await makeUser({ username: 'alice' });
    const tokens = await tokensFor(alice);
    const res = await api().get('/admin/users/').set('Cookie', `access_token=${tokens.access}`);
    expect(res.status).to.equal(403);
    expect(res.text).to.include('You are authenticated as <strong>alice</strong>').and.include('not a staff account');
  });

  it('sends anonymous visitors to the login page and refuses their forms', async () => {
    const page = await api().get('/admin/users/?q=x');
    expect(page.status).to.equal(302);
    expect(page.headers.location).to.equal('/admin/login/?next=%2Fadmin%2Fusers%2F%3Fq%3Dx');
    const form = await api().post('/admin/users/add/').set(ORIGIN).type('form').send('username=x');
    expect(form.status).to.equal(403);
    expect(await testKnex()('auth_user').where({ username: 'x' }).first()).to.equal(undefined);
  });

  it('never redirects outside the panel after login', async () => {
    await superuser();
    for (const next of ['https://evil.example/', '//evil.example/', '/admin//evil.example', '/api/users/']) {
      const res = await api()
        .post('/admin/login/')
        .set(ORIGIN)
        .type('form')
        .send(encodeForm({ username: 'root', password: PASSWORD, next }));
      expect(res.headers.location, next).to.equal('/admin/');
    }
  });

  it('refuses a login form from a foreign origin', async () => {
    await superuser();
    const res = await api()
      .post('/admin/login/')
      .set('Origin', 'https://evil.example')
      .type('form')
      .send(encodeForm({ username: 'root', password: PASSWORD }));
    expect(res.status).to.equal(403);
    expect(res.headers['set-cookie']).to.equal(undefined);
  });

  it('renews an expired access cookie from the refresh cookie', async () => {
    await superuser();
    const admin = await adminLogin({ username: 'root' });
    const refreshOnly = admin.cookie
      .split('; ')
      .filter((c) => c.startsWith('refresh_token='))
      .join('; ');
    const res = await admin.client.get('/admin/').set('Cookie', `access_token=expired.or.garbage; ${refreshOnly}`);
    expect(res.status).to.equal(200);
    expect(cookieHeader(res)).to.include('access_token=');
  });

  it('logs out: cookies cleared, the session blacklisted, the logout recorded', async () => {
    await superuser();
    const admin = await adminLogin({ username: 'root' });
    const res = await admin.post('/admin/logout/');
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/admin/login/');
    expect(await admin.get('/admin/').then((r) => r.status)).to.equal(302);
    expect((await auditRows()).map((e) => e.action)).to.deep.equal(['login', 'logout']);
  });

  it('counts a refresh token that is already invalid as logged out', async () => {
    await superuser();
    const admin = await adminLogin({ username: 'root' });
    const accessOnly = admin.cookie
      .split('; ')
      .filter((c) => c.startsWith('access_token='))
      .join('; ');
    const res = await admin.client
      .post('/admin/logout/')
      .set('Cookie', `${accessOnly}; refresh_token=expired.or.garbage`)
      .set(ORIGIN)
      .type('form')
      .send(encodeForm({ csrfmiddlewaretoken: admin.csrf }));
    expect(res.status, res.text).to.equal(302);
    expect(res.headers.location).to.equal('/admin/login/');
    expect(cookieHeader(res).split('; ')).to.deep.equal(['access_token=', 'refresh_token=']);
  });

  it('answers unknown admin pages with an HTML 404', async () => {
    await superuser();
    const admin = await adminLogin({ username: 'root' });
    for (const path of ['/admin/nothing-here/', '/admin/users/999/', '/admin/users/abc/', '/admin/static/other.css']) {
      const res = await admin.get(path);
      expect(res.status, path).to.equal(404);
      expect(res.type, path).to.equal('text/html');
    }
  });
});

describe('admin panel: password throttling', () => {
  const env = { THROTTLE_LOGIN_PER_USER: '5/m' };

  it("refuses a username's login after five failures, with the throttled message, 429 and Retry-After", async () => {
    await superuser();
    const client = api(env);
    const login = (password: string) =>
      client
        .post('/admin/login/')
        .set(ORIGIN)
        .type('form')
        .send(encodeForm({ username: 'root', password }));
    for (let i = 0; i < 5; i++) expect((await login(`wrong-${i}`)).status).to.equal(200);
    const refused = await login(PASSWORD);
    expect(refused.status).to.equal(429);
    expect(refused.text).to.match(/Request was throttled\. Expected available in \d+ seconds?\./);
    expect(Number(refused.headers['retry-after'])).to.be.within(1, 60);
    expect(refused.headers['set-cookie']).to.equal(undefined);
  });

  it('counts in the bucket the API password change uses', async () => {
    const root = await superuser();
    const client = api(env);
    const authorization = await bearer(root);
    for (let i = 0; i < 3; i++) {
      await client
        .post('/api/users/me/password/')
        .set('Authorization', authorization)
        .send({ old_password: `wrong-${i}`, new_password: 'a-Brand-new-secret-7' })
        .expect(400);
    }
    const login = (password: string) =>
      client
        .post('/admin/login/')
        .set(ORIGIN)
        .type('form')
        .send(encodeForm({ username: 'root', password }));
    expect((await login('wrong-a')).status).to.equal(200);
    expect((await login('wrong-b')).status).to.equal(200);
    expect((await login(PASSWORD)).status).to.equal(429);
  });
});

describe('admin panel: permissions', () => {
  it('shows a staff user without permissions only the home page', async () => {
    await makeUser({ username: 'plain', is_staff: true });
    const admin = await adminLogin({ username: 'plain' });
    const home = await admin.get('/admin/');
    expect(home.text).not.to.include('href="/admin/users/"');
    for (const path of [
      '/admin/users/',
      '/admin/users/add/',
      '/admin/groups/',
      '/admin/tokens/',
      '/admin/tokens/blacklisted/',
      '/admin/log/',
    ]) {
      const res = await admin.get(path);
      expect(res.status, path).to.equal(403);
      expect(res.text).to.include('You do not have permission to perform this action.');
    }
  });

  it('lets view_user see users but not change, deactivate, delete or log them out', async () => {
    await staffWith('view_user');
    const target = await makeUser({ username: 'target' });
    const admin = await adminLogin({ username: 'operator' });
    expect((await admin.get('/admin/users/')).status).to.equal(200);
    const page = await admin.get(`/admin/users/${target.id}/`);
    expect(page.status).to.equal(200);
    expect(page.text).to.include('You may view this user but not change it.');
    const attempts = [
      [`/admin/users/${target.id}/`, { username: 'renamed', is_active: 'on' }],
      [`/admin/users/${target.id}/deactivate/`, {}],
      [`/admin/users/${target.id}/delete/`, {}],
      [`/admin/users/${target.id}/logout-all/`, {}],
      [`/admin/users/${target.id}/password/`, { password1: 'new-Password-42', password2: 'new-Password-42' }],
      ['/admin/users/add/', { username: 'new', password: PASSWORD, password2: PASSWORD }],
    ] as const;
    for (const [path, form] of attempts) expect((await admin.post(path, form)).status, path).to.equal(403);
    expect(await testKnex()('auth_user').where({ id: target.id }).first('username', 'is_active')).to.deep.equal({
      username: 'target',
      is_active: true,
    });
    expect(await auditRows()).to.have.length(1); // the login only
  });

  it('lets blacklist_token log a user out everywhere without other user permissions', async () => {
    await staffWith('blacklist_token');
    const target = await makeUser({ username: 'target' });
    const header = await bearer(target);
    const admin = await adminLogin({ username: 'operator' });
    const res = await admin.post(`/admin/users/${target.id}/logout-all/`);
    expect(res.status).to.equal(302);
    expect((await api().get('/api/users/me/').set('Authorization', header)).status).to.equal(401);
  });

  it('keeps a non-superuser from granting superuser status or touching a superuser', async () => {
    await staffWith('view_user', 'change_user', 'add_user');
    const target = await makeUser({ username: 'target' });
    const boss = await makeUser({ username: 'boss', is_superuser: true, is_staff: true });
    const admin = await adminLogin({ username: 'operator' });
    await admin.post(`/admin/users/${target.id}/`, { username: 'target', is_active: 'on', is_superuser: 'on' });
    expect((await testKnex()('auth_user').where({ id: target.id }).first('is_superuser')).is_superuser).to.equal(false);
    expect((await admin.post(`/admin/users/${boss.id}/deactivate/`)).status).to.equal(403);
    expect(
      (
        await admin.post(`/admin/users/${boss.id}/password/`, {
          password1: 'new-Password-42',
          password2: 'new-Password-42',
        })
      ).status,
    ).to.equal(403);
  });

  it('keeps a non-superuser from granting a permission it lacks, directly or through a group, or changing its own', async () => {
    const operator = await staffWith('view_user', 'change_user', 'add_user', 'change_group', 'view_group');
    await makeGroup('deleters', ['delete_user']);
    const target = await makeUser({ username: 'target' });
    const admin = await adminLogin({ username: 'operator' });
    const granted = async (id: number) =>
      testKnex()('auth_user_user_permissions')
        .where({ user_id: id })
        .count({ n: '*' })
        .then((r) => Number(r[0]!.n));
    const form = { username: 'target', is_active: 'on' };
    expect((await admin.post(`/admin/users/${target.id}/`, { ...form, permissions: ['delete_user'] })).status).to.equal(
      403,
    );
    expect((await admin.post(`/admin/users/${target.id}/`, { ...form, groups: ['deleters'] })).status).to.equal(403);
    expect(await granted(target.id)).to.equal(0);
    expect(await testKnex()('auth_user_groups').where({ user_id: target.id })).to.have.length(0);
    // A permission it holds itself it may grant.
    expect((await admin.post(`/admin/users/${target.id}/`, { ...form, permissions: ['view_user'] })).status).to.equal(
      302,
    );
    expect(await granted(target.id)).to.equal(1);
    // Its own record: no new direct permission, no group dropped, not even its staff flag.
    const self = { username: 'operator', is_active: 'on', is_staff: 'on', groups: ['operators'] };
    expect((await admin.post(`/admin/users/${operator.id}/`, { ...self, permissions: ['view_user'] })).status).to.equal(
      403,
    );
    expect((await admin.post(`/admin/users/${operator.id}/`, { ...self, groups: [] })).status).to.equal(403);
    expect(
      (
        await admin.post(`/admin/users/${operator.id}/`, {
          username: 'operator',
          is_active: 'on',
          groups: ['operators'],
        })
      ).status,
    ).to.equal(403);
    expect((await admin.post(`/admin/users/${operator.id}/`, { ...self, first_name: 'Op' })).status).to.equal(302);
    // Its own group gets no permission it lacks.
    const operators = await testKnex()('auth_group').where({ name: 'operators' }).first('id');
    expect(
      (
        await admin.post(`/admin/groups/${operators.id}/`, {
          name: 'operators',
          permissions: ['view_user', 'change_user', 'add_user', 'change_group', 'view_group', 'delete_user'],
        })
      ).status,
    ).to.equal(403);
    expect(await testKnex()('auth_group_permissions').where({ group_id: operators.id })).to.have.length(5);
  });

  it('requires view_logentry for the audit log', async () => {
    await staffWith('view_logentry');
    const admin = await adminLogin({ username: 'operator' });
    const res = await admin.get('/admin/log/');
    expect(res.status).to.equal(200);
    expect(res.text).to.include('operator').and.include('login');
  });
});

describe('admin panel: CSRF', () => {
  it('refuses a form without the token, with a wrong one, or with another session’s', async () => {
    await superuser();
    const target = await makeUser({ username: 'target' });
    const admin = await adminLogin({ username: 'root' });
    const other = await adminLogin({ username: 'root' });
    for (const csrf of [null, '', 'x'.repeat(43), other.csrf]) {
      const res = await admin.post(`/admin/users/${target.id}/deactivate/`, {}, { csrf });
      expect(res.status, String(csrf)).to.equal(403);
      expect(res.text).to.include('CSRF Failed');
    }
    expect((await testKnex()('auth_user').where({ id: target.id }).first('is_active')).is_active).to.equal(true);
  });

  it('refuses a form with the right token from a foreign origin or no origin', async () => {
    await superuser();
    const target = await makeUser({ username: 'target' });
    const admin = await adminLogin({ username: 'root' });
    for (const origin of ['https://evil.example', null]) {
      const res = await admin.post(`/admin/users/${target.id}/deactivate/`, {}, { origin });
      expect(res.status, String(origin)).to.equal(403);
      expect(res.text).to.include('Origin checking failed');
    }
    expect((await testKnex()('auth_user').where({ id: target.id }).first('is_active')).is_active).to.equal(true);
  });

  it('refuses a token-changing GET: every action is a POST', async () => {
    await superuser();
    const target = await makeUser({ username: 'target' });
    const admin = await adminLogin({ username: 'root' });
    for (const path of [
      `/admin/users/${target.id}/deactivate/`,
      `/admin/users/${target.id}/logout-all/`,
      '/admin/tokens/blacklist/?ids=1',
    ]) {
      expect((await admin.get(path)).status, path).to.equal(404);
    }
  });
});

describe('admin panel: users', () => {
  it('lists users with search, active, staff and group filters and pagination', async () => {
    await superuser();
    await makeGroup('editors');
    await makeUser({ username: 'anna', email: 'anna@corp.example', groups: ['editors'] });
    await makeUser({ username: 'bob', is_active: false });
    await makeUser({ username: 'carl', is_staff: true });
    for (let i = 0; i < 30; i += 1)
      await testKnex()('auth_user').insert({ username: `bulk${String(i).padStart(2, '0')}`, password: '!' });
    const admin = await adminLogin({ username: 'root' });
    const names = (html: string) =>
      [...html.matchAll(/<a href="\/admin\/users\/\d+\/">([^<]+)<\/a>/g)].map((m) => m[1]);
    expect(names((await admin.get('/admin/users/?q=corp.example')).text)).to.deep.equal(['anna']);
    expect(names((await admin.get('/admin/users/?group=editors')).text)).to.deep.equal(['anna']);
    expect(names((await admin.get('/admin/users/?is_active=false')).text)).to.deep.equal(['bob']);
    expect(names((await admin.get('/admin/users/?is_staff=true')).text)).to.deep.equal(['root', 'carl']);
    const first = await admin.get('/admin/users/');
    expect(names(first.text)).to.have.length(25);
    expect(first.text).to.include('Page 1 of 2').and.include('34 in total');
    expect(names((await admin.get('/admin/users/?page=2')).text)).to.have.length(9);
    expect((await admin.get('/admin/users/?page=99')).text).to.include('Page 2 of 2');
  });

  it('creates a user with groups and direct permissions, validating the password with Django’s validators', async () => {
    const root = await superuser();
    await makeGroup('editors');
    const admin = await adminLogin({ username: 'root' });
    const weak = await admin.post('/admin/users/add/', {
      username: 'newbie',
      password: '12345',
      password2: '12345',
      is_active: 'on',
    });
    expect(weak.status).to.equal(400);
    expect(weak.text)
      .to.include('This password is too short. It must contain at least 8 characters.')
      .and.include('This password is too common.')
      .and.include('This password is entirely numeric.');
    const mismatch = await admin.post('/admin/users/add/', {
      username: 'newbie',
      password: PASSWORD,
      password2: 'other',
    });
    expect(mismatch.text).to.include('The two password fields didn’t match.');
    const duplicate = await admin.post('/admin/users/add/', {
      username: 'root',
      password: PASSWORD,
      password2: PASSWORD,
    });
    expect(duplicate.text).to.include('A user with that username already exists.');
    const both = await admin.post('/admin/users/add/', {
      username: 'root',
      email: 'nope',
      password: PASSWORD,
      password2: PASSWORD,
    });
    expect(both.text, 'a malformed field and a database error together')
      .to.include('A user with that username already exists.')
      .and.include('Enter a valid email address.');

    const res = await admin.post('/admin/users/add/', {
      username: 'newbie',
      email: 'newbie@example.com',
      password: PASSWORD,
      password2: PASSWORD,
      is_active: 'on',
      is_staff: 'on',
      groups: 'editors',
      permissions: ['view_user', 'view_group'],
    });
    expect(res.status, res.text).to.equal(302);
    const created = await testKnex()('auth_user').where({ username: 'newbie' }).first();
    expect(res.headers.location).to.equal(`/admin/users/${created.id}/?notice=created`);
    expect(created).to.include({ email: 'newbie@example.com', is_staff: true, is_active: true, is_superuser: false });
    const me = await api()
      .get('/api/users/me/')
      .set('Authorization', await bearer({ username: 'newbie' }));
    expect(me.body.groups).to.deep.equal(['editors']);
    expect(me.body.permissions).to.deep.equal(['view_group', 'view_user']);
    const entry = (await auditRows()).at(-1);
    expect(entry).to.include({
      actor_id: root.id,
      action: 'add_user',
      target_type: 'user',
      target_id: String(created.id),
      target_repr: 'newbie',
    });
    expect(JSON.stringify(entry.details)).not.to.include(PASSWORD);
  });

  it('edits names, email, flags, groups and direct permissions, and records what changed', async () => {
    await superuser();
    await makeGroup('editors');
    const target = await makeUser({ username: 'target' });
    const admin = await adminLogin({ username: 'root' });
    const res = await admin.post(`/admin/users/${target.id}/`, {
      username: 'target',
      first_name: 'Tara',
      last_name: 'Get',
      email: 'tara@example.com',
      is_active: 'on',
      is_staff: 'on',
      groups: 'editors',
      permissions: 'blacklist_token',
    });
    expect(res.status, res.text).to.equal(302);
    const page = await admin.get(`/admin/users/${target.id}/`);
    expect(page.text).to.include('value="Tara"').and.include('value="tara@example.com"');
    expect(page.text).to.match(/value="blacklist_token" checked/);
    const entry = (await auditRows()).at(-1);
    expect(entry.action).to.equal('change_user');
    expect(entry.details.changed).to.have.members([
      'first_name',
      'last_name',
      'email',
      'is_staff',
      'groups',
      'permissions',
    ]);
    const invalid = await admin.post(`/admin/users/${target.id}/`, { username: 'bad name!', email: 'nope' });
    expect(invalid.status).to.equal(400);
    expect(invalid.text).to.include('Enter a valid username.').and.include('Enter a valid email address.');
  });

  it('sets a validated password, which logs the user out everywhere', async () => {
    await superuser();
    const target = await makeUser({ username: 'target' });
    const header = await bearer(target);
    const admin = await adminLogin({ username: 'root' });
    const weak = await admin.post(`/admin/users/${target.id}/password/`, { password1: 'target', password2: 'target' });
    expect(weak.status).to.equal(400);
    expect(weak.text).to.include('The password is too similar to the username.');
    const res = await admin.post(`/admin/users/${target.id}/password/`, {
      password1: 'brand-New-secret-77',
      password2: 'brand-New-secret-77',
    });
    expect(res.status).to.equal(302);
    expect((await api().get('/api/users/me/').set('Authorization', header)).status).to.equal(401);
    expect(
      (await api().post('/api/token/').send({ username: 'target', password: 'brand-New-secret-77' })).status,
    ).to.equal(200);
    expect((await auditRows()).at(-1).action).to.equal('set_password');
  });

  it('deactivates a user: their next API request is 401', async () => {
    await superuser();
    const target = await makeUser({ username: 'target' });
    const header = await bearer(target);
    const admin = await adminLogin({ username: 'root' });
    expect((await admin.post(`/admin/users/${target.id}/deactivate/`)).status).to.equal(302);
    expect((await api().get('/api/users/me/').set('Authorization', header)).status).to.equal(401);
    expect((await auditRows()).at(-1)).to.include({ action: 'deactivate_user', target_repr: 'target' });
  });

  it('deletes a user', async () => {
    await superuser();
    const target = await makeUser({ username: 'target' });
    const admin = await adminLogin({ username: 'root' });
    expect((await admin.post(`/admin/users/${target.id}/delete/`)).status).to.equal(302);
    expect(await testKnex()('auth_user').where({ id: target.id }).first()).to.equal(undefined);
    expect((await auditRows()).at(-1)).to.include({
      action: 'delete_user',
      target_id: String(target.id),
      target_repr: 'target',
    });
  });

  it('escapes what users typed', async () => {
    await superuser();
    const target = await makeUser({
      username: 'target',
      first_name: '<script>alert(1)</script>',
      last_name: '"><img src=x>',
    });
    await makeGroup('<b>bold</b>');
    const admin = await adminLogin({ username: 'root' });
    for (const path of [
      '/admin/users/',
      `/admin/users/${target.id}/`,
      '/admin/groups/',
      '/admin/users/?q=%3Cscript%3E',
    ]) {
      const res = await admin.get(path);
      expect(res.text, path)
        .not.to.include('<script>')
        .and.not.to.include('<img src=x>')
        .and.not.to.include('<b>bold</b>');
    }
    expect((await admin.get(`/admin/users/${target.id}/`)).text).to.include('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('never shows a password hash or a token', async () => {
    await superuser();
    const target = await makeUser({ username: 'target' });
    const tokens = await tokensFor(target);
    const admin = await adminLogin({ username: 'root' });
    const hash = (await testKnex()('auth_user').where({ id: target.id }).first('password')).password as string;
    for (const path of ['/admin/users/', `/admin/users/${target.id}/`, '/admin/tokens/', '/admin/log/']) {
      const res = await admin.get(path);
      expect(res.text, path).not.to.include(hash);
      expect(res.text, path).not.to.include('$argon2');
      expect(res.text, path).not.to.include(tokens.refresh);
    }
  });
});

describe('admin panel: groups', () => {
  it('creates, renames, changes permissions of and deletes a group, each recorded', async () => {
    await superuser();
    const admin = await adminLogin({ username: 'root' });
    const form = await admin.get('/admin/groups/add/');
    expect(form.text)
      .to.include('<legend><strong>user</strong></legend>')
      .and.include('<legend><strong>outstandingtoken</strong></legend>');
    const created = await admin.post('/admin/groups/add/', {
      name: 'support',
      permissions: ['view_user', 'blacklist_token'],
    });
    expect(created.status, created.text).to.equal(302);
    const group = await testKnex()('auth_group').where({ name: 'support' }).first();
    const duplicate = await admin.post('/admin/groups/add/', { name: 'support' });
    expect(duplicate.text).to.include('group with this name already exists.');

    await admin.post(`/admin/groups/${group.id}/`, { name: 'helpdesk', permissions: ['view_user', 'view_group'] });
    const api_ = await api()
      .get(`/api/groups/${group.id}/`)
      .set('Authorization', await bearer({ username: 'root' }));
    expect(api_.body).to.deep.equal({ id: group.id, name: 'helpdesk', permissions: ['view_group', 'view_user'] });
    expect((await admin.get('/admin/groups/')).text).to.include('helpdesk');

    await admin.post(`/admin/groups/${group.id}/delete/`);
    expect(await testKnex()('auth_group').where({ id: group.id }).first()).to.equal(undefined);
    const entries = (await auditRows()).filter((e) => e.target_type === 'group');
    expect(entries.map((e) => e.action)).to.deep.equal(['add_group', 'change_group', 'delete_group']);
    expect(entries[1].details).to.deep.include({
      added: ['view_group'],
      removed: ['blacklist_token'],
      name: { from: 'support', to: 'helpdesk' },
    });
  });

  it('requires the group permissions', async () => {
    await staffWith('view_group');
    await makeGroup('other');
    const id = (await testKnex()('auth_group').where({ name: 'other' }).first()).id;
    const admin = await adminLogin({ username: 'operator' });
    expect((await admin.get(`/admin/groups/${id}/`)).text).to.include('You may view this group but not change it.');
    expect((await admin.post(`/admin/groups/${id}/`, { name: 'x' })).status).to.equal(403);
    expect((await admin.post(`/admin/groups/${id}/delete/`)).status).to.equal(403);
    expect((await admin.post('/admin/groups/add/', { name: 'x' })).status).to.equal(403);
  });
});

describe('admin panel: tokens', () => {
  it('lists outstanding tokens with user and state, filtered', async () => {
    await superuser();
    const alice = await makeUser({ username: 'alice' });
    await tokensFor(alice);
    await tokensFor(alice);
    const admin = await adminLogin({ username: 'root' });
    const rows = (html: string) => (html.match(/name="ids" value="\d+"/g) ?? []).length;
    expect(rows((await admin.get('/admin/tokens/')).text)).to.equal(3); // root's admin login and alice's two
    expect(rows((await admin.get('/admin/tokens/?user=alice')).text)).to.equal(2);
    expect(rows((await admin.get('/admin/tokens/?status=blacklisted')).text)).to.equal(0);
  });

  it('blacklists one or many selected tokens: their sessions are refused at once, and it is recorded', async () => {
    await superuser();
    const alice = await makeUser({ username: 'alice' });
    const bob = await makeUser({ username: 'bob' });
    const [a, b, keep] = [await tokensFor(alice), await tokensFor(bob), await tokensFor(bob)];
    const ids = await testKnex()('token_blacklist_outstandingtoken')
      .whereIn('token', [a.refresh, b.refresh])
      .pluck('id');
    const admin = await adminLogin({ username: 'root' });
    const res = await admin.post('/admin/tokens/blacklist/', { ids: ids.map(String), next: '/admin/tokens/?user=bob' });
    expect(res.status).to.equal(302);
    expect(res.headers.location).to.equal('/admin/tokens/?user=bob&notice=blacklisted');
    for (const tokens of [a, b])
      expect((await api().get('/api/users/me/').set('Authorization', `Bearer ${tokens.access}`)).status).to.equal(401);
    expect((await api().get('/api/users/me/').set('Authorization', `Bearer ${keep.access}`)).status).to.equal(200);
    const entry = (await auditRows()).at(-1);
    expect(entry).to.include({ action: 'blacklist_tokens', target_type: 'outstandingtoken' });
    expect(entry.details).to.deep.equal({ token_ids: ids, blacklisted: 2 });
    const listed = await admin.get('/admin/tokens/blacklisted/');
    expect(listed.text).to.include('alice').and.include('bob');
  });

  it("keeps a non-superuser from blacklisting a superuser's tokens, as the API's logout-everywhere does", async () => {
    await staffWith('view_outstandingtoken', 'blacklist_token');
    const boss = await makeUser({ username: 'boss', is_superuser: true, is_staff: true });
    const alice = await makeUser({ username: 'alice' });
    const [own, theirs] = [await tokensFor(boss), await tokensFor(alice)];
    const ids = await testKnex()('token_blacklist_outstandingtoken')
      .whereIn('token', [own.refresh, theirs.refresh])
      .pluck('id');
    const admin = await adminLogin({ username: 'operator' });
    expect((await admin.post('/admin/tokens/blacklist/', { ids: ids.map(String) })).status).to.equal(403);
    // Nothing of the selection is blacklisted, alice's token included.
    for (const tokens of [own, theirs])
      expect((await api().get('/api/users/me/').set('Authorization', `Bearer ${tokens.access}`)).status).to.equal(200);
    expect(await testKnex()('token_blacklist_blacklistedtoken')).to.have.length(0);
  });

  it('does nothing when no token is selected, and never redirects elsewhere', async () => {
    await superuser();
    const admin = await adminLogin({ username: 'root' });
    const res = await admin.post('/admin/tokens/blacklist/', { next: 'https://evil.example/' });
    expect(res.headers.location).to.equal('/admin/tokens/?notice=none-selected');
    expect((await auditRows()).map((e) => e.action)).to.deep.equal(['login']);
  });

  it('logs a user out everywhere from the user page', async () => {
    const root = await superuser();
    const target = await makeUser({ username: 'target' });
    const headers = [await bearer(target), await bearer(target)];
    const admin = await adminLogin({ username: 'root' });
    expect((await admin.post(`/admin/users/${target.id}/logout-all/`)).status).to.equal(302);
    for (const header of headers)
      expect((await api().get('/api/users/me/').set('Authorization', header)).status).to.equal(401);
    expect((await auditRows()).at(-1)).to.deep.include({
      actor_id: root.id,
      action: 'logout_everywhere',
      target_id: String(target.id),
      details: { blacklisted: 2 },
    });
    const log = await admin.get('/admin/log/?action=logout_everywhere');
    expect(log.text).to.include('logout_everywhere').and.include('target');
  });
});

describe('admin panel: usernames and bounded search', () => {
  const TAKEN = 'A user with that username already exists.';

  it('refuses a search of 3,800 terms with a 400 page naming the bounds, and answers ten terms', async () => {
    await superuser();
    await makeUser({ username: 'anna', first_name: 'Anna', email: 'anna@corp.example' });
    const admin = await adminLogin({ username: 'root' });
    const started = performance.now();
    const refused = await admin.get(`/admin/users/?q=${Array(3_800).fill('a').join(',')}`);
    expect(refused.status).to.equal(400);
    expect(refused.type).to.equal('text/html');
    expect(refused.text).to.include(
      'Search: Ensure this field has no more than 200 characters. Ensure this field has no more than 10 elements.',
    );
    expect(performance.now() - started).to.be.below(5_000);
    const eleven = await admin.get(`/admin/users/?q=${Array(11).fill('a').join('+')}`);
    expect(eleven.status).to.equal(400);
    expect(eleven.text).to.include('Search: Ensure this field has no more than 10 elements.');
    const group = await admin.get(`/admin/users/?group=${'g'.repeat(201)}`);
    expect(group.status).to.equal(400);
    expect(group.text).to.include('Group: Ensure this field has no more than 200 characters.');
    const ten = await admin.get('/admin/users/?q=anna+ANNA+corp+example+a+n+@+.+c+o');
    expect(ten.status).to.equal(200);
    expect([...ten.text.matchAll(/<a href="\/admin\/users\/\d+\/">([^<]+)<\/a>/g)].map((m) => m[1])).to.deep.equal([
      'anna',
    ]);
  });

  it('stores an added user’s name in NFKC form and refuses one that is an existing name in another case', async () => {
    await superuser();
    await makeUser({ username: 'admin' });
    const admin = await adminLogin({ username: 'root' });
    const form = (username: string) => ({ username, password: PASSWORD, password2: PASSWORD, is_active: 'on' });
    for (const username of ['Admin', 'ａｄｍｉｎ']) {
      const refused = await admin.post('/admin/users/add/', form(username));
      expect(refused.status, username).to.equal(400);
      expect(refused.text, username).to.include(TAKEN);
    }
    const added = await admin.post('/admin/users/add/', form('ｎｅｗｂｉｅ'));
    expect(added.status, added.text).to.equal(302);
    expect(await testKnex()('auth_user').where({ username: 'newbie' }).pluck('username')).to.deep.equal(['newbie']);
  });

  it('refuses renaming a user onto another’s name in another case or spelling', async () => {
    await superuser();
    await makeUser({ username: 'admin' });
    const target = await makeUser({ username: 'target' });
    const admin = await adminLogin({ username: 'root' });
    for (const username of ['ADMIN', 'ａｄｍｉｎ']) {
      const refused = await admin.post(`/admin/users/${target.id}/`, { username, is_active: 'on' });
      expect(refused.status, username).to.equal(400);
      expect(refused.text, username).to.include(TAKEN);
    }
    expect((await testKnex()('auth_user').where({ id: target.id }).first('username')).username).to.equal('target');
  });

  it('logs a staff user in by a fullwidth spelling of its name', async () => {
    await superuser();
    const res = await api()
      .post('/admin/login/')
      .set(ORIGIN)
      .type('form')
      .send(encodeForm({ username: 'ｒｏｏｔ', password: PASSWORD, next: '/admin/' }));
    expect(res.status).to.equal(302);
    const me = await api().get('/api/users/me/').set('Cookie', cookieHeader(res)).expect(200);
    expect(me.body.username).to.equal('root');
  });
});
