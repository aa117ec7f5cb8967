/**
 * The files `startapp` writes, as text: the resource's declaration, its feature, its migration, its
 * test and its section of the REST API page. Pure: the command formats the TypeScript with
 * Prettier and writes the files.
 *
 * @module
 */
import type { Field } from '../resources/fields.js';
import type { AppSpec, FieldSpec, FieldType } from './app-spec.js';

/** A declared resource the generated test may have to make a row of (the target of a reference). */
export interface TestTarget {
  readonly name: string;
  readonly table: string;
  readonly fields: Readonly<Record<string, Field>>;
  readonly columns: ReadonlyMap<string, string>;
}

const q = (value: unknown) => JSON.stringify(value);

/** `order-items` → `Order items`. */
function title(plural: string): string {
  const words = plural.replaceAll('-', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The label of a field in messages, as the resource layer words it. */
const labelOf = (name: string) => name.replaceAll('_', ' ');

const columnOf = (spec: FieldSpec) => (spec.type.kind === 'ref' ? `${spec.name}_id` : spec.name);

/** The builder call of a field in the declaration. */
function fieldCall(spec: FieldSpec): string {
  const options = [spec.unique ? 'unique: true' : '', spec.optional ? 'optional: true' : ''].filter(Boolean);
  const last = options.length ? `{ ${options.join(', ')} }` : '';
  const args = (...first: string[]) => [...first, last].filter(Boolean).join(', ');
  const type = spec.type;
  switch (type.kind) {
    case 'string':
      return `field.string(${args(String(type.maxLength))})`;
    case 'decimal':
      return `field.decimal(${args(String(type.maxDigits), String(type.decimalPlaces))})`;
    case 'ref':
      return type.target === 'user'
        ? `field.user(${args()})`
        : `field.ref(${args(`{ table: ${q(type.table)}, model: ${q(type.model)} }`)})`;
    default:
      return `field.${type.kind}(${args()})`;
  }
}

/** The lookups each filtered field gets: booleans, references by id, dates and times. */
function lookupsOf(spec: FieldSpec): string[] {
  const isnull = spec.optional ? ['isnull'] : [];
  switch (spec.type.kind) {
    case 'boolean':
      return ['exact'];
    case 'ref':
      return ['exact', 'in', ...isnull];
    case 'date':
    case 'datetime':
      return ['exact', 'gte', 'lte', ...isnull];
    default:
      return [];
  }
}

/** The list options of a spec: filters, search and ordering, by field name. */
export function listOptionsOf(spec: AppSpec) {
  const filters = spec.fields.map((f) => [f.name, lookupsOf(f)] as const).filter(([, lookups]) => lookups.length);
  if (spec.owner) filters.push(['owner', ['exact', 'in']]);
  return {
    filters,
    search: spec.fields.filter((f) => f.type.kind === 'string' || f.type.kind === 'text').map((f) => f.name),
    ordering: [...spec.fields.map((f) => f.name), ...(spec.owner ? ['owner'] : [])],
  };
}

/** `src/<plural>/resource.ts`. */
export function resourceModule(spec: AppSpec): string {
  const { filters, search, ordering } = listOptionsOf(spec);
  const named = spec.fields.find((f) => f.type.kind === 'string');
  const fields = spec.fields.map((f) => `${f.name}: ${fieldCall(f)},`);
  if (spec.owner) fields.push('owner: field.user({ readOnly: true }),');
  const lines = [
    '/**',
    ` * ${title(spec.plural)}, served at \`/api/${spec.plural}/\` and in the admin panel: one declaration, made by`,
    ' * `startapp` and yours to edit (a new field needs a migration too: docs/md/adding-a-resource.md).',
    ' *',
    ' * @module',
    ' */',
    ...(spec.owner ? ["import { ownerRules } from '../resources/access.js';"] : []),
    "import { field } from '../resources/fields.js';",
    "import { defineResource } from '../resources/resource.js';",
    '',
    `/** ${title(spec.plural)}: the fields, list options and access rules of \`/api/${spec.plural}/\`. */`,
    `export const ${spec.identifier} = defineResource({`,
    `name: ${q(spec.plural)},`,
    `model: ${q(spec.model)},`,
    `table: ${q(spec.table)},`,
    `description: ${q(`${title(spec.plural)}.`)},`,
    `fields: {`,
    ...fields,
    '},',
    ...(spec.owner ? ["owner: 'owner',"] : []),
    ...(filters.length
      ? [`filters: { ${filters.map(([name, lookups]) => `${name}: ${q(lookups)}`).join(', ')} },`]
      : []),
    ...(search.length ? [`search: ${q(search)},`] : []),
    `ordering: ${q(ordering)},`,
    "defaultOrdering: ['id'],",
    ...(spec.owner ? [`access: ownerRules(${q(spec.model)}, 'owner_id'),`] : []),
    named ? `repr: (row) => row.${named.name},` : 'repr: (row) => `#${row.id}`,',
    '});',
    '',
    `// Its four permissions are codenames the compiler knows: requirePermission('view_${spec.model}') compiles.`,
    "declare module '../permissions/codenames.js' {",
    `interface PermissionModels { ${spec.model}: true }`,
    '}',
    '',
  ];
  return lines.join('\n');
}

/** `src/<plural>/feature.ts`. */
export function featureModule(spec: AppSpec): string {
  return [
    '/**',
    ` * ${title(spec.plural)}: the feature of the resource declared in \`resource.ts\`, found by the registry.`,
    ' *',
    ' * @module',
    ' */',
    "import { defineFeature } from '../resources/features.js';",
    `import { ${spec.identifier} } from './resource.js';`,
    '',
    `/** ${title(spec.plural)}: served at \`/api/${spec.plural}/\`, listed in the admin, its permissions made by \`migrate\`. */`,
    `export const feature = defineFeature({ name: ${q(spec.plural)}, resources: [${spec.identifier}] });`,
    '',
  ].join('\n');
}

/** The column of a field in the migration. */
function columnLine(spec: FieldSpec): string {
  const type = spec.type;
  const nullable = spec.optional ? '.nullable()' : '.notNullable()';
  const unique = spec.unique ? '.unique()' : '';
  const name = q(spec.name);
  switch (type.kind) {
    case 'string':
    case 'text': {
      // An optional string is stored as '' when absent (Django's blank=True), never NULL.
      const column = type.kind === 'string' ? `t.string(${name}, ${type.maxLength})` : `t.text(${name})`;
      return `${column}.notNullable()${spec.optional ? ".defaultTo('')" : ''}${unique};`;
    }
    case 'integer':
      return `t.integer(${name})${nullable}${unique};`;
    case 'decimal':
      return `t.decimal(${name}, ${type.maxDigits}, ${type.decimalPlaces})${nullable}${unique};`;
    case 'boolean':
      return `t.boolean(${name})${nullable}${unique};`;
    case 'date':
      return `t.date(${name})${nullable}${unique};`;
    case 'datetime':
      return `t.timestamp(${name}, { useTz: true })${nullable}${unique};`;
    case 'ref':
      return `t.integer(${q(columnOf(spec))})${nullable}${unique}.references(${q(`${type.table}.id`)}).onDelete(${q(spec.optional ? 'SET NULL' : 'CASCADE')});`;
  }
}

/** `migrations/<timestamp>_<plural>.ts`. */
export function migrationModule(spec: AppSpec): string {
  const refs = spec.fields.filter((f) => f.type.kind === 'ref');
  const indexed = [...refs.filter((f) => !f.unique).map(columnOf), ...(spec.owner ? ['owner_id'] : [])];
  const notes = [
    ...(refs.length
      ? [
          ' *',
          ' * A required reference is `ON DELETE CASCADE` (the row goes with what it refers to), an optional',
          ' * one `ON DELETE SET NULL`; each is indexed, as Django indexes a `ForeignKey`.',
        ]
      : []),
    ...(spec.owner
      ? [
          ' *',
          ' * `owner_id` is `ON DELETE SET NULL`: a row outlives the account that created it; holders of',
          ` * \`view_${spec.model}\` still see it, with \`owner: null\`.`,
        ]
      : []),
  ];
  return [
    '/**',
    ` * ${title(spec.plural)}: the table of the resource declared in \`src/${spec.plural}/resource.ts\`. Its`,
    ` * permissions (\`add_${spec.model}\`, …) are made by \`migrate\` from the declaration.`,
    ...notes,
    ' */',
    "import type { Knex } from 'knex';",
    '',
    'export async function up(knex: Knex): Promise<void> {',
    `await knex.schema.createTable(${q(spec.table)}, (t) => {`,
    "t.increments('id');",
    ...spec.fields.map(columnLine),
    ...(spec.owner ? ["t.integer('owner_id').nullable().references('auth_user.id').onDelete('SET NULL');"] : []),
    ...indexed.map((column) => `t.index([${q(column)}]);`),
    '});',
    '}',
    '',
    'export async function down(knex: Knex): Promise<void> {',
    `await knex.schema.dropTable(${q(spec.table)});`,
    '}',
    '',
  ].join('\n');
}

/** A value of a field's type, the first (`0`) sorting before the second (`1`) by any field. */
type Variant = 0 | 1;
const WORDS = ['Amber', 'Cyclops'] as const; // no letter in common: a search for one never finds the other

/** The shape of a field the samples need (a spec's type, or a declared field). */
type Sampled = Exclude<FieldType, { kind: 'ref' }> | Exclude<Field, { kind: 'ref' }>;

/** A sample value of a field that is not a reference. */
function sampleOf(type: Sampled, variant: Variant, position: number): string | number | boolean {
  switch (type.kind) {
    case 'string':
    case 'text': {
      const value = `${WORDS[variant]} ${position + 1}`;
      return type.kind === 'string' ? value.slice(0, type.maxLength) : value;
    }
    case 'integer': {
      const { min, max } = 'min' in type ? type : { min: -Infinity, max: Infinity };
      return Math.max(min, Math.min(max, variant + 1));
    }
    case 'decimal': {
      const places = type.decimalPlaces;
      if (type.maxDigits > places) return `${variant + 1}${places ? `.${'5'.padEnd(places, '0')}` : ''}`;
      return `0.${variant + 1}${'5'.padEnd(places - 1, '0')}`.slice(0, places + 2);
    }
    case 'boolean':
      return variant === 1;
    case 'date':
      return `2026-01-0${variant + 1}`;
    case 'datetime':
      return `2026-01-0${variant + 1}T09:30:00.000Z`;
  }
}

/** Builds the test's code: the expressions that make the rows references point to. */
class RowMaker {
  /** Every table the test writes, so that it empties them first. */
  readonly tables = new Set<string>();

  constructor(private readonly targets: readonly TestTarget[]) {}

  /** The id expression of a reference's value. */
  refValue(type: Extract<FieldType, { kind: 'ref' }>, variant: Variant, depth = 0): string {
    if (type.table === 'auth_user') return variant === 0 ? 'user.id' : 'other.id';
    return this.#insert(type.table, variant, depth);
  }

  #insert(table: string, variant: Variant, depth: number): string {
    const target = this.targets.find((t) => t.table === table);
    if (!target || depth > 4) throw new Error(`cannot make a row of ${table} for the test`);
    this.tables.add(table);
    const row = Object.entries(target.fields).flatMap(([name, declared], position) => {
      const column = target.columns.get(name) ?? name;
      if (declared.kind === 'ref') {
        if (declared.optional && !declared.readOnly) return [];
        if (declared.table === 'auth_user') return [`${column}: ${variant === 0 ? 'user.id' : 'other.id'}`];
        return [`${column}: ${this.#insert(declared.table, variant, depth + 1)}`];
      }
      return declared.optional ? [] : [`${column}: ${q(sampleOf(declared, variant, position))}`];
    });
    return `await insertRow(${q(table)}, { ${row.join(', ')} })`;
  }
}

/** `test/<plural>/<plural>.test.ts`: the resource over HTTP, as the generated code serves it. */
export function testModule(spec: AppSpec, targets: readonly TestTarget[]): string {
  const { model, plural } = spec;
  const list = `/api/${plural}/`;
  const codenames = (...actions: string[]) => actions.map((a) => q(`${a}_${model}`)).join(', ');
  const maker = new RowMaker(targets);
  maker.tables.add(spec.table);
  const body = (variant: Variant) =>
    `{ ${spec.fields
      .map((f, position) => {
        // A reference to the resource itself is optional (checked): the test's rows have none.
        if (f.type.kind === 'ref' && f.type.table === spec.table) return `${f.name}: null`;
        const value = f.type.kind === 'ref' ? maker.refValue(f.type, variant) : q(sampleOf(f.type, variant, position));
        return `${f.name}: ${value}`;
      })
      .join(', ')} }`;
  const [amber, cyclops] = [body(0), body(1)];
  const usesUser = /\b(?:user|other)\.id\b/.test(amber + cyclops);
  const usesOther = /\bother\.id\b/.test(amber + cyclops);
  const inserts = maker.tables.size > 1;
  const bodiesCall = usesUser ? 'await validBodies(user)' : inserts ? 'await validBodies()' : 'validBodies()';
  /** The test's user: `user` is named when the bodies refer to it, or the representation names it (`owner`). */
  const withUser = (codes: string, shown: boolean) =>
    `const { ${usesUser || (shown && spec.owner) ? 'user, ' : ''}authorization } = await userWith(${codes});`;
  const owned = spec.owner ? ', owner: user.id' : '';
  const { search } = listOptionsOf(spec);
  const searchField = spec.fields.find((f) => f.name === search[0]);
  const searchTerm = searchField
    ? String(sampleOf(searchField.type as Sampled, 0, spec.fields.indexOf(searchField)))
    : '';
  const sortField = spec.fields.find((f) => f.type.kind !== 'ref')?.name ?? 'id';
  const first = spec.fields[0]!;
  const required = spec.fields.filter((f) => !f.optional).map((f) => `${f.name}: ['This field is required.']`);
  const unique = spec.fields
    .filter((f) => f.unique)
    .map((f) => `${f.name}: [${q(`${spec.model} with this ${labelOf(f.name)} already exists.`)}]`);
  const truncate = [...maker.tables].map((t) => `"${t}"`).join(', ');

  const lines = [
    '/**',
    ` * \`${list}\`, the resource declared in \`src/${plural}/resource.ts\` (made by \`startapp\`): create,`,
    ` * list with search and ordering, retrieve, replace, change, delete, the model permissions${spec.owner ? ' and the owner scope' : ''}.`,
    ' */',
    "import { expect } from 'chai';",
    "import { api, bearer, makeGroup, makeUser } from '../support/app.js';",
    "import { testKnex } from '../support/hooks.js';",
    '',
    `const LIST = ${q(list)};`,
    '',
    '/** A new user holding `codenames` (through a group of its own), and its `Authorization` header. */',
    'async function userWith(...codenames: string[]) {',
    `const group = await makeGroup(\`${plural}-\${Math.random().toString(36).slice(2, 10)}\`, codenames);`,
    'const user = await makeUser({ groups: [group.name] });',
    'return { user, authorization: await bearer(user) };',
    '}',
    '',
    ...(inserts
      ? [
          '/** Inserts a row a reference points to, and returns its id. */',
          'async function insertRow(table: string, row: Record<string, unknown>): Promise<number> {',
          "const [inserted] = (await testKnex()(table).insert(row).returning('id')) as { id: number }[];",
          'return inserted!.id;',
          '}',
          '',
        ]
      : []),
    '/** Two valid bodies; the first sorts before the second by any field. */',
    `${inserts || usesUser ? 'async ' : ''}function validBodies(${usesUser ? 'user: { id: number }' : ''}) {`,
    ...(usesOther ? ['const other = await makeUser();'] : []),
    `return { amber: ${amber}, cyclops: ${cyclops} };`,
    '}',
    '',
    '/** Creates a row through the API and returns its id. */',
    'async function create(authorization: string, body: object): Promise<number> {',
    'const res = await api().post(LIST).set("Authorization", authorization).send(body).expect(201);',
    'return res.body.id as number;',
    '}',
    '',
    'const idsOf = (body: { results: { id: number }[] }) => body.results.map((row) => row.id);',
    '',
    `describe(${q(list)}, () => {`,
    `beforeEach(() => testKnex().raw(${q(`TRUNCATE ${truncate} RESTART IDENTITY CASCADE`)}));`,
    '',
    "it('requires authentication', async () => {",
    'await api().get(LIST).expect(401);',
    'await api().post(LIST).send({}).expect(401);',
    '});',
    '',
    `it(${q(`creates with add_${model}, and answers DRF's messages for a bad body`)}, async () => {`,
    withUser(codenames('add'), true),
    `const { amber } = ${bodiesCall};`,
    'const res = await api().post(LIST).set("Authorization", authorization).send(amber).expect(201);',
    `expect(res.body).to.deep.equal({ id: res.body.id, ...amber${owned} });`,
    ...(required.length
      ? [
          'const missing = await api().post(LIST).set("Authorization", authorization).send({}).expect(400);',
          `expect(missing.body).to.deep.equal({ ${required.join(', ')} });`,
        ]
      : []),
    ...(unique.length
      ? [
          'const taken = await api().post(LIST).set("Authorization", authorization).send(amber).expect(400);',
          `expect(taken.body).to.deep.equal({ ${unique.join(', ')} });`,
        ]
      : []),
    '});',
    '',
    `it(${q(`lists with view_${model}: paginated, searched, ordered`)}, async () => {`,
    withUser(codenames('add', 'view'), false),
    `const { amber, cyclops } = ${bodiesCall};`,
    'const [first, second] = [await create(authorization, amber), await create(authorization, cyclops)];',
    'const all = await api().get(LIST).set("Authorization", authorization).expect(200);',
    'expect(all.body).to.deep.include({ count: 2, next: null, previous: null });',
    'expect(idsOf(all.body)).to.deep.equal([first, second]);',
    ...(searchTerm
      ? [
          `const found = await api().get(LIST).query({ search: ${q(searchTerm.split(' ')[0]!.toLowerCase())} }).set("Authorization", authorization).expect(200);`,
          'expect(idsOf(found.body)).to.deep.equal([first]);',
        ]
      : []),
    `const sorted = await api().get(LIST).query({ ordering: ${q(`-${sortField}`)} }).set("Authorization", authorization).expect(200);`,
    'expect(idsOf(sorted.body)).to.deep.equal([second, first]);',
    '});',
    '',
    `it(${q(`retrieves, replaces, changes and deletes with the model permissions`)}, async () => {`,
    withUser(codenames('add', 'view', 'change', 'delete'), true),
    `const { amber, cyclops } = ${bodiesCall};`,
    'const id = await create(authorization, amber);',
    'const url = `${LIST}${id}/`;',
    'const one = await api().get(url).set("Authorization", authorization).expect(200);',
    `expect(one.body).to.deep.equal({ id, ...amber${owned} });`,
    'const replaced = await api().put(url).set("Authorization", authorization).send(cyclops).expect(200);',
    `expect(replaced.body).to.deep.equal({ id, ...cyclops${owned} });`,
    `const changed = await api().patch(url).set("Authorization", authorization).send({ ${first.name}: amber.${first.name} }).expect(200);`,
    `expect(changed.body).to.deep.equal({ id, ...cyclops, ${first.name}: amber.${first.name}${owned} });`,
    'await api().delete(url).set("Authorization", authorization).expect(204);',
    'await api().get(url).set("Authorization", authorization).expect(404);',
    '});',
    '',
    `it(${q(
      spec.owner
        ? `refuses creating without add_${model}, and shows others' rows only with view_${model}`
        : `refuses each action without its permission`,
    )}, async () => {`,
    `const editor = await userWith(${codenames('add', 'view', 'change', 'delete')});`,
    `const { amber } = ${usesUser ? 'await validBodies(editor.user)' : bodiesCall};`,
    'const id = await create(editor.authorization, amber);',
    'const url = `${LIST}${id}/`;',
    'const { authorization } = await userWith();',
    'await api().post(LIST).set("Authorization", authorization).send(amber).expect(403);',
    ...(spec.owner
      ? [
          'const none = await api().get(LIST).set("Authorization", authorization).expect(200);',
          'expect(none.body.count).to.equal(0);',
          'await api().get(url).set("Authorization", authorization).expect(404);',
          `const viewer = await userWith(${codenames('view')});`,
          'const seen = await api().get(LIST).set("Authorization", viewer.authorization).expect(200);',
          'expect(idsOf(seen.body)).to.deep.equal([id]);',
          'await api().patch(url).set("Authorization", viewer.authorization).send({}).expect(403);',
          'await api().delete(url).set("Authorization", viewer.authorization).expect(403);',
        ]
      : [
          'await api().get(LIST).set("Authorization", authorization).expect(403);',
          'await api().get(url).set("Authorization", authorization).expect(403);',
          `const viewer = await userWith(${codenames('view')});`,
          'await api().get(url).set("Authorization", viewer.authorization).expect(200);',
          'await api().put(url).set("Authorization", viewer.authorization).send(amber).expect(403);',
          'await api().patch(url).set("Authorization", viewer.authorization).send({}).expect(403);',
          'await api().delete(url).set("Authorization", viewer.authorization).expect(403);',
        ]),
    '});',
    ...(spec.owner
      ? [
          '',
          `it(${q(`scopes owners: another's row is 404, one's own is read, changed and deleted without view_, change_ or delete_${model}`)}, async () => {`,
          `const maker = await userWith(${codenames('add')});`,
          `const stranger = await userWith(${codenames('add')});`,
          `const { amber, cyclops } = ${usesUser ? 'await validBodies(maker.user)' : bodiesCall};`,
          'const own = `${LIST}${await create(maker.authorization, amber)}/`;',
          'const theirs = `${LIST}${await create(stranger.authorization, cyclops)}/`;',
          'const mine = await api().get(LIST).set("Authorization", maker.authorization).expect(200);',
          'expect(mine.body.count).to.equal(1);',
          'await api().get(theirs).set("Authorization", maker.authorization).expect(404);',
          'await api().patch(theirs).set("Authorization", maker.authorization).send({}).expect(404);',
          'await api().delete(theirs).set("Authorization", maker.authorization).expect(404);',
          'await api().get(own).set("Authorization", maker.authorization).expect(200);',
          `const changed = await api().patch(own).set("Authorization", maker.authorization).send({ ${first.name}: amber.${first.name} }).expect(200);`,
          'expect(changed.body.owner).to.equal(maker.user.id);',
          'await api().delete(own).set("Authorization", maker.authorization).expect(204);',
          'await api().get(theirs).set("Authorization", stranger.authorization).expect(200);',
          '});',
        ]
      : []),
    '});',
    '',
  ];
  return lines.join('\n');
}

/** The Markdown section of the resource for docs/md/api.md, in that page's format. */
export function apiSection(spec: AppSpec): string {
  const { model, plural } = spec;
  const { filters, search, ordering } = listOptionsOf(spec);
  const example = Object.fromEntries([
    ['id', 1],
    ...spec.fields.map((f, position) => [f.name, f.type.kind === 'ref' ? 1 : sampleOf(f.type, 0, position)]),
    ...(spec.owner ? [['owner', 1]] : []),
  ]);
  const writable = spec.fields.map(
    (f) => `\`${f.name}\` (${describeType(f.type)}${f.unique ? ', unique' : ''}${f.optional ? ', optional' : ''})`,
  );
  const filterNames = filters.flatMap(([name, lookups]) =>
    lookups.map((lookup) => `\`?${lookup === 'exact' ? name : `${name}__${lookup}`}=\``),
  );
  const scope = (codename: string) =>
    spec.owner ? `Permission \`${codename}_${model}\`, or the owner's own.` : `Permission \`${codename}_${model}\`.`;
  const errorsOne = spec.owner ? '401, 403, 404 (also a row of another owner without the permission)' : '401, 403, 404';
  const body = Object.fromEntries(Object.entries(example).filter(([name]) => name !== 'id' && name !== 'owner'));
  return [
    `## ${title(plural)}`,
    '',
    `Declared in \`src/${plural}/resource.ts\` (made by [\`startapp\`](cli.md#startapp)). A ${model} as JSON:`,
    '',
    '```json',
    jsonLine(example),
    '```',
    '',
    `Fields: ${writable.join(', ')}${spec.owner ? ', and `owner` (read-only: the user who created it)' : ''}. Permissions \`add_${model}\`, \`change_${model}\`, \`delete_${model}\`, \`view_${model}\`${spec.owner ? '; without them an owner reads, changes and deletes its own' : ''}.`,
    '',
    `### \`GET /api/${plural}/\``,
    '',
    `List ${title(plural).toLowerCase()}, [paginated](#pagination), by \`id\`.${search.length ? ` \`?search=\` in ${search.map((s) => `\`${s}\``).join(', ')};` : ''} \`?ordering=\` by \`id\`, ${ordering.map((o) => `\`${o}\``).join(', ')}${filterNames.length ? `; filters ${filterNames.join(', ')}` : ''}. ${spec.owner ? `Permission \`view_${model}\`; without it, one's own rows.` : scope('view')} 200 the page. Errors: 400 (a bad filter value), 401${spec.owner ? '' : ', 403'}, 404 \`Invalid page.\`.`,
    '',
    `### \`POST /api/${plural}/\``,
    '',
    `Create one. Permission \`add_${model}\`.${spec.owner ? ' Its `owner` is the user who asks.' : ''}`,
    '',
    '```json',
    jsonLine(body),
    '```',
    '',
    `201 the ${model}. Errors: 400 (DRF's field messages${spec.fields.some((f) => f.unique) ? `, \`${model} with this … already exists.\`` : ''}), 401, 403.`,
    '',
    `### \`GET /api/${plural}/{id}/\``,
    '',
    `One ${model}. ${scope('view')} 200 the ${model}. Errors: ${errorsOne}.`,
    '',
    `### \`PUT /api/${plural}/{id}/\``,
    '',
    `Replace one: every required field. ${scope('change')} 200 the ${model}. Errors: 400 as \`POST\`, ${errorsOne}.`,
    '',
    `### \`PATCH /api/${plural}/{id}/\``,
    '',
    `Change the fields given. ${scope('change')} 200 the ${model}. Errors as \`PUT\`.`,
    '',
    `### \`DELETE /api/${plural}/{id}/\``,
    '',
    `Delete one. ${scope('delete')} 204. Errors: ${errorsOne}.`,
    '',
  ].join('\n');
}

/** An object as the API page writes one on a line: `{ "id": 1, "name": "Amber 1" }`. */
function jsonLine(value: Readonly<Record<string, unknown>>): string {
  return `{ ${Object.entries(value)
    .map(([name, field]) => `${q(name)}: ${q(field)}`)
    .join(', ')} }`;
}

/** A field's type in the API page's words. */
function describeType(type: FieldType): string {
  switch (type.kind) {
    case 'string':
      return `string, at most ${type.maxLength} characters`;
    case 'decimal':
      return `decimal as a string, ${type.maxDigits} digits, ${type.decimalPlaces} after the point`;
    case 'date':
      return 'date, `YYYY-MM-DD`';
    case 'datetime':
      return 'date and time, ISO 8601';
    case 'ref':
      return `the id of a ${type.model}`;
    default:
      return type.kind;
  }
}
