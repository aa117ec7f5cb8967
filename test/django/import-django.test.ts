/**
 * `import-django` against a database made by Django itself: the fixture project in
 * test/django/fixture/ (Django 3.2, DRF, simplejwt 5.2 with its blacklist app, Debian's packages)
 * migrates a scratch database on the PostgreSQL server and issues tokens through simplejwt; the
 * import moves it into the test database, and the HTTP app decides each token's fate.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import knexFactory, { type Knex } from 'knex';
import { blacklistUserTokens } from '../../src/auth/service.js';
import { importDjangoCommand } from '../../src/commands/import-django.js';
import { importDjango, ImportRefusedError, type ImportReport } from '../../src/django/service.js';
import { FEATURES } from '../../src/registry.js';
import { modelApps } from '../../src/resources/features.js';

const MODEL_APPS = modelApps(FEATURES);
import { api, makeUser, PASSWORD } from '../support/app.js';
import { requireTool } from '../support/browser.js';
import { runCli, scratchDir } from '../support/processes.js';
import { TEST_SECRET_KEY } from '../support/config.js';
import { testKnex } from '../support/hooks.js';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const FIXTURE = path.join(import.meta.dirname, 'fixture', 'make_django_db.py');
const SERVER = process.env.OPS_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BLACKLISTED = { detail: 'Token is blacklisted', code: 'token_not_valid' };

interface Pair {
  id: number;
  refresh: string;
  access: string;
}
interface Tokens {
  root: Pair;
  staffer: Pair;
  alice: Pair;
  bob: Pair;
  dave: Pair;
  erin: Pair;
  carol: Pair;
  bob_rotated: Pair & { old: string };
}

async function missingDjango(): Promise<string | null> {
  try {
    await run(PYTHON, ['-c', 'import django, rest_framework, rest_framework_simplejwt, psycopg2']);
  } catch {
    return `no Django stack for ${PYTHON} (apt-get install python3-django python3-djangorestframework python3-djangorestframework-simplejwt python3-psycopg2)`;
  }
  const server = knexFactory({ client: 'pg', connection: SERVER, pool: { min: 0, max: 1 } });
  try {
    await server.raw('SELECT 1');
    return null;
  } catch {
    return `no PostgreSQL server at ${new URL(SERVER).host} (set OPS_TEST_POSTGRES_URL)`;
  } finally {
    await server.destroy();
  }
}

function databaseUrl(name: string): string {
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  return url.toString();
}

describe('import-django, from a database made by Django', function () {
  const name = `django_import_${process.pid}_${randomBytes(4).toString('hex')}`;
  let server: Knex;
  let django: Knex;
  let tokens: Tokens;

  before(async function () {
    this.timeout(180_000);
    requireTool(this, await missingDjango());
    server = knexFactory({ client: 'pg', connection: SERVER, pool: { min: 0, max: 1 } });
    await server.raw('CREATE DATABASE ??', [name]);
    const { stdout } = await run(PYTHON, [FIXTURE], {
      env: {
        PATH: '/usr/bin:/bin',
        PYTHONDONTWRITEBYTECODE: '1',
        DJANGO_SECRET_KEY: TEST_SECRET_KEY,
        DJANGO_DATABASE_URL: databaseUrl(name),
      },
    });
    tokens = JSON.parse(stdout) as Tokens;
    django = knexFactory({ client: 'pg', connection: databaseUrl(name), pool: { min: 0, max: 2 } });
  });

  after(async () => {
    await django?.destroy();
    if (server) {
      await server.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
      await server.destroy();
    }
  });

  const importNow = (options: Partial<{ dryRun: boolean; merge: boolean }> = {}) =>
    importDjango(testKnex(), django, { dryRun: false, merge: false, modelApps: MODEL_APPS, ...options });

  /** Every row of the tables the import writes, comparable between two runs. */
  async function snapshot(knex: Knex) {
    const tables = [
      'auth_user',
      'auth_group',
      'auth_user_groups',
      'auth_group_permissions',
      'auth_user_user_permissions',
      'token_blacklist_outstandingtoken',
      'token_blacklist_blacklistedtoken',
      'admin_log',
    ];
    return Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await knex(t).orderBy('id')])));
  }

  /** `app_label.codename` of a permission here. */
  async function permissionKeys(knex: Knex, ids: number[]): Promise<string[]> {
    const rows: Array<{ codename: string; model: string }> = await knex('auth_permission')
      .whereIn('id', ids)
      .select('codename', 'model');
    return rows.map((p) => `${MODEL_APPS.get(p.model)}.${p.codename}`).sort();
  }

  it('moves every user, group, membership, permission, token and log entry, row by row', async () => {
    const report = await importNow();

    const users = await django('auth_user').orderBy('id');
    expect(await testKnex()('auth_user').orderBy('id')).to.deep.equal(users);
    expect(report.users).to.deep.equal({ inserted: users.length, updated: 0 });

    // Groups by name, with Django's ids (free here); memberships by username → group name.
    expect(await testKnex()('auth_group').orderBy('id')).to.deep.equal(await django('auth_group').orderBy('id'));
    const memberships = async (knex: Knex) =>
      (
        await knex('auth_user_groups as ug')
          .join('auth_user as u', 'u.id', 'ug.user_id')
          .join('auth_group as g', 'g.id', 'ug.group_id')
          .select('u.username', 'g.name')
      )
        .map((r: { username: string; name: string }) => `${r.username}:${r.name}`)
        .sort();
    expect(await memberships(testKnex())).to.deep.equal(await memberships(django));

    // Every permission of every group and user: Django's with a counterpart here, the others reported.
    const djangoHeld = async (table: string, owner: string) =>
      (
        await django(`${table} as x`)
          .join('auth_permission as p', 'p.id', 'x.permission_id')
          .join('django_content_type as ct', 'ct.id', 'p.content_type_id')
          .select(`x.${owner} as owner`, 'ct.app_label', 'p.codename')
      ).map((r: { owner: number; app_label: string; codename: string }) => ({
        owner: r.owner,
        key: `${r.app_label}.${r.codename}`,
      }));
    const here = (await testKnex()('auth_permission').select('codename', 'model')).map(
      (p: { codename: string; model: string }) => `${MODEL_APPS.get(p.model)}.${p.codename}`,
    );
    for (const [table, owner] of [
      ['auth_group_permissions', 'group_id'],
      ['auth_user_user_permissions', 'user_id'],
    ] as const) {
      const held = await djangoHeld(table, owner);
      const owners = [...new Set(held.map((h) => h.owner))];
      for (const id of owners) {
        const imported = await testKnex()(table).where(owner, id).pluck('permission_id');
        const wanted = held.filter((h) => h.owner === id && here.includes(h.key)).map((h) => h.key);
        expect(await permissionKeys(testKnex(), imported), `${table} of ${id}`).to.deep.equal(wanted.sort());
      }
    }
    const unmatched = report.unmatchedPermissions.filter((p) => p.groups.length || p.users.length);
    expect(unmatched).to.deep.equal([
      { app_label: 'contenttypes', codename: 'change_contenttype', groups: [], users: ['bob'] },
      { app_label: 'contenttypes', codename: 'view_contenttype', groups: ['auditors'], users: [] },
      { app_label: 'sessions', codename: 'view_session', groups: ['support'], users: [] },
    ]);
    expect(report.groupPermissions.added).to.equal(6); // support 5 + auditors 1
    expect(report.userPermissions.added).to.equal(2); // alice's two

    // Outstanding tokens by jti, each with a session here; the blacklist by jti.
    const outstanding = await django('token_blacklist_outstandingtoken').orderBy('id');
    const imported = await testKnex()('token_blacklist_outstandingtoken').orderBy('id');
    expect(imported.map(({ id: _id, session_id: _s, session_started_at: _t, ...row }) => row)).to.deep.equal(
      outstanding.map(({ id: _id, ...row }) => row),
    );
    // Each imported session started when its token was issued: its absolute lifetime runs from there.
    expect(imported.map((t) => t.session_started_at)).to.deep.equal(outstanding.map((t) => t.created_at));
    expect(new Set(imported.map((t) => t.session_id)).size).to.equal(imported.length);
    const blacklistedJtis = async (knex: Knex) =>
      (await knex('token_blacklist_blacklistedtoken as b')
        .join('token_blacklist_outstandingtoken as o', 'o.id', 'b.token_id')
        .select('o.jti', 'b.blacklisted_at')
        .orderBy('o.jti')) as Array<{ jti: string; blacklisted_at: Date }>;
    expect(await blacklistedJtis(testKnex())).to.deep.equal(await blacklistedJtis(django));
    expect(report.blacklistedTokens).to.equal(2);

    // Admin log entries, with their Django id, actor and change message.
    const log = await django('django_admin_log as l')
      .join('auth_user as u', 'u.id', 'l.user_id')
      .join('django_content_type as ct', 'ct.id', 'l.content_type_id')
      .select('l.*', 'u.username', 'ct.model', 'ct.app_label')
      .orderBy('l.id');
    const entries = await testKnex()('admin_log').orderBy('django_id');
    expect(entries).to.have.length(log.length);
    log.forEach((e, i) => {
      expect(Number(entries[i].django_id)).to.equal(e.id);
      expect(entries[i]).to.deep.include({
        actor_id: e.user_id,
        actor_username: e.username,
        action: `${['', 'add', 'change', 'delete'][e.action_flag]}_${e.model}`,
        target_type: e.model,
        target_id: e.object_id,
        target_repr: e.object_repr,
        created_at: e.action_time,
        details: { django: { app_label: e.app_label, action_flag: e.action_flag, change_message: e.change_message } },
      });
    });

    // The sequences are past Django's ids: a new user and a new group get fresh ones.
    const created = await makeUser();
    expect(created.id).to.be.greaterThan(Math.max(...users.map((u) => u.id)));
    const [group] = await testKnex()('auth_group').insert({ name: 'new one' }).returning('id');
    expect(group.id).to.be.greaterThan(Math.max(...(await django('auth_group').pluck('id'))));
  });

  it('lets every active user log in with the pbkdf2 hash Django made, and refuses the inactive one', async () => {
    await importNow();
    for (const username of ['root', 'staffer', 'alice', 'bob', 'dave', 'erin']) {
      await api().post('/api/token/').send({ username, password: PASSWORD }).expect(200);
    }
    await api().post('/api/token/').send({ username: 'carol', password: PASSWORD }).expect(401);
    await api().post('/api/token/').send({ username: 'alice', password: 'wrong' }).expect(401);
    const me = await api()
      .get('/api/users/me/')
      .set(
        'Authorization',
        `Bearer ${(await api().post('/api/token/').send({ username: 'alice', password: PASSWORD })).body.access}`,
      )
      .expect(200);
    expect(me.body.username).to.equal('alice');
  });

  it("accepts Django's access tokens until their expiry, and refuses the inactive user's", async () => {
    await importNow();
    for (const who of ['root', 'staffer', 'alice', 'bob', 'dave'] as const) {
      const res = await api().get('/api/users/me/').set('Authorization', `Bearer ${tokens[who].access}`).expect(200);
      expect(res.body.username).to.equal(who);
    }
    // Django's logout blacklists the refresh token only; its access token lives on there, and here.
    await api().get('/api/users/me/').set('Authorization', `Bearer ${tokens.erin.access}`).expect(200);
    await api().get('/api/users/me/').set('Authorization', `Bearer ${tokens.bob_rotated.access}`).expect(200);
    await api().get('/api/users/me/').set('Authorization', `Bearer ${tokens.carol.access}`).expect(401);
    await api().post('/api/token/verify/').send({ token: tokens.alice.access }).expect(200);
  });

  it('rotates a recorded Django refresh token into a session here and blacklists the old one', async () => {
    await importNow();
    const res = await api().post('/api/token/refresh/').send({ refresh: tokens.alice.refresh }).expect(200);
    const claims = jwt.verify(res.body.refresh, TEST_SECRET_KEY) as jwt.JwtPayload;
    const row = await testKnex()('token_blacklist_outstandingtoken')
      .where('jti', (jwt.decode(tokens.alice.refresh) as jwt.JwtPayload).jti)
      .first();
    expect(claims).to.include({ user_id: tokens.alice.id, sid: row.session_id });
    await api().post('/api/token/refresh/').send({ refresh: tokens.alice.refresh }).expect(401, BLACKLISTED);
    const me = await api().get('/api/users/me/').set('Authorization', `Bearer ${res.body.access}`).expect(200);
    expect(me.body.username).to.equal('alice');
    // Logging out the new session refuses its access token at once.
    await api().post('/api/token/blacklist/').send({ refresh: res.body.refresh }).expect(200);
    await api().get('/api/users/me/').set('Authorization', `Bearer ${res.body.access}`).expect(401);
  });

  it('accepts a refresh token simplejwt issued by rotation (never recorded there), once', async () => {
    await importNow();
    const res = await api().post('/api/token/refresh/').send({ refresh: tokens.bob_rotated.refresh }).expect(200);
    expect(jwt.decode(res.body.access)).to.include({ user_id: tokens.bob.id });
    await api().post('/api/token/refresh/').send({ refresh: tokens.bob_rotated.refresh }).expect(401, BLACKLISTED);
  });

  it('keeps refusing what Django blacklisted, the inactive user, and another key', async () => {
    await importNow();
    await api().post('/api/token/refresh/').send({ refresh: tokens.erin.refresh }).expect(401, BLACKLISTED);
    await api().post('/api/token/refresh/').send({ refresh: tokens.bob_rotated.old }).expect(401, BLACKLISTED);
    await api().post('/api/token/verify/').send({ token: tokens.erin.refresh }).expect(401, BLACKLISTED);
    await api().post('/api/token/refresh/').send({ refresh: tokens.carol.refresh }).expect(401);
    for (const token of [tokens.alice.access, tokens.alice.refresh]) {
      const forged = jwt.sign(jwt.decode(token) as jwt.JwtPayload, 'another-key-0123456789abcdef-0123456789', {
        algorithm: 'HS256',
      });
      await api().get('/api/users/me/').set('Authorization', `Bearer ${forged}`).expect(401);
      await api().post('/api/token/refresh/').send({ refresh: forged }).expect(401);
    }
  });

  it("refuses a user's Django tokens once the user is logged out everywhere, and one logged out", async () => {
    await importNow();
    await blacklistUserTokens(testKnex(), tokens.root.id);
    const refused = await api().get('/api/users/me/').set('Authorization', `Bearer ${tokens.root.access}`).expect(401);
    expect(refused.body.messages[0]).to.include({ message: 'Token is blacklisted' });
    await api().post('/api/token/refresh/').send({ refresh: tokens.root.refresh }).expect(401, BLACKLISTED);
    await api().post('/api/token/verify/').send({ token: tokens.root.access }).expect(401, BLACKLISTED);
    // Another user's tokens are untouched.
    await api().get('/api/users/me/').set('Authorization', `Bearer ${tokens.staffer.access}`).expect(200);
    // Log out with a Django refresh token (POST /api/token/blacklist/): it is dead afterwards.
    await api().post('/api/token/blacklist/').send({ refresh: tokens.dave.refresh }).expect(200);
    await api().post('/api/token/refresh/').send({ refresh: tokens.dave.refresh }).expect(401, BLACKLISTED);
  });

  it('logs out everywhere on a password change made with a Django access token', async () => {
    await importNow();
    await api()
      .post('/api/users/me/password/')
      .set('Authorization', `Bearer ${tokens.staffer.access}`)
      .send({ old_password: PASSWORD, new_password: 'another-Horse-battery-7' })
      .expect(204);
    await api().get('/api/users/me/').set('Authorization', `Bearer ${tokens.staffer.access}`).expect(401);
    await api().post('/api/token/refresh/').send({ refresh: tokens.staffer.refresh }).expect(401, BLACKLISTED);
    await api().post('/api/token/').send({ username: 'staffer', password: 'another-Horse-battery-7' }).expect(200);
  });

  it("opens the admin panel from Django's cookies, through a rotation into a session here", async () => {
    await importNow();
    const res = await api()
      .get('/admin/')
      .set('Cookie', `access_token=${tokens.root.access}; refresh_token=${tokens.root.refresh}`)
      .expect(200);
    expect(String(res.headers['set-cookie'])).to.include('refresh_token=');
    await api().post('/api/token/refresh/').send({ refresh: tokens.root.refresh }).expect(401, BLACKLISTED);
  });

  it('--dry-run reports everything and writes nothing', async () => {
    const before = await snapshot(testKnex());
    const lines: string[] = [];
    const report = await importDjangoCommand(
      testKnex(),
      { from: databaseUrl(name), dryRun: true, merge: false, progress: null },
      { line: (text) => lines.push(text) },
    );
    expect(report.users.inserted).to.equal((await django('auth_user').pluck('id')).length);
    expect(await snapshot(testKnex())).to.deep.equal(before);
    expect(lines[0]).to.equal('Dry run: nothing was written. The import would do this:');
    expect(lines).to.include('  sessions.view_session: group "support"');
    expect(lines.join('\n')).not.to.include(TEST_SECRET_KEY);
  });

  it('runs as `cli import-django`: dry run, import, re-run, and a refusal in one line with status 1', async function () {
    // Four CLI processes, each compiling the sources with tsx.
    this.timeout(180_000);
    const env = { SECRET_KEY: TEST_SECRET_KEY, DATA_DIR: scratchDir() };
    expect((await runCli(['migrate'], env)).code).to.equal(0);
    const dry = await runCli(['import-django', '--from', databaseUrl(name), '--dry-run'], env);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout).to.match(/^Dry run: nothing was written/);
    const done = await runCli(['import-django', '--from', databaseUrl(name)], env);
    expect(done.code, done.stderr).to.equal(0);
    expect(done.stdout).to.match(/^Imported from Django:\n {2}users: 7 new, 0 updated\n/);
    const again = await runCli(['import-django', '--from', databaseUrl(name)], env);
    expect(again.stdout).to.include('users: 0 new, 7 updated');

    const other = { SECRET_KEY: TEST_SECRET_KEY, DATA_DIR: scratchDir() };
    await runCli(['migrate'], other);
    await runCli(['create-superuser', '--username', 'admin', '--password', 'correct-Horse-battery-9'], other);
    const refused = await runCli(['import-django', '--from', databaseUrl(name)], other);
    expect(refused.code).to.equal(1);
    expect(refused.stderr.trim()).to.equal(
      'import-django: 1 user(s) conflict with the Django database (id 1 is "admin" here and "root" in Django); nothing was imported',
    );
  });

  it('updates on a second run instead of duplicating, and keeps what was blacklisted here', async () => {
    await importNow();
    await api().post('/api/token/refresh/').send({ refresh: tokens.alice.refresh }).expect(200);
    const first = await snapshot(testKnex());
    await django('auth_user').where({ username: 'dave' }).update({ first_name: 'David' });
    try {
      const again: ImportReport = await importNow();
      expect(again.users).to.deep.equal({ inserted: 0, updated: first.auth_user.length });
      expect(again.groups.inserted).to.equal(0);
      for (const synced of [again.memberships, again.groupPermissions, again.userPermissions])
        expect(synced).to.deep.equal({ added: 0, removed: 0 });
      expect(again.outstandingTokens.inserted).to.equal(0);
      expect(again.blacklistedTokens).to.equal(0);
      expect(again.logEntries.inserted).to.equal(0);
      const second = await snapshot(testKnex());
      for (const table of Object.keys(first)) {
        if (table !== 'auth_user') expect(second[table], table).to.deep.equal(first[table]);
      }
      expect(second.auth_user.find((u: { username: string }) => u.username === 'dave').first_name).to.equal('David');
      await api().post('/api/token/refresh/').send({ refresh: tokens.alice.refresh }).expect(401, BLACKLISTED);
    } finally {
      await django('auth_user').where({ username: 'dave' }).update({ first_name: '' });
    }
  });

  it('refuses a database with other users unless --merge, and then keeps them', async () => {
    const other = await makeUser({ username: 'only-here' });
    // makeUser's id 1 would be root's: move it out of the way of Django's ids.
    await testKnex()('auth_user').where({ id: other.id }).update({ id: 1000 });
    const error = await importNow().catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ImportRefusedError);
    expect((error as Error).message).to.include('1 user(s) the Django database does not have; pass --merge');
    expect(await testKnex()('auth_user').pluck('username')).to.deep.equal(['only-here']);

    const report = await importNow({ merge: true });
    expect(report.otherUsers).to.equal(1);
    expect(await testKnex()('auth_user').where({ username: 'only-here' }).first()).to.include({ id: 1000 });
  });

  it('refuses a user here with a Django user id under another name, even with --merge', async () => {
    await testKnex()('auth_user').insert({ id: tokens.alice.id, username: 'mallory', password: '!' });
    const error = await importNow({ merge: true }).catch((e: unknown) => e);
    expect((error as Error).message).to.include(`id ${tokens.alice.id} is "mallory" here and "alice" in Django`);
    expect(await testKnex()('auth_user').pluck('username')).to.deep.equal(['mallory']);
  });

  it('leaves nothing when it fails mid-way (a row refused at the last table)', async () => {
    const [last] = await django('django_admin_log').max({ id: 'id' });
    await testKnex().raw(
      `ALTER TABLE admin_log ADD CONSTRAINT test_refuse_import CHECK (django_id IS DISTINCT FROM ${Number(last!.id)})`,
    );
    try {
      const before = await snapshot(testKnex());
      const error = await importNow().catch((e: unknown) => e);
      expect((error as Error).message).to.include('test_refuse_import');
      expect(await snapshot(testKnex())).to.deep.equal(before);
    } finally {
      await testKnex().raw('ALTER TABLE admin_log DROP CONSTRAINT test_refuse_import');
    }
  });
});
