/**
 * A declared resource served as DRF's `ModelViewSet` serves a model: typed input with DRF's
 * messages, django-filter's lookups and messages, search and ordering within bounds, Django's
 * model permissions made for it, access rules that scope lists and objects (404 outside the
 * rows seen, 403 outside the action's scope), each write in a transaction with its audit entry,
 * and the OpenAPI document from the same declaration.
 */
import Router from '@koa/router';
import { expect } from 'chai';
import Koa from 'koa';
import supertest from 'supertest';
import { z } from 'zod';
import { jsonBody } from '../../src/http/body.js';
import { createErrorWriter } from '../../src/http/error-writer.js';
import { buildOpenApiDocument } from '../../src/openapi/document.js';
import { SYSTEM_ACTOR, type Actor } from '../../src/permissions/policy.js';
import { allows, modelPermissions, narrow, ownerRules } from '../../src/resources/access.js';
import { defineFeature, modelApps } from '../../src/resources/features.js';
import { field } from '../../src/resources/fields.js';
import { FEATURES } from '../../src/registry.js';
import { permissionRowsOf, syncResourcePermissions } from '../../src/resources/permissions.js';
import { defineResource, type Resource } from '../../src/resources/resource.js';
import { resourceRoutes } from '../../src/resources/routes.js';
import { bearer, makeGroup, makeUser, testDeps } from '../support/app.js';
import { testKnex } from '../support/hooks.js';

const projects = defineResource({
  name: 'projects',
  model: 'project',
  table: 'test_projects',
  description: 'Projects, for the tests of declared resources.',
  fields: {
    name: field.string(100, { unique: true }),
    description: field.text({ optional: true }),
    budget: field.decimal(8, 2, { optional: true }),
    active: field.boolean(),
    starts: field.date({ optional: true }),
    due_at: field.datetime({ optional: true }),
    seats: field.integer({ optional: true, min: 0 }),
    owner: field.user({ readOnly: true }),
  },
  owner: 'owner',
  filters: {
    active: ['exact'],
    owner: ['exact', 'in'],
    name: ['icontains', 'iexact'],
    budget: ['gte', 'lt', 'isnull'],
    starts: ['gte'],
    due_at: ['lt'],
  },
  search: ['name', 'description'],
  ordering: ['name', 'budget', 'starts'],
  defaultOrdering: ['name'],
  access: ownerRules('project', 'owner_id'),
  repr: (project) => project.name,
  extraActions: {
    archive: {
      detail: true,
      method: 'post',
      rule: 'change',
      permission: 'change_project',
      body: { reason: field.string(20, { optional: true }) },
      summary: 'Archive a project',
      description: 'Sets `active` to false.',
      response: { status: 200, description: 'The project, archived.', schema: 'row' },
      run: ({ change }) => change({ active: false }),
    },
    summary: {
      detail: false,
      method: 'get',
      rule: 'view',
      summary: 'Count the projects',
      description: 'How many projects the user sees, and how many are active.',
      response: {
        status: 200,
        description: 'The counts.',
        schema: z.object({ count: z.int(), active: z.int() }),
      },
      run: async ({ db, actor }) => {
        const rows = await narrow(
          db('test_projects'),
          ownerRules('project', 'owner_id').view(actor),
          'test_projects',
        ).select('active');
        return { count: rows.length, active: rows.filter((row: { active: boolean }) => row.active).length };
      },
    },
  },
});

async function createTable() {
  const knex = testKnex();
  await knex.schema.dropTableIfExists('test_projects');
  await knex.schema.createTable('test_projects', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable().unique();
    t.text('description').notNullable().defaultTo('');
    t.decimal('budget', 8, 2).nullable();
    t.boolean('active').notNullable();
    t.date('starts').nullable();
    t.timestamp('due_at', { useTz: true }).nullable();
    t.integer('seats').nullable();
    t.integer('owner_id').nullable().references('auth_user.id').onDelete('CASCADE');
  });
}

function client(resource: Resource = projects) {
  const deps = testDeps();
  const app = new Koa();
  app.silent = true;
  app.use(createErrorWriter({}));
  app.use(jsonBody());
  const api = new Router({ prefix: '/api' });
  api.use(resourceRoutes(deps, resource).routes());
  app.use(api.routes());
  return { request: supertest(app.callback()), api };
}

