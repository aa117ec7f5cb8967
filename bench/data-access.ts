/**
 * A quick comparison of the forms a page of `GET /api/users/` (and one user) can take: the raw
 * correlated `ARRAY(...)` subquery it used to be, objection's `relatedQuery` as a subquery (one
 * statement, what the service runs), and objection's `withGraphFetched` (two statements).
 *
 * Run: `npx tsx bench/data-access.ts` (PGlite in memory), or with
 * `DATABASE_URL=postgres://…` for a server (its tables are emptied first: use a scratch database).
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { migrateLatest, openDatabase } from '../src/db/database.js';
import { User } from '../src/db/models.js';

const N = Number(process.env.N ?? 500);
const url = process.env.DATABASE_URL;
const db = await openDatabase(url ? { kind: 'postgres', connectionString: url, poolMax: 4 } : { kind: 'pglite', dataDir: null });
const knex = db.knex;
await migrateLatest(knex);
await knex.raw('TRUNCATE auth_user, auth_group RESTART IDENTITY CASCADE');
const groups = await knex('auth_group').insert(Array.from({ length: 8 }, (_, i) => ({ name: `group${i}` }))).returning('id');
const users = await knex('auth_user')
  .insert(Array.from({ length: 300 }, (_, i) => ({ username: `user${i}`, password: 'x', email: `u${i}@example.com`, first_name: '', last_name: '', is_active: true, is_staff: false, is_superuser: false, date_joined: knex.fn.now() })))
  .returning('id');
await knex('auth_user_groups').insert(users.flatMap((u: { id: number }, i: number) => [groups[i % 8].id, groups[(i + 3) % 8].id].map((group_id: number) => ({ user_id: u.id, group_id }))));

const COLUMNS = ['id', 'username', 'email', 'first_name', 'last_name', 'is_active', 'is_staff', 'is_superuser', 'date_joined', 'last_login'];
const aliased = COLUMNS.map((c) => `u.${c}`);

const forms: Record<string, (page: number) => Promise<unknown>> = {
  'raw ARRAY subquery (before)': (page) =>
    knex('auth_user as u')
      .select(...aliased, knex.raw('ARRAY(SELECT g.name FROM auth_group g JOIN auth_user_groups ug ON ug.group_id = g.id WHERE ug.user_id = u.id ORDER BY g.name) AS groups'))
      .orderBy('u.id')
      .limit(20)
      .offset(page * 20),
  'objection relatedQuery subquery (after)': (page) =>
    User.query(knex)
      .alias('u')
      .select(...aliased, User.relatedQuery('groups').select(knex.raw(`coalesce(array_agg(name ORDER BY name), '{}')`)).as('groups'))
      .orderBy('u.id')
      .limit(20)
      .offset(page * 20)
      .toKnexQuery(),
  'objection withGraphFetched': async (page) =>
    (
      await User.query(knex)
        .select(COLUMNS)
        .withGraphFetched('groups(byName)')
        .modifiers({ byName: (q) => q.select('auth_group.name').orderBy('auth_group.name') })
        .orderBy('id')
        .limit(20)
        .offset(page * 20)
    ).map((u) => ({ ...u, groups: u.groups!.map((g) => g.name) })),
};

async function time(run: (page: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 50; i++) await run(i % 15);
  const start = performance.now();
  for (let i = 0; i < N; i++) await run(i % 15);
  return (performance.now() - start) / N;
}

process.stdout.write(`${url ? 'PostgreSQL server' : 'PGlite'}: a page of 20 users of 300, each in 2 of 8 groups, ${N} calls\n`);
for (let round = 0; round < 2; round++) {
  for (const [name, run] of Object.entries(forms)) process.stdout.write(`  ${name}: ${(await time(run)).toFixed(3)} ms per page\n`);
}
await knex.raw('TRUNCATE auth_user, auth_group RESTART IDENTITY CASCADE');
await db.close();
