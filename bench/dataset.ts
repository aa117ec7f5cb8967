/**
 * The benchmark's data: a scratch PostgreSQL database, migrated, with many users inserted in bulk
 * (one password hash computed once and shared), an admin, a group, and pre-issued refresh tokens
 * for the rotation scenario (each refresh request spends one) after a day's worth of rotated ones.
 */
import { randomUUID } from 'node:crypto';
import knexFactory, { type Knex } from 'knex';
import { hashPassword } from '../src/auth/passwords.js';
import { signToken, type TokenSettings } from '../src/auth/tokens.js';

/** The password of every bench user. */
export const BENCH_PASSWORD = 'bench-Password-2026';
/** The user whose `/me/` is measured, and the superuser listing users. */
export const BENCH_USER = 'bench00001';
export const BENCH_ADMIN = 'benchadmin';

const FIRST = ['Anna', 'Boris', 'Clara', 'Dmitri', 'Elena', 'Fedor', 'Galina', 'Igor', 'Jana', 'Kirill'];
/** The users' last names, in turn: every one is a search term of the mixed scenario. */
export const LAST_NAMES = [
  'Ivanova',
  'Petrov',
  'Smirnova',
  'Kuznetsov',
  'Popova',
  'Sokolov',
  'Lebedeva',
  'Kozlov',
  'Novikova',
  'Morozov',
];

/** A scratch database on a PostgreSQL server: its URL and how to drop it. */
export interface ScratchDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

/**
 * Creates (after dropping a leftover of the same name) the database named in `url`, connecting to
 * the server's `postgres` database to do so.
 */
export async function createScratchDatabase(url: string): Promise<ScratchDatabase> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[\w-]+$/.test(name)) throw new Error(`BENCH_DATABASE_URL: unexpected database name "${name}"`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const query = async (sql: string) => {
    const db = knexFactory({ client: 'pg', connection: admin.toString(), pool: { min: 0, max: 1 } });
    try {
      await db.raw(sql);
    } finally {
      await db.destroy();
    }
  };
  await query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await query(`CREATE DATABASE "${name}"`);
  return { url, drop: () => query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** Opens a knex instance on the bench database. */
export function openBenchKnex(url: string): Knex {
  return knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 4 } });
}

/**
 * Loads `count` users (into a migrated database) (plus the admin), every one in the group `editors` that holds a
 * few permissions, so that `/me/` resolves groups and permissions as a real user's would.
 *
 * @returns the time the load took, in ms
 */
export async function loadUsers(knex: Knex, count: number): Promise<number> {
  const started = Date.now();
  const password = await hashPassword(BENCH_PASSWORD);
  const [group] = await knex('auth_group').insert({ name: 'editors' }).returning('id');
  const permissions = await knex('auth_permission')
    .whereIn('codename', ['view_user', 'change_user', 'view_group', 'view_permission'])
    .pluck('id');
  await knex('auth_group_permissions').insert(
    permissions.map((permission_id: number) => ({ group_id: group.id, permission_id })),
  );

  const rows = Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(5, '0');
    return {
      username: `bench${n}`,
      password,
      email: `bench${n}@example.com`,
      first_name: FIRST[i % FIRST.length]!,
      last_name: LAST_NAMES[Math.floor(i / FIRST.length) % LAST_NAMES.length]!,
      is_active: true,
    };
  });
  rows.push({
    username: BENCH_ADMIN,
    password,
    email: 'admin@example.com',
    first_name: 'Bench',
    last_name: 'Admin',
    is_active: true,
  });
  await knex.batchInsert('auth_user', rows, 1_000);
  await knex.raw('INSERT INTO auth_user_groups (user_id, group_id) SELECT id, ? FROM auth_user', [group.id]);
  await knex('auth_user').where({ username: BENCH_ADMIN }).update({ is_superuser: true, is_staff: true });
  await knex.raw('ANALYZE');
  return Date.now() - started;
}

/**
 * Issues `count` refresh tokens of the bench user directly (signed with the app's key and recorded
 * as outstanding, as a login would), each in its own session, so that every refresh request of
 * the rotation scenario spends a fresh one.
 *
 * Before them it records as many rotated tokens — outstanding and blacklisted — as a running system
 * holds until the nightly flush: a day of rotations. Without that history the blacklist starts
 * empty, PostgreSQL plans its lookups for an empty table (a sequential scan), and a plan cached in
 * the first requests grows slower with every row the run adds, until the next ANALYZE.
 */
export async function issueRefreshTokens(knex: Knex, settings: TokenSettings, count: number): Promise<string[]> {
  if (count === 0) return [];
  const user = await knex('auth_user').where({ username: BENCH_USER }).first('id');
  const tokens: string[] = [];
  const rows = [];
  for (let i = 0; i < 2 * count; i++) {
    const { token, claims } = signToken(settings, 'refresh', { userId: user.id, sessionId: randomUUID() });
    if (i >= count) tokens.push(token);
    rows.push({
      user_id: user.id,
      jti: claims.jti,
      token,
      created_at: new Date(claims.iat * 1000),
      expires_at: new Date(claims.exp * 1000),
      session_id: claims.sid,
    });
  }
  const ids: number[] = [];
  for (let i = 0; i < rows.length; i += 2_000) {
    const inserted = await knex('token_blacklist_outstandingtoken')
      .insert(rows.slice(i, i + 2_000))
      .returning('id');
    ids.push(...inserted.map((row: { id: number }) => row.id));
  }
  const history = ids.slice(0, count);
  for (let i = 0; i < history.length; i += 5_000) {
    await knex('token_blacklist_blacklistedtoken').insert(
      history.slice(i, i + 5_000).map((token_id) => ({ token_id, blacklisted_at: new Date() })),
    );
  }
  await knex.raw('ANALYZE token_blacklist_outstandingtoken, token_blacklist_blacklistedtoken');
  return tokens;
}