describe('declared resources', () => {
  before(createTable);
  beforeEach(async () => {
    await testKnex()('test_projects').delete();
    await syncResourcePermissions(testKnex(), [projects]);
  });
  // The table and the permissions go with the test: later tests see the project's own permissions only.
  after(async () => {
    await testKnex().schema.dropTableIfExists('test_projects');
    await testKnex()('auth_permission').where({ model: 'project' }).delete();
  });

  async function userWith(username: string, codenames: string[]) {
    const user = await makeUser({ username });
    if (codenames.length) {
      await makeGroup(`${username}-group`, codenames);
      await testKnex()('auth_user_groups').insert({
        user_id: user.id,
        group_id: (
          await testKnex()('auth_group')
            .where({ name: `${username}-group` })
            .first('id')
        ).id,
      });
    }
    return { user, authorization: await bearer(user) };
  }

  describe('declarations that cannot work are refused when declared', () => {
    const base = {
      name: 'things',
      model: 'thing',
      table: 'things',
      description: 'Things.',
      fields: { name: field.string(10) },
      repr: () => '',
    };

    it('a default order naming no field', () => {
      expect(() => defineResource({ ...base, defaultOrdering: ['-nme'] })).to.throw('defaultOrdering: no field "-nme"');
    });

    it('orders by default by any field, sortable by the client or not', () => {
      const things = defineResource({ ...base, defaultOrdering: ['-name'] });
      expect(things.listQuery.parse({}).query.ordering).to.deep.equal([{ column: 'name', descending: true }]);
    });

    it('a computed field whose name a field or a list parameter has', () => {
      const computed = { schema: z.string(), value: () => '' };
      expect(() => defineResource({ ...base, computed: { name: computed } })).to.throw(
        'computed field "name": its name is taken',
      );
      expect(() => defineResource({ ...base, computed: { search: computed } })).to.throw(
        'computed field "search": its name is taken',
      );
    });

    it('an internal column named as a field, or not as a column', () => {
      expect(() => defineResource({ ...base, internal: ['name'] })).to.throw(
        'internal column "name": not a snake_case name, or the name of a field',
      );
      expect(() => defineResource({ ...base, internal: ['Object Key'] })).to.throw('internal column "Object Key"');
      expect(defineResource({ ...base, internal: ['object_key'] }).internal).to.deep.equal(['object_key']);
    });

    it('a UUID key represents its id as a UUID in the document', () => {
      const things = defineResource({ ...base, key: 'uuid' });
      expect(things.jsonSchema.shape.id.safeParse('7c2f0c1e-7a43-4c1b-9d55-0f3f1e2b8a10').success).to.equal(true);
      expect(things.jsonSchema.shape.id.safeParse(7).success).to.equal(false);
    });
  });

  describe('permissions made from the declaration', () => {
    it('creates the four model permissions once, named as Django names them', async () => {
      expect(permissionRowsOf(projects).map((p) => [p.codename, p.name])).to.deep.equal([
        ['add_project', 'Can add project'],
        ['change_project', 'Can change project'],
        ['delete_project', 'Can delete project'],
        ['view_project', 'Can view project'],
      ]);
      expect(await syncResourcePermissions(testKnex(), [projects])).to.deep.equal([]);
      await testKnex()('auth_permission').where({ codename: 'view_project' }).update({ name: 'old name' });
      await testKnex()('auth_permission').where({ codename: 'add_project' }).delete();
      expect(await syncResourcePermissions(testKnex(), [projects])).to.deep.equal(['add_project']);
      const rows = await testKnex()('auth_permission').where({ model: 'project' }).orderBy('codename').pluck('name');
      expect(rows).to.deep.equal(['Can add project', 'Can change project', 'Can delete project', 'Can view project']);
    });
  });

  it("gives import-django each model's Django app: a resource's is its feature's folder", () => {
    const apps = modelApps([...FEATURES, defineFeature({ name: 'projects', resources: [projects] })]);
    expect(apps.get('project')).to.equal('projects');
    expect(apps.get('user')).to.equal('auth');
    expect(apps.get('outstandingtoken')).to.equal('token_blacklist');
    expect(apps.get('logentry')).to.equal('admin');
    expect(apps.get('file')).to.equal('files');
  });

  describe('access rules, as a table', () => {
    const actor = (id: number, permissions: string[], superuser = false): Actor => ({
      id,
      is_active: true,
      is_staff: false,
      is_superuser: superuser,
      permissions: new Set(permissions),
    });
    const own = { owner_id: 7 };
    const other = { owner_id: 8 };
    const cases: Array<[string, Actor, 'view' | 'change' | 'delete', boolean, boolean]> = [
      ['an owner without permissions sees its row', actor(7, []), 'view', true, false],
      ['an owner changes its row', actor(7, []), 'change', true, false],
      ['an owner deletes its row', actor(7, []), 'delete', true, false],
      ['view_project sees every row', actor(7, ['view_project']), 'view', true, true],
      ['view_project alone changes only its own', actor(7, ['view_project']), 'change', true, false],
      ['change_project changes every row', actor(7, ['change_project']), 'change', true, true],
      ['a superuser does everything', actor(9, [], true), 'delete', true, true],
      ['the system actor (the CLI) does everything', SYSTEM_ACTOR, 'change', true, true],
    ];
    for (const [title, who, action, onOwn, onOther] of cases)
      it(title, () => {
        const verdict = ownerRules('project', 'owner_id')[action](who);
        expect([allows(verdict, own), allows(verdict, other)]).to.deep.equal([onOwn, onOther]);
      });

    it('model permissions: each action needs its permission, view for reads', () => {
      const rules = modelPermissions('project');
      const reader = actor(1, ['view_project']);
      expect([rules.view(reader), rules.add(reader), rules.change(reader), rules.delete(reader)]).to.deep.equal([
        true,
        false,
        false,
        false,
      ]);
      expect(ownerRules('project', 'owner_id').add(actor(1, []))).to.equal(false);
    });
  });

  describe('over HTTP', () => {
    it('creates with typed input, the owner set to the creator, an audit entry in the same transaction', async () => {
      const { user, authorization } = await userWith('maker', ['add_project']);
      const res = await client()
        .request.post('/api/projects/')
        .set('Authorization', authorization)
        .send({
          name: ' Apollo ',
          budget: 1234.5,
          active: 'true',
          starts: '2026-01-02',
          due_at: '2026-03-04T05:06:07+02:00',
          seats: '12',
          owner: 999,
        })
        .expect(201);
      expect(res.body).to.deep.equal({
        id: res.body.id,
        name: 'Apollo',
        description: '',
        budget: '1234.50',
        active: true,
        starts: '2026-01-02',
        due_at: '2026-03-04T03:06:07.000Z',
        seats: 12,
        owner: user.id,
      });
      const entries = await testKnex()('admin_log').select('action', 'target_type', 'target_repr', 'details');
      expect(entries).to.deep.equal([
        {
          action: 'add_project',
          target_type: 'project',
          target_repr: 'Apollo',
          details: { added: ['name', 'budget', 'active', 'starts', 'due_at', 'seats'] },
        },
      ]);
    });

    it("answers DRF's messages for every bad field at once, unique and references included", async () => {
      const { authorization } = await userWith('maker', ['add_project']);
      const { request } = client();
      await request.post('/api/projects/').set('Authorization', authorization).send({ name: 'Taken', active: true });
      const res = await request
        .post('/api/projects/')
        .set('Authorization', authorization)
        .send({ name: 'Taken', budget: '12345678.1', starts: '2026-02-30', due_at: 'soon', seats: -1 })
        .expect(400);
      expect(res.body).to.deep.equal({
        name: ['project with this name already exists.'],
        budget: ['Ensure that there are no more than 8 digits in total.'],
        active: ['This field is required.'],
        starts: ['Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'],
        due_at: [
          'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].',
        ],
        seats: ['Ensure this value is greater than or equal to 0.'],
      });
      const digits = await request
        .post('/api/projects/')
        .set('Authorization', authorization)
        .send({ name: 'X', active: true, budget: '1.234', seats: 1.5, starts: 20260102 })
        .expect(400);
      expect(digits.body).to.deep.equal({
        budget: ['Ensure that there are no more than 2 decimal places.'],
        starts: ['Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'],
        seats: ['A valid integer is required.'],
      });
      const whole = await request
        .post('/api/projects/')
        .set('Authorization', authorization)
        .send({ name: 'Y', active: 'maybe', budget: '1234567.1' })
        .expect(400);
      expect(whole.body).to.deep.equal({
        budget: ['Ensure that there are no more than 6 digits before the decimal point.'],
        active: ['Must be a valid boolean.'],
      });
      expect(await testKnex()('test_projects').pluck('name')).to.deep.equal(['Taken']);
    });

    it('refuses a reference to nothing and a reference of the wrong type as DRF does', async () => {
      const tasks = defineResource({
        name: 'tasks',
        model: 'task',
        table: 'test_projects',
        description: 'Tasks.',
        fields: { name: field.string(100), active: field.boolean(), owner: field.user({ optional: true }) },
        repr: (task) => task.name,
      });
      await syncResourcePermissions(testKnex(), [tasks]);
      const { authorization } = await userWith('maker', ['add_task']);
      await userWith('maker2', []);
      const { request } = client(tasks);
      const missing = await request
        .post('/api/tasks/')
        .set('Authorization', authorization)
        .send({ name: 'a', active: true, owner: '9999' })
        .expect(400);
      expect(missing.body).to.deep.equal({ owner: ['Invalid pk "9999" - object does not exist.'] });
      const wrong = await request
        .post('/api/tasks/')
        .set('Authorization', authorization)
        .send({ name: 'a', active: true, owner: 'me' })
        .expect(400);
      expect(wrong.body).to.deep.equal({ owner: ['Incorrect type. Expected pk value, received str.'] });
      await request
        .post('/api/tasks/')
        .set('Authorization', authorization)
        .send({ name: 'a', active: true, owner: null })
        .expect(201);
      await testKnex()('auth_permission').where({ model: 'task' }).delete();
    });

    describe('lists', () => {
      let alice: Awaited<ReturnType<typeof userWith>>;
      let bob: Awaited<ReturnType<typeof userWith>>;

      beforeEach(async () => {
        alice = await userWith('alice', ['add_project']);
        bob = await userWith('bob', ['add_project', 'view_project']);
        const { request } = client();
        const rows = [
          [alice, { name: 'Apollo', description: 'to the moon', budget: '100.00', active: true, starts: '2026-01-01' }],
          [alice, { name: 'Gemini', budget: null, active: false, starts: '2026-06-01' }],
          [bob, { name: 'Mercury', description: 'first orbit', budget: '50.50', active: true }],
        ] as const;
        for (const [who, body] of rows)
          await request.post('/api/projects/').set('Authorization', who.authorization).send(body).expect(201);
      });

      const names = (body: { results: { name: string }[] }) => body.results.map((p) => p.name);

      it('scopes the list by the view rule: an owner sees its own rows, view_project every row', async () => {
        const { request } = client();
        const own = await request.get('/api/projects/').set('Authorization', alice.authorization).expect(200);
        expect(names(own.body)).to.deep.equal(['Apollo', 'Gemini']);
        expect(own.body).to.include({ count: 2, next: null, previous: null });
        const all = await request.get('/api/projects/').set('Authorization', bob.authorization).expect(200);
        expect(names(all.body)).to.deep.equal(['Apollo', 'Gemini', 'Mercury']);
      });

      it('filters with django-filter lookups, searches and orders', async () => {
        const { request } = client();
        const get = async (query: string) =>
          names(
            (await request.get(`/api/projects/?${query}`).set('Authorization', bob.authorization).expect(200)).body,
          );
        expect(await get('active=true')).to.deep.equal(['Apollo', 'Mercury']);
        expect(await get('active=maybe')).to.deep.equal(['Apollo', 'Gemini', 'Mercury']);
        // django-filter's BooleanWidget: any case; a value with NUL is no boolean, ignored (only a text refuses NUL).
        expect(await get('active=TRUE')).to.deep.equal(['Apollo', 'Mercury']);
        expect(await get('active=%00')).to.deep.equal(['Apollo', 'Gemini', 'Mercury']);
        expect(await get('budget__isnull=true%00')).to.deep.equal(['Apollo', 'Gemini', 'Mercury']);
        expect(await get(`owner=${alice.user.id}`)).to.deep.equal(['Apollo', 'Gemini']);
        expect(await get(`owner__in=${alice.user.id},${bob.user.id}`)).to.deep.equal(['Apollo', 'Gemini', 'Mercury']);
        expect(await get('name__icontains=MER')).to.deep.equal(['Mercury']);
        expect(await get('name__iexact=apollo')).to.deep.equal(['Apollo']);
        expect(await get('budget__gte=60')).to.deep.equal(['Apollo']);
        expect(await get('budget__lt=60')).to.deep.equal(['Mercury']);
        expect(await get('budget__isnull=true')).to.deep.equal(['Gemini']);
        expect(await get('starts__gte=2026-02-01')).to.deep.equal(['Gemini']);
        expect(await get('search=moon')).to.deep.equal(['Apollo']);
        expect(await get('search=first,orbit')).to.deep.equal(['Mercury']);
        expect(await get('search=100%25')).to.deep.equal([]);
        // PostgreSQL sorts NULL after every value, so first when descending, as Django's ordering does.
        expect(await get('ordering=-budget')).to.deep.equal(['Gemini', 'Apollo', 'Mercury']);
        expect(await get('ordering=budget')).to.deep.equal(['Mercury', 'Apollo', 'Gemini']);
        expect(await get('ordering=-name,bogus')).to.deep.equal(['Mercury', 'Gemini', 'Apollo']);
      });

      it("answers django-filter's messages for bad values, and 400 past the bounds", async () => {
        const { request } = client();
        const bad = await request
          .get('/api/projects/?budget__gte=lots&starts__gte=soon&due_at__lt=later&owner=99999&name__icontains=a%00')
          .set('Authorization', bob.authorization)
          .expect(400);
        expect(bad.body).to.deep.equal({
          name__icontains: ['Null characters are not allowed.'],
          budget__gte: ['Enter a number.'],
          starts__gte: ['Enter a valid date.'],
          due_at__lt: ['Enter a valid date/time.'],
        });
        const missing = await request
          .get('/api/projects/?owner=99999')
          .set('Authorization', bob.authorization)
          .expect(400);
        expect(missing.body).to.deep.equal({
          owner: ['Select a valid choice. That choice is not one of the available choices.'],
        });
        const many = await request
          .get(`/api/projects/?search=${Array.from({ length: 11 }, (_, i) => `t${i}`).join(',')}`)
          .set('Authorization', bob.authorization)
          .expect(400);
        expect(many.body).to.deep.equal({ search: ['Ensure this field has no more than 10 elements.'] });
      });

      it('looks an object up inside the view scope (404 outside), then checks the action (403)', async () => {
        const { request } = client();
        const [apollo, , mercury] = (
          await request.get('/api/projects/').set('Authorization', bob.authorization).expect(200)
        ).body.results as { id: number }[];
        // Alice sees only her own: Mercury does not exist for her.
        await request.get(`/api/projects/${mercury!.id}/`).set('Authorization', alice.authorization).expect(404);
        await request
          .patch(`/api/projects/${mercury!.id}/`)
          .set('Authorization', alice.authorization)
          .send({})
          .expect(404);
        // Bob sees Apollo (view_project) but may change only his own rows.
        await request.get(`/api/projects/${apollo!.id}/`).set('Authorization', bob.authorization).expect(200);
        const refused = await request
          .patch(`/api/projects/${apollo!.id}/`)
          .set('Authorization', bob.authorization)
          .send({ name: 'Stolen' })
          .expect(403);
        expect(refused.body).to.deep.equal({ detail: 'You do not have permission to perform this action.' });
        await request.delete(`/api/projects/${apollo!.id}/`).set('Authorization', bob.authorization).expect(403);
        // The owner changes her own; the change message names the fields that changed.
        const changed = await request
          .patch(`/api/projects/${apollo!.id}/`)
          .set('Authorization', alice.authorization)
          .send({ budget: '99.5', name: 'Apollo' })
          .expect(200);
        expect(changed.body).to.include({ name: 'Apollo', budget: '99.50' });
        const entry = await testKnex()('admin_log')
          .where({ action: 'change_project' })
          .first('details', 'actor_username');
        expect(entry).to.deep.equal({ details: { changed: ['budget'] }, actor_username: 'alice' });
        await request.delete(`/api/projects/${apollo!.id}/`).set('Authorization', alice.authorization).expect(204);
        expect(await testKnex()('admin_log').where({ action: 'delete_project' }).pluck('target_repr')).to.deep.equal([
          'Apollo',
        ]);
      });

      it('serves extra actions inside the same scopes: 404 outside view, 403 outside the rule, the body validated, the change audited', async () => {
        const { request } = client();
        const [apollo, gemini, mercury] = (
          await request.get('/api/projects/').set('Authorization', bob.authorization).expect(200)
        ).body.results as { id: number }[];
        const archive = (id: number, who: { authorization: string }, body: object = {}) =>
          request.post(`/api/projects/${id}/archive/`).set('Authorization', who.authorization).send(body);
        await archive(mercury!.id, alice).expect(404);
        await archive(apollo!.id, bob).expect(403);
        const tooLong = await archive(apollo!.id, alice, { reason: 'x'.repeat(21) }).expect(400);
        expect(tooLong.body).to.deep.equal({ reason: ['Ensure this field has no more than 20 characters.'] });
        const archived = await archive(apollo!.id, alice, { reason: 'done' }).expect(200);
        expect(archived.body).to.include({ id: apollo!.id, name: 'Apollo', active: false });
        const entry = await testKnex()('admin_log').where({ action: 'change_project' }).first('details', 'target_repr');
        expect(entry).to.deep.equal({ details: { changed: ['active'] }, target_repr: 'Apollo' });
        // A list action is not taken for an object's id, and counts inside the view scope.
        const own = await request.get('/api/projects/summary/').set('Authorization', alice.authorization).expect(200);
        expect(own.body).to.deep.equal({ count: 2, active: 0 });
        const all = await request.get('/api/projects/summary/').set('Authorization', bob.authorization).expect(200);
        expect(all.body).to.deep.equal({ count: 3, active: 1 });
        await request.get(`/api/projects/${gemini!.id}/summary/`).set('Authorization', bob.authorization).expect(404);
      });

      it('refuses outright (403) an actor whose rule allows no row, before any lookup', async () => {
        const { authorization } = await userWith('nobody', []);
        const { request } = client();
        // Without view_project nobody still sees its own (none): an empty list, and 404 for others' rows.
        const list = await request.get('/api/projects/').set('Authorization', authorization).expect(200);
        expect(list.body.count).to.equal(0);
        await request
          .post('/api/projects/')
          .set('Authorization', authorization)
          .send({ name: 'N', active: true })
          .expect(403);
      });
    });

    it('declares its OpenAPI paths, parameters and tag from the same declaration', () => {
      const { api } = client();
      const document = buildOpenApiDocument(api, { title: 't', version: '0' }, []);
      expect(Object.keys(document.paths)).to.deep.equal([
        '/api/projects/{id}/archive/',
        '/api/projects/summary/',
        '/api/projects/',
        '/api/projects/{id}/',
      ]);
      expect(document.tags).to.deep.equal([
        { name: 'projects', description: 'Projects, for the tests of declared resources.' },
      ]);
      const list = (document.paths['/api/projects/'] as Record<string, { parameters: { name: string }[] }>).get!;
      expect(list.parameters.map((p) => p.name)).to.deep.equal([
        'page',
        'page_size',
        'active',
        'owner',
        'owner__in',
        'name__icontains',
        'name__iexact',
        'budget__gte',
        'budget__lt',
        'budget__isnull',
        'starts__gte',
        'due_at__lt',
        'search',
        'ordering',
      ]);
    });
  });
});

