/**
 * The generic model admin: a declared resource of a registered feature appears in the admin's
 * index and navigation, and gets a list (search, filters, ordering, pages), add and change forms
 * with DRF's messages (references as a choice of rows, many-to-many fields as checkboxes), a
 * button per extra action, a delete confirmation and a history page — each write audited, CSRF
 * checked, access as the API applies its rules, and only the actions the resource offers.
 */
import { expect } from 'chai';
import supertest from 'supertest';
import { createApp } from '../../src/app.js';
import { validationError } from '../../src/errors.js';
import { hasPermission } from '../../src/permissions/policy.js';
import { FEATURES } from '../../src/registry.js';
import { ownerRules } from '../../src/resources/access.js';
import { defineFeature, resourcesOf } from '../../src/resources/features.js';
import { field } from '../../src/resources/fields.js';
import { syncResourcePermissions } from '../../src/resources/permissions.js';
import { defineResource } from '../../src/resources/resource.js';
import { makeGroup, makeUser, PASSWORD, testDeps } from '../support/app.js';
import { testKnex } from '../support/hooks.js';
import { adminLogin, type AdminSession } from './support.js';

const widgets = defineResource({
  name: 'widgets',
  model: 'widget',
  table: 'test_widgets',
  description: 'Widgets, for the tests of the generic admin.',
  fields: {
    name: field.string(50, { unique: true }),
    notes: field.text({ optional: true }),
    price: field.decimal(6, 2, { optional: true }),
    quantity: field.integer({ optional: true, min: 0 }),
    in_stock: field.boolean(),
    released: field.date({ optional: true }),
    checked_at: field.datetime({ optional: true }),
    owner: field.user({ readOnly: true }),
  },
  owner: 'owner',
  filters: { in_stock: ['exact'], price: ['gte'] },
  search: ['name', 'notes'],
  ordering: ['name', 'price'],
  defaultOrdering: ['name'],
  access: ownerRules('widget', 'owner_id'),
  admin: { columns: ['price', 'in_stock'] },
  repr: (widget) => `Widget ${widget.name}`,
});

/** Only holders of its model permissions see it (the default rules); its table is never queried here. */
const gadgets = defineResource({
  name: 'gadgets',
  model: 'gadget',
  table: 'test_gadgets',
  description: 'Gadgets, seen by holders of view_gadget only.',
  fields: { label: field.string(20) },
  repr: (gadget) => gadget.label,
});

/** Read-only through the API (list and retrieve), so its admin has no add, save or delete. */
const makers = defineResource({
  name: 'makers',
  model: 'maker',
  table: 'test_makers',
  description: 'Makers, listed and read only.',
  fields: { name: field.string(50, { unique: true }) },
  actions: ['list', 'retrieve'],
  repr: (maker) => maker.name,
});

const ARCHIVED = { status: 200, description: 'The part.', schema: 'row' } as const;

/** References (a maker, a user), a many-to-many field (tags by slug) and extra actions. */
const parts = defineResource({
  name: 'parts',
  model: 'part',
  table: 'test_parts',
  description: 'Parts, for the references, relations and actions of the generic admin.',
  fields: {
    name: field.string(50),
    maker: field.ref(makers),
    assignee: field.user({ optional: true }),
    archived: field.boolean({ readOnly: true }),
    owner: field.user({ readOnly: true }),
  },
  manyToMany: {
    tags: field.slugs({ table: 'test_tags', slug: 'slug', through: 'test_part_tags', from: 'part_id', to: 'tag_id' }),
  },
  owner: 'owner',
  filters: { maker: ['exact'] },
  access: ownerRules('part', 'owner_id'),
  admin: { columns: ['maker', 'assignee'] },
  extraActions: {
    archive: {
      detail: true,
      method: 'post',
      rule: 'change',
      summary: 'Archive the part',
      description: 'Marks the part archived.',
      response: ARCHIVED,
      run: async ({ row, change }) => {
        if (row!.archived) throw validationError({ archived: ['The part is already archived.'] });
        return change({ archived: true });
      },
    },
    unarchive: {
      detail: true,
      method: 'post',
      rule: (actor) => hasPermission(actor, 'delete_part'),
      summary: 'Unarchive the part',
      description: 'Holders of delete_part only.',
      response: ARCHIVED,
      run: ({ change }) => change({ archived: false }),
    },
    rename: {
      detail: true,
      method: 'post',
      rule: 'change',
      body: { name: field.string(50) },
      summary: 'Rename the part',
      description: 'An action with a body: the API’s only.',
      response: ARCHIVED,
      run: ({ body, change }) => change({ name: body.name }),
    },
    label: {
      detail: true,
      method: 'get',
      rule: 'view',
      summary: 'Print the label',
      description: 'A GET action: the API’s only.',
      response: ARCHIVED,
      run: async ({ row }) => row,
    },
    restock: {
      detail: false,
      method: 'post',
      rule: 'change',
      summary: 'Restock all',
      description: 'An action on the list: the API’s only.',
      response: { status: 204, description: 'Done.' },
      run: async () => undefined,
    },
  },
  repr: (part) => part.name,
});

const FEATURES_UNDER_TEST = [
  ...FEATURES,
  defineFeature({ name: 'widgets', resources: [widgets, gadgets, makers, parts] }),
];

