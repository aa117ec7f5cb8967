/**
 * Text PostgreSQL cannot store or compare — NUL — and text no client should send — lone
 * surrogates, control characters, invalid UTF-8, very long values — in every string field of
 * every body, every query parameter and path segment, the admin's forms included: DRF's answers
 * (Django's `ProhibitNullCharactersValidator`, DRF's `ProhibitSurrogateCharactersValidator`),
 * never a 500.
 */
import { expect } from 'chai';
import type supertest from 'supertest';
import { api, bearer, makeGroup, makeUser, PASSWORD } from '../support/app.js';
import { testKnex } from '../support/hooks.js';
import { adminLogin, encodeForm, ORIGIN } from '../admin/support.js';

const NUL = 'Null characters are not allowed.';
const SURROGATE = 'Surrogate characters are not allowed: U+D800.';

type Method = 'post' | 'put' | 'patch';

/** Sends a JSON body as raw text, so that a lone surrogate arrives as the `\ud800` escape a client would write. */
function sendJson(
  client: supertest.Agent | ReturnType<typeof api>,
  method: Method,
  path: string,
  authorization: string | null,
  json: string,
) {
  const request = client[method](path).set('Content-Type', 'application/json');
  if (authorization) request.set('Authorization', authorization);
  return request.send(json);
}

/** Every string field of every JSON body, with a valid body around it. */
function bodies(ids: { user: number; group: number }) {
  const user = { username: 'newcomer', password: PASSWORD, email: 'n@example.com', first_name: 'N', last_name: 'C' };
  return [
    {
      method: 'post' as const,
      path: '/api/token/',
      auth: false,
      body: { username: 'someone', password: 'x' },
      fields: ['username', 'password'],
    },
    { method: 'post' as const, path: '/api/token/refresh/', auth: false, body: { refresh: 'x' }, fields: ['refresh'] },
    { method: 'post' as const, path: '/api/token/verify/', auth: false, body: { token: 'x' }, fields: ['token'] },
    {
      method: 'post' as const,
      path: '/api/token/blacklist/',
      auth: false,
      body: { refresh: 'x' },
      fields: ['refresh'],
    },
    { method: 'post' as const, path: '/api/users/', auth: true, body: user, fields: Object.keys(user) },
    { method: 'put' as const, path: `/api/users/${ids.user}/`, auth: true, body: user, fields: Object.keys(user) },
    { method: 'patch' as const, path: `/api/users/${ids.user}/`, auth: true, body: user, fields: Object.keys(user) },
    {
      method: 'patch' as const,
      path: '/api/users/me/',
      auth: true,
      body: { first_name: 'A', last_name: 'B', email: 'a@example.com' },
      fields: ['first_name', 'last_name', 'email'],
    },
    {
      method: 'post' as const,
      path: '/api/users/me/password/',
      auth: true,
      body: { old_password: PASSWORD, new_password: 'another-Horse-battery-7' },
      fields: ['old_password', 'new_password'],
    },
    { method: 'post' as const, path: '/api/groups/', auth: true, body: { name: 'team' }, fields: ['name'] },
    { method: 'put' as const, path: `/api/groups/${ids.group}/`, auth: true, body: { name: 'team' }, fields: ['name'] },
    {
      method: 'patch' as const,
      path: `/api/groups/${ids.group}/`,
      auth: true,
      body: { name: 'team' },
      fields: ['name'],
    },
  ];
}