const teams = defineResource({
  name: 'teams',
  model: 'team',
  table: 'test_teams',
  description: 'Teams, for the tests of filters through a many-to-many field.',
  fields: { name: field.string(50, { unique: true }) },
  manyToMany: {
    members: field.slugs({
      table: 'auth_user',
      slug: 'username',
      through: 'test_team_members',
      from: 'team_id',
      to: 'user_id',
      optional: true,
    }),
  },
  filters: { name: ['icontains'] },
  relatedFilters: { member: 'members' },
  search: ['name'],
  ordering: ['name'],
  defaultOrdering: ['name'],
  repr: (team) => team.name,
});

describe('declared resources: a filter through a many-to-many field', () => {
  let authorization: string;
  before(async () => {
    const knex = testKnex();
    await knex.schema.dropTableIfExists('test_team_members');
    await knex.schema.dropTableIfExists('test_teams');
    await knex.schema.createTable('test_teams', (t) => {
      t.increments('id');
      t.string('name', 50).notNullable().unique();
    });
    await knex.schema.createTable('test_team_members', (t) => {
      t.increments('id');
      t.integer('team_id').notNullable().references('test_teams.id').onDelete('CASCADE');
      t.integer('user_id').notNullable().references('auth_user.id').onDelete('CASCADE');
    });
  });
  beforeEach(async () => {
    await testKnex()('test_teams').delete();
    const root = await makeUser({ username: 'teamroot', is_superuser: true, is_staff: true });
    authorization = await bearer(root);
    await makeUser({ username: 'ann' });
    await makeUser({ username: 'ben' });
    const { request } = client(teams);
    for (const [name, members] of [
      ['Red', ['ann', 'ben']],
      ['Green', ['ann']],
      ['Blue', []],
    ] as const)
      await request.post('/api/teams/').set('Authorization', authorization).send({ name, members }).expect(201);
  });
  after(async () => {
    await testKnex().schema.dropTableIfExists('test_team_members');
    await testKnex().schema.dropTableIfExists('test_teams');
  });

  const list = async (query: string, status = 200) =>
    (await client(teams).request.get(`/api/teams/?${query}`).set('Authorization', authorization).expect(status)).body;
  const names = async (query: string) => (await list(query)).results.map((t: { name: string }) => t.name);

  it('keeps the rows related to a row of that slug, each once, with the other filters', async () => {
    expect(await names('member=ann')).to.deep.equal(['Green', 'Red']);
    expect(await names('member=ben')).to.deep.equal(['Red']);
    expect(await names('member=nobody')).to.deep.equal([]);
    // Exact, as django-filter's `CharFilter` on `members__username`: no part, no other case.
    expect(await names('member=an')).to.deep.equal([]);
    expect(await names('member=ANN')).to.deep.equal([]);
    // Empty is no filter; the last of a repeated parameter counts.
    expect(await names('member=')).to.deep.equal(['Blue', 'Green', 'Red']);
    expect(await names('member=ben&member=ann')).to.deep.equal(['Green', 'Red']);
    expect(await names('member=ann&search=re')).to.deep.equal(['Green', 'Red']);
    expect(await names('member=ann&name__icontains=gr&ordering=-name')).to.deep.equal(['Green']);
    expect((await list('member=ann')).count).to.equal(2);
  });

  it("refuses NUL as django-filter's text field does, and a value past the bound", async () => {
    expect(await list('member=a%00', 400)).to.deep.equal({ member: ['Null characters are not allowed.'] });
    expect(await list(`member=${'a'.repeat(201)}&search=${'b'.repeat(201)}`, 400)).to.deep.equal({
      member: ['Ensure this field has no more than 200 characters.'],
      search: ['Ensure this field has no more than 200 characters.'],
    });
  });

  it('declares the parameter in the OpenAPI document, bounded as it is read', () => {
    const { api } = client(teams);
    const document = buildOpenApiDocument(api, { title: 't', version: '0' }, []);
    const { parameters } = (
      document.paths['/api/teams/'] as Record<string, { parameters: { name: string; schema: object }[] }>
    ).get!;
    expect(parameters.map((p) => p.name)).to.deep.equal([
      'page',
      'page_size',
      'name__icontains',
      'member',
      'search',
      'ordering',
    ]);
    expect(parameters.find((p) => p.name === 'member')).to.deep.include({
      description: 'Only rows related to a `members` row whose `username` is the value; empty: no filter.',
      schema: { type: 'string', maxLength: 200 },
    });
  });

  it('refuses a declaration whose related filter cannot work', () => {
    const declare = (relatedFilters: Record<string, string>) => () =>
      defineResource({ ...teams, manyToMany: teams.manyToMany, relatedFilters } as Parameters<
        typeof defineResource
      >[0]);
    expect(declare({ member: 'nothing' })).to.throw('relatedFilters: no many-to-many field "nothing"');
    expect(declare({ search: 'members' })).to.throw('"search" is a reserved, repeated or malformed parameter name');
    expect(declare({ name__icontains: 'members' })).to.throw(
      '"name__icontains" is a reserved, repeated or malformed parameter name',
    );
  });
});