function client() {
  return supertest(createApp(testDeps(), FEATURES_UNDER_TEST).app.callback());
}

async function createTable() {
  const knex = testKnex();
  await knex.schema.dropTableIfExists('test_widgets');
  await knex.schema.createTable('test_widgets', (t) => {
    t.increments('id');
    t.string('name', 50).notNullable().unique();
    t.text('notes').notNullable().defaultTo('');
    t.decimal('price', 6, 2).nullable();
    t.integer('quantity').nullable();
    t.boolean('in_stock').notNullable();
    t.date('released').nullable();
    t.timestamp('checked_at', { useTz: true }).nullable();
    t.integer('owner_id').nullable().references('auth_user.id').onDelete('CASCADE');
  });
  await dropPartTables();
  await knex.schema.createTable('test_makers', (t) => {
    t.increments('id');
    t.string('name', 50).notNullable().unique();
  });
  await knex.schema.createTable('test_tags', (t) => {
    t.increments('id');
    t.string('slug', 50).notNullable().unique();
  });
  await knex.schema.createTable('test_parts', (t) => {
    t.increments('id');
    t.string('name', 50).notNullable();
    t.integer('maker_id').notNullable().references('test_makers.id');
    t.integer('assignee_id').nullable().references('auth_user.id').onDelete('SET NULL');
    t.boolean('archived').notNullable().defaultTo(false);
    t.integer('owner_id').nullable().references('auth_user.id').onDelete('CASCADE');
  });
  await knex.schema.createTable('test_part_tags', (t) => {
    t.increments('id');
    t.integer('part_id').notNullable().references('test_parts.id').onDelete('CASCADE');
    t.integer('tag_id').notNullable().references('test_tags.id').onDelete('CASCADE');
  });
}

async function dropPartTables() {
  for (const table of ['test_part_tags', 'test_parts', 'test_tags', 'test_makers'])
    await testKnex().schema.dropTableIfExists(table);
}

/** Inserts rows straight into a table (no audit entry), returning their ids in order. */
async function insertRows(table: string, rows: Array<Record<string, unknown>>): Promise<number[]> {
  const inserted = await testKnex()(table).insert(rows).returning('id');
  return inserted.map((row: { id: number }) => row.id);
}

/** Inserts widgets straight into the table (no audit entry). */
async function insertWidgets(rows: Array<Record<string, unknown>>): Promise<number[]> {
  const inserted = await testKnex()('test_widgets')
    .insert(rows.map((row) => ({ in_stock: true, ...row })))
    .returning('id');
  return inserted.map((row: { id: number }) => row.id);
}

async function superuser(): Promise<AdminSession> {
  const root = await makeUser({ username: 'root', is_staff: true, is_superuser: true });
  return adminLogin(root, PASSWORD, client());
}

/** A staff member holding exactly the given permissions (through a group of its own). */
async function staff(username: string, codenames: string[] = []) {
  if (codenames.length) await makeGroup(`${username}-group`, codenames);
  const user = await makeUser({ username, is_staff: true, groups: codenames.length ? [`${username}-group`] : [] });
  return { user, admin: await adminLogin(user, PASSWORD, client()) };
}

/** The representations of the list's rows, in the order shown. */
function listedNames(html: string): string[] {
  return [...html.matchAll(/<a href="\/admin\/widgets\/\d+\/change\/">Widget ([^<]+)<\/a>/g)].map((m) => m[1]!);
}

async function auditOf(targetType: string) {
  return testKnex()('admin_log')
    .where({ target_type: targetType })
    .orderBy('id')
    .select('action', 'actor_username', 'target_id', 'target_repr', 'details');
}