describe('hostile text', () => {
  let authorization: string;
  let ids: { user: number; group: number };

  beforeEach(async () => {
    const root = await makeUser({ username: 'root', is_superuser: true });
    authorization = await bearer(root);
    ids = { user: (await makeUser({ username: 'target' })).id, group: (await makeGroup('editors')).id };
  });

  describe('in JSON bodies', () => {
    it('refuses NUL in every string field with the validator’s 400, unauthenticated endpoints included', async () => {
      const client = api();
      for (const { method, path, auth, body, fields } of bodies(ids)) {
        for (const field of fields) {
          const sent = { ...body, [field]: `a\u0000b` };
          const res = await sendJson(client, method, path, auth ? authorization : null, JSON.stringify(sent));
          expect(res.status, `${method} ${path} ${field}: ${res.text}`).to.equal(400);
          expect(res.body[field], `${method} ${path} ${field}`).to.be.an('array').that.includes(NUL);
        }
      }
      // Nothing was written (`pg` counts as a string, PGlite as a number).
      expect(Number(((await testKnex()('auth_user').count({ n: '*' }).first()) as { n: string | number }).n)).to.equal(
        2,
      );
    });

    it('answers exactly DRF’s body for the reported cases', async () => {
      const login = await api().post('/api/token/').send({ username: 'a\u0000b', password: 'x' });
      expect(login.status).to.equal(400);
      expect(login.body).to.deep.equal({ username: [NUL] });
      const me = await api()
        .patch('/api/users/me/')
        .set('Authorization', authorization)
        .send({ first_name: 'a\u0000' });
      expect(me.status).to.equal(400);
      expect(me.body).to.deep.equal({ first_name: [NUL] });
      const group = await api().post('/api/groups/').set('Authorization', authorization).send({ name: '\u0000' });
      expect(group.body).to.deep.equal({ name: [NUL] });
      // Beside another check of the same field, both are listed, as DRF runs every validator.
      const long = await api()
        .post('/api/groups/')
        .set('Authorization', authorization)
        .send({ name: `${'x'.repeat(150)}\u0000` });
      expect(long.body).to.deep.equal({ name: ['Ensure this field has no more than 150 characters.', NUL] });
      const email = await api()
        .patch('/api/users/me/')
        .set('Authorization', authorization)
        .send({ email: 'a\u0000@example.com' });
      expect(email.body).to.deep.equal({ email: [NUL, 'Enter a valid email address.'] });
    });

    it('answers DRF’s "Invalid value." for a group or permission name with NUL', async () => {
      const user = await api()
        .post('/api/users/')
        .set('Authorization', authorization)
        .send({ username: 'x', password: PASSWORD, groups: ['editors\u0000'] });
      expect(user.status).to.equal(400);
      expect(user.body).to.deep.equal({ groups: ['Invalid value.'] });
      const group = await api()
        .patch(`/api/groups/${ids.group}/`)
        .set('Authorization', authorization)
        .send({ permissions: ['view_user\u0000'] });
      expect(group.status).to.equal(400);
      expect(group.body).to.deep.equal({ permissions: ['Invalid value.'] });
    });

    it('refuses a lone surrogate in every string field; a pair (an emoji) is text like any other', async () => {
      const client = api();
      for (const { method, path, auth, body, fields } of bodies(ids)) {
        for (const field of fields) {
          const json = JSON.stringify({ ...body, [field]: 'PLACEHOLDER' }).replace('PLACEHOLDER', 'a\\ud800b');
          const res = await sendJson(client, method, path, auth ? authorization : null, json);
          expect(res.status, `${method} ${path} ${field}: ${res.text}`).to.equal(400);
          expect(res.body[field], `${method} ${path} ${field}`).to.be.an('array').that.includes(SURROGATE);
        }
      }
      const emoji = await api()
        .patch('/api/users/me/')
        .set('Authorization', authorization)
        .send({ first_name: 'Ann 😀' });
      expect(emoji.status).to.equal(200);
      expect(emoji.body.first_name).to.equal('Ann 😀');
    });

    it('answers other control characters and very long values without a 5xx', async () => {
      const client = api();
      const values = ['\u0001\u0007\u001b[31m\u007f', '\r\n\t', '\uFFFE\uFFFF', 'x'.repeat(200_000)];
      for (const { method, path, auth, body, fields } of bodies(ids)) {
        for (const field of fields) {
          for (const value of values) {
            const res = await sendJson(
              client,
              method,
              path,
              auth ? authorization : null,
              JSON.stringify({ ...body, [field]: value }),
            );
            expect(
              res.status,
              `${method} ${path} ${field} ${JSON.stringify(value.slice(0, 12))}: ${res.text.slice(0, 200)}`,
            ).to.be.below(500);
            if (res.status !== 204) expect(res.type).to.equal('application/json');
          }
        }
      }
    });
  });

  describe('in query strings', () => {
    it('refuses NUL in the group filter as django-filter’s form field does', async () => {
      const res = await api().get('/api/users/?group=%00').set('Authorization', authorization);
      expect(res.status).to.equal(400);
      expect(res.body).to.deep.equal({ group: [NUL] });
      // Authentication comes first, as in DRF.
      expect((await api().get('/api/users/?group=%00')).status).to.equal(401);
    });

    it('reads the other parameters as DRF does: search drops NUL, unknown orderings and booleans are ignored, a bad page is 404', async () => {
      const search = await api().get('/api/users/?search=tar%00get').set('Authorization', authorization).expect(200);
      expect(search.body.results.map((u: { username: string }) => u.username)).to.deep.equal(['target']);
      expect((await api().get('/api/users/?ordering=%00').set('Authorization', authorization)).status).to.equal(200);
      expect((await api().get('/api/users/?is_active=%00').set('Authorization', authorization)).body.count).to.equal(2);
      expect((await api().get('/api/users/?page_size=%00').set('Authorization', authorization)).status).to.equal(200);
      const page = await api().get('/api/users/?page=%00').set('Authorization', authorization);
      expect(page.status).to.equal(404);
      expect(page.body).to.deep.equal({ detail: 'Invalid page.' });
    });

    it('answers control characters, lone surrogates, invalid UTF-8 and very long values in every parameter of every list without a 5xx', async () => {
      const client = api();
      const values = [
        '%00',
        '%01%07%1B%7F',
        '%ED%A0%80',
        '%FF%FE',
        '%C0%AF',
        '%E0%A4%A',
        '%',
        '%%00',
        'x'.repeat(6_000),
        `${'%00'.repeat(1_000)}`,
      ];
      const lists = ['/api/users/', '/api/groups/', '/api/permissions/', '/api/files/'];
      const params = ['search', 'group', 'ordering', 'is_active', 'page', 'page_size', 'unknown'];
      for (const path of lists) {
        for (const param of params) {
          for (const value of values) {
            const res = await client
              .get(`${path}?${param}=${value}&${param}=${value}`)
              .set('Authorization', authorization);
            expect(res.status, `${path}?${param}=${value.slice(0, 12)}: ${res.text.slice(0, 200)}`).to.be.below(500);
            expect(res.type).to.equal('application/json');
          }
        }
      }
    });
  });

  describe('in path segments', () => {
    it('answers 404 for NUL, control characters and invalid UTF-8 in an id', async () => {
      const client = api();
      const segments = [
        '%00',
        'a%00b',
        '1%00',
        '%01',
        '%ED%A0%80',
        '%FF',
        `${'x'.repeat(5_000)}%00`,
        '9'.repeat(5_000),
      ];
      const paths = (s: string) => [
        `/api/users/${s}/`,
        `/api/groups/${s}/`,
        `/api/files/${s}/`,
        `/api/files/${s}/download/`,
        ...(s.includes('%') ? [`/api/media/files/${s}`] : []),
      ];
      for (const segment of segments) {
        for (const path of paths(segment)) {
          const res = await client.get(path).set('Authorization', authorization);
          expect(res.status, `${path.slice(0, 40)}: ${res.text.slice(0, 200)}`).to.equal(404);
          expect(res.body).to.deep.equal({ detail: 'Not found.' });
        }
        const logout = await client.post(`/api/users/${segment}/logout-all/`).set('Authorization', authorization);
        expect(logout.status).to.equal(404);
        expect(logout.body).to.deep.equal({ detail: 'Not found.' });
      }
    });
  });

  describe('in the admin panel', () => {
    it('shows the validator’s message in its forms, refuses it in its filters, and never answers 500', async () => {
      const login = await api()
        .post('/admin/login/')
        .set(ORIGIN)
        .type('form')
        .send(encodeForm({ username: 'root\u0000', password: PASSWORD }));
      expect(login.status).to.equal(200);
      expect(login.text).to.include(NUL);

      await testKnex()('auth_user').where({ username: 'root' }).update({ is_staff: true });
      const admin = await adminLogin({ username: 'root' });
      const add = await admin.post('/admin/users/add/', {
        username: 'fresh',
        password: PASSWORD,
        password2: PASSWORD,
        first_name: 'a\u0000',
      });
      expect(add.status).to.equal(400);
      expect(add.text).to.include(NUL);
      const permissions = await admin.post('/admin/users/add/', {
        username: 'fresh',
        password: PASSWORD,
        password2: PASSWORD,
        permissions: 'view_user\u0000',
      });
      expect(permissions.status, permissions.text).to.be.below(500);
      expect(await testKnex()('auth_user').where({ username: 'fresh' }).first()).to.equal(undefined);
      const group = await admin.post(`/admin/groups/${ids.group}/`, { name: 'x\u0000' });
      expect(group.status).to.equal(400);
      expect(group.text).to.include(NUL);

      for (const path of [
        '/admin/users/?q=%00',
        '/admin/users/?group=%00',
        '/admin/groups/?q=%00',
        '/admin/tokens/?user=%00',
        '/admin/log/?actor=%00',
        '/admin/users/?q=%ED%A0%80',
      ]) {
        const res = await admin.get(path);
        expect(res.status, `${path}: ${res.text.slice(0, 300)}`).to.be.oneOf([200, 400]);
        expect(res.type).to.equal('text/html');
      }
      expect((await admin.get('/admin/users/?q=%00')).text).to.include(NUL);
      const missing = await admin.get('/admin/users/%00/');
      expect(missing.status).to.equal(404);
      expect(missing.type).to.equal('text/html');
    });
  });
});
