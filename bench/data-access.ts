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
import { randomUUID } from 'node:crypto';
import { loadPrincipal } from '../src/auth/principal.js';
import { BlacklistedToken, OutstandingToken, User } from '../src/db/models.js';
import { PUBLIC_COLUMNS } from '../src/users/service.js';

const N = Number(process.env.N ?? 500);
const url = process.env.DATABASE_URL;
const db = await openDatabase(
  url
    ? { kind: 'postgres', connectionString: url, poolMax: 4, statementTimeout: 0 }
    : { kind: 'pglite', dataDir: null },
);
const knex = db.knex;
await migrateLatest(knex);
await knex.raw('TRUNCATE auth_user, auth_group RESTART IDENTITY CASCADE');
const groups = await knex('auth_group')
  .insert(Array.from({ length: 8 }, (_, i) => ({ name: `group${i}` })))
  .returning('id');
const users = await knex('auth_user')
  .insert(
    Array.from({ length: 300 }, (_, i) => ({
      username: `user${i}`,
      password: 'x',
      email: `u${i}@example.com`,
      first_name: '',
      last_name: '',
      is_active: true,
      is_staff: false,
      is_superuser: false,
      date_joined: knex.fn.now(),
    })),
  )
  .returning('id');
await knex('auth_user_groups').insert(
  users.flatMap((u: { id: number }, i: number) =>
    [groups[i % 8].id, groups[(i + 3) % 8].id].map((group_id: number) => ({ user_id: u.id, group_id })),
  ),
);

const aliased = PUBLIC_COLUMNS.map((c) => `u.${c}`);

const forms: Record<string, (page: number) => Promise<unknown>> = {
  'raw ARRAY subquery (before)': (page) =>
    knex('auth_user as u')
      .select(
        ...aliased,
        knex.raw(
          'ARRAY(SELECT g.name FROM auth_group g JOIN auth_user_groups ug ON ug.group_id = g.id WHERE ug.user_id = u.id ORDER BY g.name) AS groups',
        ),
      )
      .orderBy('u.id')
      .limit(20)
      .offset(page * 20),
  'objection relatedQuery subquery (after)': (page) =>
    User.query(knex)
      .alias('u')
      .select(
        ...aliased,
        User.relatedQuery('groups').select(knex.raw(`coalesce(array_agg(name ORDER BY name), '{}')`)).as('groups'),
      )
      .orderBy('u.id')
      .limit(20)
      .offset(page * 20)
      .toKnexQuery(),
  'objection withGraphFetched': async (page) =>
    (
      await User.query(knex)
        .select(PUBLIC_COLUMNS)
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

process.stdout.write(
  `${url ? 'PostgreSQL server' : 'PGlite'}: a page of 20 users of 300, each in 2 of 8 groups, ${N} calls\n`,
);
for (let round = 0; round < 2; round++) {
  for (const [name, run] of Object.entries(forms))
    process.stdout.write(`  ${name}: ${(await time(run)).toFixed(3)} ms per page\n`);
}

// The principal: the service's one prepared statement, against objection's graph fetch of the same
// answer (user, groups, direct and group permissions, session state).
await knex('auth_group_permissions').insert(
  groups.map((g: { id: number }, i: number) => ({ group_id: g.id, permission_id: i + 1 })),
);
const sessionId = randomUUID();
const far = new Date(Date.now() + 86_400_000);
await knex('token_blacklist_outstandingtoken').insert({
  user_id: users[5].id,
  jti: randomUUID(),
  token: 't',
  created_at: new Date(),
  expires_at: far,
  session_id: sessionId,
});
const principalForms: Record<string, () => Promise<unknown>> = {
  'prepared principal SQL (kept)': () => loadPrincipal(knex, users[5].id, sessionId),
  'objection withGraphFetched + session query': async () => {
    const user = await User.query(knex)
      .findById(users[5].id)
      .withGraphFetched('[groups.permissions, user_permissions]');
    const session = await OutstandingToken.query(knex)
      .where('session_id', sessionId)
      .where('expires_at', '>', knex.fn.now())
      .whereNotExists(OutstandingToken.relatedQuery('blacklisted'))
      .max('expires_at as until')
      .first();
    return { user, session };
  },
};
process.stdout.write('The principal of one request:\n');
for (let round = 0; round < 2; round++) {
  for (const [name, run] of Object.entries(principalForms))
    process.stdout.write(`  ${name}: ${(await time(run)).toFixed(3)} ms per call\n`);
}

// The refresh rotation: the service's one statement against the same steps through objection in a
// transaction (the old token locked, the user checked, the old one blacklisted, a successor written).
const ROTATE = `
WITH old AS (SELECT o.id FROM token_blacklist_outstandingtoken o WHERE o.jti = :jti
             AND NOT EXISTS (SELECT 1 FROM token_blacklist_blacklistedtoken b WHERE b.token_id = o.id)),
usable AS (SELECT 1 FROM auth_user u WHERE u.id = CAST(:userId AS integer) AND u.is_active AND EXISTS (SELECT 1 FROM old)),
blacklisted AS (INSERT INTO token_blacklist_blacklistedtoken (token_id, blacklisted_at) SELECT old.id, now() FROM old, usable
                ON CONFLICT (token_id) DO NOTHING RETURNING token_id),
issued AS (INSERT INTO token_blacklist_outstandingtoken (user_id, jti, token, created_at, expires_at, session_id)
           SELECT CAST(:userId AS integer), :newJti, 't', now(), CAST(:expiresAt AS timestamptz), CAST(:sessionId AS uuid)
           FROM usable WHERE EXISTS (SELECT 1 FROM blacklisted) RETURNING id)
SELECT (SELECT count(*) FROM issued) AS issued`;
let current = randomUUID();
await knex('token_blacklist_outstandingtoken').insert({
  user_id: users[6].id,
  jti: current,
  token: 't',
  created_at: new Date(),
  expires_at: far,
  session_id: sessionId,
});
const rotationForms: Record<string, () => Promise<unknown>> = {
  'one prepared statement (kept)': async () => {
    const next = randomUUID();
    await knex
      .raw(ROTATE, { jti: current, userId: users[6].id, newJti: next, expiresAt: far, sessionId })
      .options({ name: 'bench_rotate' });
    current = next;
  },
  'objection, four statements in a transaction': () =>
    knex.transaction(async (trx) => {
      const old = await OutstandingToken.query(trx)
        .where('jti', current)
        .forUpdate()
        .withGraphFetched('blacklisted')
        .first();
      const user = await User.query(trx).findById(users[6].id).select('is_active');
      if (!old || old.blacklisted || !user?.is_active) throw new Error('unusable');
      await BlacklistedToken.query(trx).insert({ token_id: old.id, blacklisted_at: new Date() });
      const next = randomUUID();
      await OutstandingToken.query(trx).insert({
        user_id: users[6].id,
        jti: next,
        token: 't',
        created_at: new Date(),
        expires_at: far,
        session_id: sessionId,
      });
      current = next;
    }),
};
process.stdout.write('A refresh rotation:\n');
for (let round = 0; round < 2; round++) {
  for (const [name, run] of Object.entries(rotationForms))
    process.stdout.write(`  ${name}: ${(await time(run)).toFixed(3)} ms per call\n`);
}

await knex.raw('TRUNCATE auth_user, auth_group, token_blacklist_outstandingtoken RESTART IDENTITY CASCADE');
await db.close();