describe('admin: a declared resource (generic model admin)', () => {
  before(async () => {
    await createTable();
    await syncResourcePermissions(testKnex(), [widgets, gadgets, makers, parts]);
  });
  beforeEach(async () => {
    await testKnex()('test_widgets').delete();
    for (const table of ['test_part_tags', 'test_parts', 'test_tags', 'test_makers']) await testKnex()(table).delete();
  });
  // The tables and the permissions go with the test: later tests see the project's own permissions only.
  after(async () => {
    await testKnex().schema.dropTableIfExists('test_widgets');
    await dropPartTables();
    await testKnex()('auth_permission').whereIn('model', ['widget', 'gadget', 'maker', 'part']).delete();
  });

  describe('index and navigation', () => {
    it('lists the resource under its feature’s name beside the built-in sections, with Add', async () => {
      const admin = await superuser();
      const home = await admin.get('/admin/').expect(200);
      expect(home.text).to.include('<strong>Widgets</strong>');
      expect(home.text).to.include('<strong>Authentication and authorization</strong>');
      expect(home.text).to.include('<strong>Token blacklist</strong>');
      expect(home.text).to.include('<a href="/admin/widgets/add/">Add</a>');
      expect(home.text).to.include('<a href="/admin/gadgets/">Gadgets</a>');
      // The navigation of every page links it too.
      const nav = /<nav>[\s\S]*?<\/nav>/.exec((await admin.get('/admin/log/').expect(200)).text)![0];
      expect(nav).to.include('<a href="/admin/widgets/">Widgets</a>');
      expect(nav).to.include('<a href="/admin/users/">Users</a>');
    });

    it('shows a rule’s resource unless it allows no row, and Add only when the add rule allows it', async () => {
      const { admin } = await staff('plain');
      const home = await admin.get('/admin/').expect(200);
      // The owner rules let any user see its own widgets; gadgets need view_gadget.
      expect(home.text).to.include('<a href="/admin/widgets/">Widgets</a>');
      expect(home.text).not.to.include('/admin/widgets/add/');
      expect(home.text).not.to.include('/admin/gadgets/');
      expect(home.text).not.to.include('/admin/users/');
    });
  });

  describe('list', () => {
    it('pages 25 rows at a time in the default ordering, showing the declared columns', async () => {
      await insertWidgets(
        Array.from({ length: 30 }, (_, i) => ({
          name: `w${String(i).padStart(2, '0')}`,
          price: i,
          in_stock: i % 2 === 0,
        })),
      );
      const admin = await superuser();
      const first = await admin.get('/admin/widgets/').expect(200);
      expect(listedNames(first.text)).to.deep.equal(
        Array.from({ length: 25 }, (_, i) => `w${String(i).padStart(2, '0')}`),
      );
      expect(first.text).to.include('Page 1 of 2').and.include('30 in total');
      expect(first.text).to.match(/<th><a href="\?ordering=price">Price<\/a><\/th>/);
      expect(first.text).to.include('<td>3.00</td><td>No</td>');
      const second = await admin.get('/admin/widgets/?page=2').expect(200);
      expect(listedNames(second.text)).to.deep.equal(['w25', 'w26', 'w27', 'w28', 'w29']);
    });

    it('searches, filters and orders through the resource’s list query', async () => {
      await insertWidgets([
        { name: 'apple', notes: 'red fruit', price: '3.00', in_stock: true },
        { name: 'banana', notes: 'yellow', price: '1.00', in_stock: false },
        { name: 'cherry', notes: 'red and small', price: '5.00', in_stock: true },
        { name: 'date', notes: 'brown', price: null, in_stock: true },
      ]);
      const admin = await superuser();
      expect(listedNames((await admin.get('/admin/widgets/?search=red').expect(200)).text)).to.deep.equal([
        'apple',
        'cherry',
      ]);
      expect(listedNames((await admin.get('/admin/widgets/?in_stock=false').expect(200)).text)).to.deep.equal([
        'banana',
      ]);
      expect(listedNames((await admin.get('/admin/widgets/?price__gte=3').expect(200)).text)).to.deep.equal([
        'apple',
        'cherry',
      ]);
      const ordered = await admin.get('/admin/widgets/?ordering=-price').expect(200);
      expect(listedNames(ordered.text)).to.deep.equal(['date', 'cherry', 'apple', 'banana']);
      // The header of the sorted column sorts the other way, and the filter form keeps the ordering.
      expect(ordered.text).to.include('<a href="?ordering=price">Price</a> ▼');
      expect(ordered.text).to.include('<input type="hidden" name="ordering" value="-price">');
    });

    it('shows django-filter’s message beside a bad filter value (400)', async () => {
      await insertWidgets([{ name: 'apple', price: '3.00' }]);
      const admin = await superuser();
      const res = await admin.get('/admin/widgets/?price__gte=cheap').expect(400);
      expect(res.text).to.include('<ul class="errorlist"><li>Enter a number.</li></ul>');
      expect(listedNames(res.text)).to.deep.equal([]);
    });
  });

  describe('add', () => {
    it('renders one input per writable field, by type', async () => {
      const admin = await superuser();
      const page = await admin.get('/admin/widgets/add/').expect(200);
      expect(page.text).to.match(/<input type="text" name="name" value="" maxlength="50" required/);
      expect(page.text).to.match(/<textarea name="notes"/);
      expect(page.text).to.match(/<input type="number" name="price" value="" step="0.01"/);
      expect(page.text).to.match(/<input type="number" name="quantity" value="" min="0" max="2147483647" step="1"/);
      expect(page.text).to.match(/<input type="checkbox" name="in_stock"/);
      expect(page.text).to.match(/<input type="date" name="released"/);
      expect(page.text).to.match(/<input type="datetime-local" name="checked_at" value="" step="1"/);
      expect(page.text).not.to.include('name="owner"');
    });

    it('shows DRF’s messages beside the inputs and keeps what was typed, then creates with an audit entry', async () => {
      await insertWidgets([{ name: 'taken' }]);
      const admin = await superuser();
      const bad = await admin
        .post('/admin/widgets/add/', {
          name: 'taken',
          notes: '<b>bold</b>',
          price: '1.234',
          quantity: '-1',
          released: 'soon',
        })
        .expect(400);
      expect(bad.text).to.include('<li>Ensure that there are no more than 2 decimal places.</li>');
      expect(bad.text).to.include('<li>Ensure this value is greater than or equal to 0.</li>');
      expect(bad.text).to.include('<li>Date has wrong format. Use one of these formats instead: YYYY-MM-DD.</li>');
      expect(bad.text).to.include('&lt;b&gt;bold&lt;/b&gt;</textarea>');
      expect(await testKnex()('test_widgets').pluck('name')).to.deep.equal(['taken']);

      const taken = await admin.post('/admin/widgets/add/', { name: 'taken' }).expect(400);
      expect(taken.text).to.include('<li>widget with this name already exists.</li>');
      const blank = await admin.post('/admin/widgets/add/', { name: ' ' }).expect(400);
      expect(blank.text).to.include('<li>This field may not be blank.</li>');

      const created = await admin
        .post('/admin/widgets/add/', {
          name: 'sprocket',
          price: '2.50',
          quantity: '7',
          in_stock: 'on',
          released: '2026-01-02',
          checked_at: '2026-03-04T05:06:07',
        })
        .expect(302);
      const row = await testKnex()('test_widgets').where({ name: 'sprocket' }).first();
      expect(created.headers.location).to.equal(`/admin/widgets/${row.id}/change/?notice=created`);
      expect(row).to.include({ quantity: 7, in_stock: true });
      expect(String(row.price)).to.equal('2.50');
      expect(new Date(row.checked_at).toISOString()).to.equal('2026-03-04T05:06:07.000Z');
      const root = await testKnex()('auth_user').where({ username: 'root' }).first('id');
      expect(row.owner_id).to.equal(root.id);
      expect(await auditOf('widget')).to.deep.equal([
        {
          action: 'add_widget',
          actor_username: 'root',
          target_id: String(row.id),
          target_repr: 'Widget sprocket',
          details: { added: ['name', 'price', 'quantity', 'in_stock', 'released', 'checked_at'] },
        },
      ]);
      const shown = await admin.get(created.headers.location!).expect(200);
      expect(shown.text).to.include('The object was added successfully.');
      expect(shown.text).to.include('value="2026-03-04T05:06:07"');
    });

    it('refuses the add page and the form to a staff member the add rule refuses (403)', async () => {
      const { admin } = await staff('plain');
      await admin.get('/admin/widgets/add/').expect(403);
      await admin.post('/admin/widgets/add/', { name: 'sneaky', in_stock: 'on' }).expect(403);
      expect(await testKnex()('test_widgets').where({ name: 'sneaky' }).first()).to.equal(undefined);
    });

    it('refuses a form without the session’s CSRF token, writing nothing', async () => {
      const admin = await superuser();
      const missing = await admin.post('/admin/widgets/add/', { name: 'forged' }, { csrf: null }).expect(403);
      expect(missing.text).to.include('CSRF Failed: CSRF token missing.');
      const wrong = await admin.post('/admin/widgets/add/', { name: 'forged' }, { csrf: 'x'.repeat(43) }).expect(403);
      expect(wrong.text).to.include('CSRF Failed: CSRF token incorrect.');
      expect(await testKnex()('test_widgets').where({ name: 'forged' }).first()).to.equal(undefined);
      expect(await auditOf('widget')).to.deep.equal([]);
    });
  });

  describe('change, delete and history', () => {
    it('changes a row, records the fields changed, and shows the notice', async () => {
      const [id] = await insertWidgets([{ name: 'gear', price: '1.00', quantity: 3 }]);
      const admin = await superuser();
      const page = await admin.get(`/admin/widgets/${id}/change/`).expect(200);
      expect(page.text).to.include('value="gear"').and.include('value="1.00"').and.include('>Save</button>');
      const saved = await admin
        .post(`/admin/widgets/${id}/change/`, { name: 'big gear', price: '1.00', quantity: '3', in_stock: 'on' })
        .expect(302);
      expect(saved.headers.location).to.equal(`/admin/widgets/${id}/change/?notice=saved`);
      expect(await testKnex()('test_widgets').where({ id }).first('name')).to.deep.equal({ name: 'big gear' });
      expect((await auditOf('widget')).map((e) => [e.action, e.target_repr, e.details])).to.deep.equal([
        ['change_widget', 'Widget big gear', { changed: ['name'] }],
      ]);
      expect((await admin.get(saved.headers.location!).expect(200)).text).to.include('The changes were saved.');
    });

    it('shows the errors of a change beside its inputs and changes nothing', async () => {
      const [id] = await insertWidgets([{ name: 'gear' }]);
      const admin = await superuser();
      const res = await admin.post(`/admin/widgets/${id}/change/`, { name: 'x'.repeat(51) }).expect(400);
      expect(res.text).to.include('<li>Ensure this field has no more than 50 characters.</li>');
      expect(await testKnex()('test_widgets').where({ id }).first('name')).to.deep.equal({ name: 'gear' });
      expect(await auditOf('widget')).to.deep.equal([]);
    });

    it('asks before deleting, then deletes with an audit entry', async () => {
      const [id] = await insertWidgets([{ name: 'doomed' }]);
      const admin = await superuser();
      const confirm = await admin.get(`/admin/widgets/${id}/delete/`).expect(200);
      expect(confirm.text).to.include('Are you sure you want to delete the widget “Widget doomed”?');
      expect(confirm.text).to.include(`action="/admin/widgets/${id}/delete/"`);
      expect(await testKnex()('test_widgets').where({ id }).first('id')).to.deep.equal({ id });
      const deleted = await admin.post(`/admin/widgets/${id}/delete/`).expect(302);
      expect(deleted.headers.location).to.equal('/admin/widgets/?notice=deleted');
      expect(await testKnex()('test_widgets').where({ id }).first()).to.equal(undefined);
      expect((await auditOf('widget')).map((e) => [e.action, e.target_id, e.target_repr])).to.deep.equal([
        ['delete_widget', String(id), 'Widget doomed'],
      ]);
      await admin.get(`/admin/widgets/${id}/change/`).expect(404);
    });

    it('shows the history of one object from the audit log', async () => {
      const admin = await superuser();
      await admin.post('/admin/widgets/add/', { name: 'cog' }).expect(302);
      await admin.post('/admin/widgets/add/', { name: 'other' }).expect(302);
      const { id } = await testKnex()('test_widgets').where({ name: 'cog' }).first('id');
      await admin.post(`/admin/widgets/${id}/change/`, { name: 'cog two' }).expect(302);
      const history = await admin.get(`/admin/widgets/${id}/history/`).expect(200);
      const actions = [...history.text.matchAll(/<td>(add_widget|change_widget)<\/td>/g)].map((m) => m[1]);
      expect(actions).to.deep.equal(['change_widget', 'add_widget']);
      expect(history.text).to.include('{&quot;changed&quot;:[&quot;name&quot;]}');
    });
  });

  describe('access', () => {
    it('scopes an owner to its own rows: 404 for another’s, in the list and on every page', async () => {
      const { user: mine } = await staff('owner', ['add_widget']);
      const other = await makeUser({ username: 'someone' });
      const [own, theirs] = await insertWidgets([
        { name: 'own', owner_id: mine.id },
        { name: 'theirs', owner_id: other.id },
      ]);
      const admin = await adminLogin(mine, PASSWORD, client());
      expect(listedNames((await admin.get('/admin/widgets/').expect(200)).text)).to.deep.equal(['own']);
      await admin.get(`/admin/widgets/${own}/change/`).expect(200);
      for (const path of ['change', 'delete', 'history'])
        await admin.get(`/admin/widgets/${theirs}/${path}/`).expect(404);
      await admin.post(`/admin/widgets/${theirs}/change/`, { name: 'stolen' }).expect(404);
      await admin.post(`/admin/widgets/${theirs}/delete/`).expect(404);
      expect(await testKnex()('test_widgets').where({ id: theirs }).first('name')).to.deep.equal({ name: 'theirs' });
    });

    it('shows a row outside the change scope read-only and refuses its change and deletion (403)', async () => {
      const other = await makeUser({ username: 'someone' });
      const [theirs] = await insertWidgets([{ name: 'theirs', owner_id: other.id }]);
      const { admin } = await staff('reader', ['view_widget']);
      const page = await admin.get(`/admin/widgets/${theirs}/change/`).expect(200);
      expect(page.text).to.include('You may view this widget but not change it.');
      expect(page.text).not.to.include('>Save</button>');
      expect(page.text).not.to.include(`/admin/widgets/${theirs}/delete/`);
      await admin.post(`/admin/widgets/${theirs}/change/`, { name: 'changed' }).expect(403);
      await admin.get(`/admin/widgets/${theirs}/delete/`).expect(403);
      await admin.post(`/admin/widgets/${theirs}/delete/`).expect(403);
      expect(await testKnex()('test_widgets').where({ id: theirs }).first('name')).to.deep.equal({ name: 'theirs' });
      expect(await auditOf('widget')).to.deep.equal([]);
    });

    it('refuses a resource whose rule allows no row (403), and a staff login is needed at all', async () => {
      const { admin } = await staff('plain');
      await admin.get('/admin/gadgets/').expect(403);
      const anonymous = await client().get('/admin/widgets/').expect(302);
      expect(anonymous.headers.location).to.equal('/admin/login/?next=%2Fadmin%2Fwidgets%2F');
    });

    it('answers 404 for a name that is no resource, prototype keys included', async () => {
      const admin = await superuser();
      for (const path of [
        '/admin/constructor/',
        '/admin/__proto__/',
        '/admin/toString/add/',
        '/admin/hasOwnProperty/1/change/',
        '/admin/widgets/constructor/change/',
      ]) {
        const res = await admin.get(path);
        expect(res.status, path).to.equal(404);
        expect(res.text, path).to.include('The requested page was not found.');
      }
      expect((await client().get('/admin/constructor/')).status).to.equal(404);
    });
  });

  describe('references and many-to-many fields', () => {
    /** Two makers, two tags and a user besides the superuser; the ids by name. */
    async function catalogue() {
      const [acme, globex] = await insertRows('test_makers', [{ name: 'Acme' }, { name: 'Globex' }]);
      await insertRows('test_tags', [{ slug: 'red' }, { slug: 'blue' }]);
      const alice = await makeUser({ username: 'alice' });
      return { acme: acme!, globex: globex!, alice: alice.id as number };
    }

    it('offers a reference as a choice of the rows it names and a user by username, the slugs as checkboxes', async () => {
      const { acme, globex, alice } = await catalogue();
      const admin = await superuser();
      const { id: rootId } = await testKnex()('auth_user').where({ username: 'root' }).first('id');
      const page = await admin.get('/admin/parts/add/').expect(200);
      const maker = /<select name="maker"[^>]*>([\s\S]*?)<\/select>/.exec(page.text)!;
      expect(maker[0]).to.match(/<select name="maker" required=""/);
      const options = (select: string) =>
        [...select.matchAll(/<option value="(\d*)" (selected)?>([^<]*)<\/option>/g)].map((m) =>
          [m[1], m[3], m[2] ?? ''].join('|'),
        );
      expect(options(maker[1]!)).to.deep.equal(['|---------|selected', `${acme}|Acme|`, `${globex}|Globex|`]);
      const assignee = /<select name="assignee"[^>]*>([\s\S]*?)<\/select>/.exec(page.text)!;
      expect(assignee[0]).not.to.include('required');
      expect(options(assignee[1]!)).to.deep.equal(['|---------|selected', `${alice}|alice|`, `${rootId}|root|`]);
      expect(page.text).to.match(/<input type="checkbox" name="tags" value="blue"/);
      expect(page.text).to.match(/<input type="checkbox" name="tags" value="red"/);
      expect(page.text).not.to.include('name="archived"').and.not.to.include('name="owner"');

      const created = await admin
        .post('/admin/parts/add/', {
          name: 'bolt',
          maker: String(acme),
          assignee: String(alice),
          tags: ['red', 'blue'],
        })
        .expect(302);
      const part = await testKnex()('test_parts').where({ name: 'bolt' }).first();
      expect(part).to.include({ maker_id: acme, assignee_id: alice });
      const tagsOf = async (id: number) =>
        (
          await testKnex()('test_part_tags')
            .join('test_tags', 'test_tags.id', 'test_part_tags.tag_id')
            .where({ part_id: id })
            .orderBy('slug')
            .pluck('slug')
        ).map(String);
      expect(await tagsOf(part.id)).to.deep.equal(['blue', 'red']);
      expect((await auditOf('part')).map((e) => [e.action, e.details])).to.deep.equal([
        ['add_part', { added: ['name', 'maker', 'assignee', 'tags'] }],
      ]);

      // The change page shows what is chosen, the references of read-only fields as text.
      const shown = await admin.get(created.headers.location!).expect(200);
      expect(shown.text).to.include(`<option value="${acme}" selected>Acme</option>`);
      expect(shown.text).to.include(`<option value="${alice}" selected>alice</option>`);
      expect(shown.text).to.match(/<input type="checkbox" name="tags" value="red" checked/);
      expect(shown.text).to.include('<strong>Owner:</strong> root');

      // Nothing ticked empties the set, in the same transaction as its audit entry.
      await admin.post(`/admin/parts/${part.id}/change/`, { name: 'bolt', maker: String(globex) }).expect(302);
      expect(await tagsOf(part.id)).to.deep.equal([]);
      expect(await testKnex()('test_parts').where({ id: part.id }).first('maker_id', 'assignee_id')).to.deep.equal({
        maker_id: globex,
        assignee_id: null,
      });
      expect((await auditOf('part')).at(-1)!.details).to.deep.equal({ changed: ['maker', 'assignee', 'tags'] });
    });

    it('filters a list by a reference chosen among the rows it names', async () => {
      const { acme, globex } = await catalogue();
      const admin = await superuser();
      const { id: rootId } = await testKnex()('auth_user').where({ username: 'root' }).first('id');
      await insertRows('test_parts', [
        { name: 'bolt', maker_id: acme, owner_id: rootId },
        { name: 'nut', maker_id: globex, owner_id: rootId },
      ]);
      const list = await admin.get(`/admin/parts/?maker=${globex}`).expect(200);
      const filter = /<select name="maker" >([\s\S]*?)<\/select>/.exec(list.text)!;
      expect(filter, 'a select, not an id input').to.not.equal(null);
      expect(
        [...filter[1]!.matchAll(/<option value="(\d*)" (selected)?>([^<]*)<\/option>/g)].map((m) => m.slice(1)),
      ).to.deep.equal([
        ['', undefined, 'All'],
        [String(acme), undefined, 'Acme'],
        [String(globex), 'selected', 'Globex'],
      ]);
      expect(list.text).to.include('<td>Globex</td>').and.not.to.include('<td>Acme</td>');
    });

    it('shows the API’s messages for a row or a slug that does not exist, keeping the values sent', async () => {
      await catalogue();
      const admin = await superuser();
      const bad = await admin
        .post('/admin/parts/add/', { name: 'nut', maker: '9999', tags: ['red', 'green'] })
        .expect(400);
      expect(bad.text).to.include('<li>Invalid pk &quot;9999&quot; - object does not exist.</li>');
      expect(bad.text).to.include('<li>Object with slug=green does not exist.</li>');
      // A value beyond the choices stays chosen, so that it is seen and not lost.
      expect(bad.text).to.include('<option value="9999" selected>#9999</option>');
      expect(bad.text).to.match(/<input type="checkbox" name="tags" value="green" checked[^>]*> green/);
      expect(bad.text).to.match(/<input type="checkbox" name="tags" value="red" checked/);
      const required = await admin.post('/admin/parts/add/', { name: 'nut', maker: '' }).expect(400);
      expect(required.text).to.include('<li>This field is required.</li>');
      // `count(*)` is a bigint: a string from pg, a number from PGlite.
      const [counted] = await testKnex()('test_parts').count({ n: '*' });
      expect(Number(counted?.n)).to.equal(0);
      expect(await auditOf('part')).to.deep.equal([]);
    });

    it('lists a reference as the text of the row it names, one query per column for a whole page', async () => {
      const { acme, alice } = await catalogue();
      const admin = await superuser();
      const queries = async (path: string) => {
        let count = 0;
        const counted = () => void (count += 1);
        testKnex().on('query', counted);
        try {
          await admin.get(path).expect(200);
        } finally {
          testKnex().off('query', counted);
        }
        return count;
      };
      await insertRows('test_parts', [{ name: 'p00', maker_id: acme, assignee_id: alice }]);
      const one = await queries('/admin/parts/');
      await insertRows(
        'test_parts',
        Array.from({ length: 20 }, (_, i) => ({ name: `p${String(i + 1).padStart(2, '0')}`, maker_id: acme })),
      );
      expect(await queries('/admin/parts/')).to.equal(one);
      const list = await admin.get('/admin/parts/').expect(200);
      expect(list.text).to.include('<th>Maker</th><th>Assignee</th>');
      expect(list.text).to.match(/>p00<\/a><\/td><td>Acme<\/td><td>alice<\/td><\/tr>/);
      expect(list.text).to.match(/>p01<\/a><\/td><td>Acme<\/td><td>-<\/td><\/tr>/);
    });

    it('asks for an id where the staff member may not see the rows, and shows ids in the list', async () => {
      const { acme, alice } = await catalogue();
      const { user: clerk, admin } = await staff('clerk', ['add_part', 'view_part', 'change_part']);
      const page = await admin.get('/admin/parts/add/').expect(200);
      expect(page.text).not.to.include('<select');
      expect(page.text).not.to.include('Acme').and.not.to.include('alice');
      expect(page.text).to.match(/<label>Maker <span class="muted">\(the id of a maker\)<\/span>/);
      expect(page.text).to.match(/<input type="number" name="maker" value="" min="1" step="1" required/);
      expect(page.text).to.match(/<input type="number" name="assignee" value="" min="1" step="1"/);
      // The tags are no declared resource's rows: their slugs are names, listed to all.
      expect(page.text).to.match(/<input type="checkbox" name="tags" value="red"/);
      await admin
        .post('/admin/parts/add/', { name: 'washer', maker: String(acme), assignee: String(alice) })
        .expect(302);
      const part = await testKnex()('test_parts').where({ name: 'washer' }).first();
      expect(part).to.include({ maker_id: acme, assignee_id: alice, owner_id: clerk.id });
      const list = await admin.get('/admin/parts/').expect(200);
      expect(list.text).to.include(`<td>${acme}</td><td>${alice}</td>`);
      expect((await admin.get(`/admin/parts/${part.id}/change/`).expect(200)).text).to.include(
        `<strong>Owner:</strong> ${clerk.id}`,
      );
    });

    it(`asks for an id, or a slug a line, beyond ${200} rows to choose from`, async () => {
      const makerIds = await insertRows(
        'test_makers',
        Array.from({ length: 201 }, (_, i) => ({ name: `m${String(i).padStart(3, '0')}` })),
      );
      await insertRows(
        'test_tags',
        Array.from({ length: 201 }, (_, i) => ({ slug: `t${String(i).padStart(3, '0')}` })),
      );
      const admin = await superuser();
      const page = await admin.get('/admin/parts/add/').expect(200);
      expect(page.text).to.include('(the id of a maker; more than 200 to list)');
      expect(page.text).to.match(/<input type="number" name="maker"/);
      expect(page.text).to.include('<select name="assignee"');
      expect(page.text).to.include('(one slug a line; more than 200 to list)');
      expect(page.text).to.match(/<textarea name="tags"/);
      expect(page.text).not.to.include('m000').and.not.to.include('t000');
      const created = await admin
        .post('/admin/parts/add/', { name: 'gear', maker: String(makerIds[7]), tags: 't002\r\n t001 \r\n\r\n' })
        .expect(302);
      const part = await testKnex()('test_parts').where({ name: 'gear' }).first();
      expect(part.maker_id).to.equal(makerIds[7]);
      const shown = await admin.get(created.headers.location!).expect(200);
      expect(shown.text).to.match(/<textarea name="tags"[^>]*>t001\nt002<\/textarea>/);
      const bad = await admin.post('/admin/parts/add/', { name: 'gear', maker: String(makerIds[0]), tags: 'nope' });
      expect(bad.status).to.equal(400);
      expect(bad.text).to.include('<li>Object with slug=nope does not exist.</li>');
    });
  });

  describe('extra actions', () => {
    async function part(values: Record<string, unknown> = {}): Promise<number> {
      const [maker] = await insertRows('test_makers', [{ name: 'Acme' }]);
      const [id] = await insertRows('test_parts', [{ name: 'bolt', maker_id: maker, ...values }]);
      return id!;
    }

    it('offers an action without a body as a button that runs it, audited, then tells it was done', async () => {
      const id = await part();
      const admin = await superuser();
      const page = await admin.get(`/admin/parts/${id}/change/`).expect(200);
      const buttons = [
        ...page.text.matchAll(/<form method="post" action="([^"]+)">\s*<input[^>]+>\s*<button[^>]*>([^<]+)</g),
      ];
      expect(buttons.map((m) => [m[1], m[2]])).to.deep.equal([
        [`/admin/parts/${id}/actions/archive/`, 'Archive the part'],
        [`/admin/parts/${id}/actions/unarchive/`, 'Unarchive the part'],
      ]);
      const done = await admin.post(`/admin/parts/${id}/actions/archive/`).expect(302);
      expect(done.headers.location).to.equal(`/admin/parts/${id}/change/?notice=action&action=archive`);
      expect(await testKnex()('test_parts').where({ id }).first('archived')).to.deep.equal({ archived: true });
      expect((await auditOf('part')).map((e) => [e.action, e.actor_username, e.details])).to.deep.equal([
        ['change_part', 'root', { changed: ['archived'] }],
      ]);
      const shown = await admin.get(done.headers.location!).expect(200);
      expect(shown.text).to.include('The action “Archive the part” was carried out.');
      expect(shown.text).to.include('<strong>Archived:</strong> Yes');
      // Refused by the action itself (a 400): the change page says why, and nothing is written.
      const again = await admin.post(`/admin/parts/${id}/actions/archive/`).expect(400);
      expect(again.text).to.include('<li>Archived: The part is already archived.</li>');
      expect(await auditOf('part')).to.have.length(1);
    });

    it('leaves actions with a body, GET actions and list actions to the API (404)', async () => {
      const id = await part();
      const admin = await superuser();
      for (const action of ['rename', 'label', 'restock', 'constructor', 'nothing'])
        await admin.post(`/admin/parts/${id}/actions/${action}/`, { name: 'x' }).expect(404);
      await admin.get(`/admin/parts/${id}/actions/archive/`).expect(404);
      expect(await testKnex()('test_parts').where({ id }).first('name', 'archived')).to.deep.equal({
        name: 'bolt',
        archived: false,
      });
    });

    it('checks access as the API: 404 outside the view, 403 outside the action’s rule, CSRF', async () => {
      const other = await makeUser({ username: 'someone' });
      const id = await part({ owner_id: other.id });
      const { admin: nobody } = await staff('nobody');
      await nobody.post(`/admin/parts/${id}/actions/archive/`).expect(404);
      // A reader sees the part but may not change it: no button, and 403.
      const { admin: reader } = await staff('reader', ['view_part']);
      const page = await reader.get(`/admin/parts/${id}/change/`).expect(200);
      expect(page.text).not.to.include('/actions/');
      await reader.post(`/admin/parts/${id}/actions/archive/`).expect(403);
      // A rule that allows no row at all: 403 before the row is looked up.
      await reader.post(`/admin/parts/${id}/actions/unarchive/`).expect(403);
      await nobody.post(`/admin/parts/${id}/actions/unarchive/`).expect(403);
      const root = await superuser();
      const forged = await root.post(`/admin/parts/${id}/actions/archive/`, {}, { csrf: null }).expect(403);
      expect(forged.text).to.include('CSRF Failed: CSRF token missing.');
      expect(await testKnex()('test_parts').where({ id }).first('archived')).to.deep.equal({ archived: false });
      expect(await auditOf('part')).to.deep.equal([]);
    });
  });

  describe('the actions a resource offers', () => {
    it('offers no add, save or delete for a resource that only lists and retrieves', async () => {
      const [id] = await insertRows('test_makers', [{ name: 'Acme' }]);
      const admin = await superuser();
      const home = await admin.get('/admin/').expect(200);
      expect(home.text).to.include('<a href="/admin/makers/">Makers</a>');
      expect(home.text).not.to.include('/admin/makers/add/');
      const list = await admin.get('/admin/makers/').expect(200);
      expect(list.text).to.include('>Acme</a>');
      expect(list.text).not.to.include('Add maker');
      await admin.get('/admin/makers/add/').expect(404);
      await admin.post('/admin/makers/add/', { name: 'Initech' }).expect(404);
      const page = await admin.get(`/admin/makers/${id}/change/`).expect(200);
      expect(page.text).to.match(/<input type="text" name="name" value="Acme" [^>]*disabled>/);
      expect(page.text).to.include('You may view this maker but not change it.');
      expect(page.text).not.to.include('>Save</button>').and.not.to.include(`/admin/makers/${id}/delete/`);
      await admin.post(`/admin/makers/${id}/change/`, { name: 'Initech' }).expect(403);
      await admin.get(`/admin/makers/${id}/delete/`).expect(404);
      await admin.post(`/admin/makers/${id}/delete/`).expect(404);
      expect(await testKnex()('test_makers').pluck('name')).to.deep.equal(['Acme']);
      expect(await auditOf('maker')).to.deep.equal([]);
    });
  });

  it('refuses a resource named after a page of the panel', () => {
    const clash = defineResource({
      name: 'users',
      model: 'clash',
      table: 'test_clash',
      description: 'A resource whose admin pages would be the users’.',
      fields: { label: field.string(20) },
      repr: (row) => row.label,
    });
    expect(() => createApp(testDeps(), [...FEATURES, defineFeature({ name: 'clash', resources: [clash] })])).to.throw(
      'resource "users": /admin/users/ is an admin page of its own; rename it',
    );
  });

  it("leaves a resource declared with admin: false to its feature's own pages (the groups)", async () => {
    const groups = resourcesOf(FEATURES).find((resource) => resource.name === 'groups')!;
    expect(groups.admin).to.equal(null);
    const agent = await superuser();
    const index = await agent.get('/admin/').expect(200);
    // Where Django lists them, once, with the feature's own pages.
    const auth = index.text.slice(index.text.indexOf('Authentication and authorization'));
    expect(auth.slice(0, auth.indexOf('</article>'))).to.include('href="/admin/groups/"');
    expect(index.text.match(/href="\/admin\/groups\/"/g)).to.have.length(2); // the index and the navigation
    // No generic page shadows or adds to the feature's own.
    const group = await makeGroup('editors');
    await agent.get(`/admin/groups/${group.id}/history/`).expect(404);
  });
});
