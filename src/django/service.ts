/**
 * `import-django`: moves the Django backend's users, groups, permissions, tokens and admin log
 * into this project's database, in one transaction, so that no one is lost — or logged out — at
 * the switch-over (docs/md/runbooks/switch-from-django.md).
 *
 * Ids: users keep Django's ids (tokens name them in `user_id`); groups are matched by name and keep
 * Django's id when it is free; tokens are matched by `jti`, log entries by Django's id
 * (`admin_log.django_id`). Permissions are matched by Django's `(app_label, codename)`: this
 * project's permissions have a codename and a model, the model naming the app
 * ({@link ImportOptions.modelApps}, which the features declare).
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { ConflictError } from '../errors.js';

/** How to run the import. */
export interface ImportOptions {
  /** Do everything in the transaction, report it, then roll it back. */
  readonly dryRun: boolean;
  /** Allow a database that has users the Django database does not have. */
  readonly merge: boolean;
  /** Called as the rows are written: rows done so far of the total read from Django. */
  readonly onProgress?: (done: number, total: number) => void;
  /**
   * The Django app (content type `app_label`) of each model this project has permissions for, as
   * the features declare them (`modelApps(FEATURES)`); a model not in it is its own app.
   */
  readonly modelApps: ReadonlyMap<string, string>;
}

/** Rows inserted and updated of one table. */
export interface Upserted {
  inserted: number;
  updated: number;
}

/** Join rows added and removed to make this database's sets equal to Django's. */
export interface Synced {
  added: number;
  removed: number;
}

/** A Django permission with no counterpart here, and who held it. */
export interface UnmatchedPermission {
  readonly app_label: string;
  readonly codename: string;
  /** Names of the Django groups that had it. */
  readonly groups: readonly string[];
  /** Usernames of the Django users that had it directly. */
  readonly users: readonly string[];
}

/** What the import did (or, with `dryRun`, would do). */
export interface ImportReport {
  readonly dryRun: boolean;
  readonly users: Upserted;
  readonly groups: Upserted;
  readonly memberships: Synced;
  readonly groupPermissions: Synced;
  readonly userPermissions: Synced;
  readonly outstandingTokens: Upserted;
  /** Blacklist rows added (a token blacklisted here already stays so). */
  readonly blacklistedTokens: number;
  readonly logEntries: Upserted;
  /** Users of this database that the Django database does not have (kept; only with `merge`). */
  readonly otherUsers: number;
  /** Every Django permission without a counterpart here, sorted by app and codename. */
  readonly unmatchedPermissions: readonly UnmatchedPermission[];
}

/** Thrown when the import is refused before anything is written, or would break a row here. */
export class ImportRefusedError extends ConflictError {
  override name = 'ImportRefusedError';
}

interface DjangoUser {
  id: number;
  password: string;
  last_login: Date | null;
  is_superuser: boolean;
  username: string;
  first_name: string;
  last_name: string;
  email: string;
  is_staff: boolean;
  is_active: boolean;
  date_joined: Date;
}

interface DjangoData {
  users: DjangoUser[];
  groups: Array<{ id: number; name: string }>;
  userGroups: Array<{ user_id: number; group_id: number }>;
  permissions: Array<{ id: number; codename: string; app_label: string }>;
  groupPermissions: Array<{ group_id: number; permission_id: number }>;
  userPermissions: Array<{ user_id: number; permission_id: number }>;
  outstanding: Array<{
    id: number;
    user_id: number | null;
    jti: string;
    token: string;
    created_at: Date | null;
    expires_at: Date;
  }>;
  blacklisted: Array<{ token_id: number; blacklisted_at: Date }>;
  log: Array<{
    id: number;
    action_time: Date;
    user_id: number;
    username: string;
    object_id: string | null;
    object_repr: string;
    action_flag: number;
    change_message: string;
    app_label: string | null;
    model: string | null;
  }>;
}

const CHUNK = 500;
const ACTIONS: Readonly<Record<number, string>> = { 1: 'add', 2: 'change', 3: 'delete' };

class DryRunRollback extends Error {}

/**
 * Imports the Django database into this one.
 *
 * @param target - this project's (migrated) database
 * @param source - the Django database; read in one read-only snapshot, never written
 * @returns what was imported
 * @throws {@link ImportRefusedError} when this database has other users and `merge` is off, or a
 *   user here has a Django user's id or username but not both; nothing is written then
 * @example
 * const report = await importDjango(knex, django, { dryRun: true, merge: false });
 */
export async function importDjango(target: Knex, source: Knex, options: ImportOptions): Promise<ImportReport> {
  const data = await readDjango(source);
  let report: ImportReport | undefined;
  try {
    await target.transaction(async (trx) => {
      report = await writeAll(trx, data, options);
      if (options.dryRun) throw new DryRunRollback();
    });
  } catch (error) {
    if (!(error instanceof DryRunRollback)) throw error;
  }
  return report!;
}

async function readDjango(source: Knex): Promise<DjangoData> {
  return source.transaction(
    async (trx) => {
      const rows = async <T>(sql: string): Promise<T[]> => (await trx.raw<{ rows: T[] }>(sql)).rows;
      return {
        users: await rows<DjangoUser>(
          `SELECT id, password, last_login, is_superuser, username, first_name, last_name, email, is_staff,
                  is_active, date_joined FROM auth_user ORDER BY id`,
        ),
        groups: await rows('SELECT id, name FROM auth_group ORDER BY id'),
        userGroups: await rows('SELECT user_id, group_id FROM auth_user_groups ORDER BY id'),
        permissions: await rows(
          `SELECT p.id, p.codename, ct.app_label FROM auth_permission p
           JOIN django_content_type ct ON ct.id = p.content_type_id ORDER BY ct.app_label, p.codename`,
        ),
        groupPermissions: await rows('SELECT group_id, permission_id FROM auth_group_permissions ORDER BY id'),
        userPermissions: await rows('SELECT user_id, permission_id FROM auth_user_user_permissions ORDER BY id'),
        outstanding: await rows(
          `SELECT CAST(id AS integer) AS id, user_id, jti, token, created_at, expires_at
           FROM token_blacklist_outstandingtoken ORDER BY id`,
        ),
        blacklisted: await rows(
          `SELECT CAST(token_id AS integer) AS token_id, blacklisted_at FROM token_blacklist_blacklistedtoken ORDER BY id`,
        ),
        log: await rows(
          `SELECT l.id, l.action_time, l.user_id, u.username, l.object_id, l.object_repr, l.action_flag,
                  l.change_message, ct.app_label, ct.model
           FROM django_admin_log l JOIN auth_user u ON u.id = l.user_id
           LEFT JOIN django_content_type ct ON ct.id = l.content_type_id ORDER BY l.id`,
        ),
      };
    },
    { isolationLevel: 'repeatable read', readOnly: true },
  );
}

async function writeAll(trx: Knex.Transaction, data: DjangoData, options: ImportOptions): Promise<ImportReport> {
  const total =
    data.users.length +
    data.groups.length +
    data.userGroups.length +
    data.groupPermissions.length +
    data.userPermissions.length +
    data.outstanding.length +
    data.blacklisted.length +
    data.log.length;
  let done = 0;
  const progress = (rows: number) => {
    done += rows;
    options.onProgress?.(done, total);
  };
  options.onProgress?.(0, total);

  const otherUsers = await checkUsers(trx, data.users, options.merge);
  const users = await upsertUsers(trx, data.users);
  progress(data.users.length);

  const groupIds = await upsertGroups(trx, data.groups);
  progress(data.groups.length);

  const userIds = data.users.map((u) => u.id);
  const memberships = await syncPairs(
    trx,
    'auth_user_groups',
    'user_id',
    'group_id',
    userIds,
    data.userGroups.map((r): [number, number] => [r.user_id, groupIds.get(r.group_id)!]),
  );
  progress(data.userGroups.length);

  const { permissionIds, unmatched } = await matchPermissions(trx, data, options.modelApps);
  const groupPermissions = await syncPairs(
    trx,
    'auth_group_permissions',
    'group_id',
    'permission_id',
    [...groupIds.values()],
    data.groupPermissions.flatMap((r) => {
      const permission = permissionIds.get(r.permission_id);
      return permission === undefined ? [] : [[groupIds.get(r.group_id)!, permission] as [number, number]];
    }),
  );
  progress(data.groupPermissions.length);
  const userPermissions = await syncPairs(
    trx,
    'auth_user_user_permissions',
    'user_id',
    'permission_id',
    userIds,
    data.userPermissions.flatMap((r) => {
      const permission = permissionIds.get(r.permission_id);
      return permission === undefined ? [] : [[r.user_id, permission] as [number, number]];
    }),
  );
  progress(data.userPermissions.length);

  const { counts: outstandingTokens, ids: tokenIds } = await upsertOutstanding(trx, data.outstanding);
  progress(data.outstanding.length);
  const blacklistedTokens = await insertBlacklisted(trx, data.blacklisted, tokenIds);
  progress(data.blacklisted.length);
  const logEntries = await upsertLog(trx, data.log);
  progress(data.log.length);

  for (const table of ['auth_user', 'auth_group']) await setSequence(trx, table);
  return {
    dryRun: options.dryRun,
    users,
    groups: { inserted: groupIds.inserted, updated: groupIds.size - groupIds.inserted },
    memberships,
    groupPermissions,
    userPermissions,
    outstandingTokens,
    blacklistedTokens,
    logEntries,
    otherUsers,
    unmatchedPermissions: unmatched,
  };
}

/** Refuses conflicting users, and other users without `merge`; returns how many other users there are. */
async function checkUsers(trx: Knex.Transaction, users: DjangoUser[], merge: boolean): Promise<number> {
  const byId = new Map(users.map((u) => [u.id, u.username]));
  const byName = new Map(users.map((u) => [u.username, u.id]));
  const here: Array<{ id: number; username: string }> = await trx('auth_user').select('id', 'username').orderBy('id');
  const conflicts: string[] = [];
  let others = 0;
  for (const user of here) {
    const djangoName = byId.get(user.id);
    const djangoId = byName.get(user.username);
    if (djangoName === user.username) continue;
    if (djangoName !== undefined || djangoId !== undefined) {
      conflicts.push(
        djangoName !== undefined
          ? `id ${user.id} is "${user.username}" here and "${djangoName}" in Django`
          : `"${user.username}" is id ${user.id} here and id ${djangoId} in Django`,
      );
    } else {
      others += 1;
    }
  }
  if (conflicts.length > 0) {
    throw new ImportRefusedError(
      `import-django: ${conflicts.length} user(s) conflict with the Django database (${conflicts.slice(0, 5).join('; ')}); nothing was imported`,
    );
  }
  if (others > 0 && !merge) {
    throw new ImportRefusedError(
      `import-django: this database has ${others} user(s) the Django database does not have; pass --merge to keep them and import beside them (nothing was imported)`,
    );
  }
  return others;
}

async function upsertUsers(trx: Knex.Transaction, users: DjangoUser[]): Promise<Upserted> {
  const existing = new Set<number>(await trx('auth_user').pluck('id'));
  for (let i = 0; i < users.length; i += CHUNK) {
    await trx('auth_user')
      .insert(users.slice(i, i + CHUNK))
      .onConflict('id')
      .merge();
  }
  const updated = users.filter((u) => existing.has(u.id)).length;
  return { inserted: users.length - updated, updated };
}

/** Django group id → group id here, with how many groups were new. */
type GroupIds = Map<number, number> & { inserted: number };

async function upsertGroups(trx: Knex.Transaction, groups: Array<{ id: number; name: string }>): Promise<GroupIds> {
  const here: Array<{ id: number; name: string }> = await trx('auth_group').select('id', 'name');
  const byName = new Map(here.map((g) => [g.name, g.id]));
  const taken = new Set(here.map((g) => g.id));
  const ids = new Map<number, number>() as GroupIds;
  ids.inserted = 0;
  for (const group of groups) {
    const found = byName.get(group.name);
    if (found !== undefined) {
      ids.set(group.id, found);
      continue;
    }
    const row = taken.has(group.id) ? { name: group.name } : { id: group.id, name: group.name };
    const [inserted] = await trx('auth_group').insert(row).returning<Array<{ id: number }>>('id');
    taken.add(inserted!.id);
    ids.set(group.id, inserted!.id);
    ids.inserted += 1;
  }
  return ids;
}

/**
 * Makes a join table's rows for the given owners equal to the wanted pairs: adds the missing ones,
 * removes the others (a re-run after no change in Django writes nothing).
 */
async function syncPairs(
  trx: Knex.Transaction,
  table: string,
  ownerColumn: string,
  otherColumn: string,
  owners: number[],
  wanted: Array<[owner: number, other: number]>,
): Promise<Synced> {
  const key = (owner: number, other: number) => `${owner}:${other}`;
  const want = new Map(wanted.map(([owner, other]) => [key(owner, other), { owner, other }]));
  const here: Array<{ id: number; owner: number; other: number }> = [];
  for (let i = 0; i < owners.length; i += CHUNK) {
    here.push(
      ...(await trx(table)
        .whereIn(ownerColumn, owners.slice(i, i + CHUNK))
        .select('id', `${ownerColumn} as owner`, `${otherColumn} as other`)),
    );
  }
  const have = new Set(here.map((r) => key(r.owner, r.other)));
  const remove = here.filter((r) => !want.has(key(r.owner, r.other))).map((r) => r.id);
  const rows = [...want.entries()]
    .filter(([k]) => !have.has(k))
    .map(([, pair]) => ({ [ownerColumn]: pair.owner, [otherColumn]: pair.other }));
  for (let i = 0; i < remove.length; i += CHUNK)
    await trx(table)
      .whereIn('id', remove.slice(i, i + CHUNK))
      .delete();
  for (let i = 0; i < rows.length; i += CHUNK) await trx(table).insert(rows.slice(i, i + CHUNK));
  return { added: rows.length, removed: remove.length };
}

async function matchPermissions(
  trx: Knex.Transaction,
  data: DjangoData,
  modelApps: ReadonlyMap<string, string>,
): Promise<{ permissionIds: Map<number, number>; unmatched: UnmatchedPermission[] }> {
  const here: Array<{ id: number; codename: string; model: string }> = await trx('auth_permission').select(
    'id',
    'codename',
    'model',
  );
  const byKey = new Map(here.map((p) => [`${modelApps.get(p.model) ?? p.model}.${p.codename}`, p.id]));
  const permissionIds = new Map<number, number>();
  const unmatched: UnmatchedPermission[] = [];
  const groupName = new Map(data.groups.map((g) => [g.id, g.name]));
  const username = new Map(data.users.map((u) => [u.id, u.username]));
  for (const permission of data.permissions) {
    const id = byKey.get(`${permission.app_label}.${permission.codename}`);
    if (id !== undefined) {
      permissionIds.set(permission.id, id);
      continue;
    }
    unmatched.push({
      app_label: permission.app_label,
      codename: permission.codename,
      groups: data.groupPermissions
        .filter((r) => r.permission_id === permission.id)
        .map((r) => groupName.get(r.group_id)!)
        .sort(),
      users: data.userPermissions
        .filter((r) => r.permission_id === permission.id)
        .map((r) => username.get(r.user_id)!)
        .sort(),
    });
  }
  return { permissionIds, unmatched };
}

async function upsertOutstanding(
  trx: Knex.Transaction,
  tokens: DjangoData['outstanding'],
): Promise<{ counts: Upserted; ids: Map<number, number> }> {
  const ids = new Map<number, number>();
  let updated = 0;
  for (let i = 0; i < tokens.length; i += CHUNK) {
    const chunk = tokens.slice(i, i + CHUNK);
    updated += Number(
      (
        await trx('token_blacklist_outstandingtoken')
          .whereIn(
            'jti',
            chunk.map((t) => t.jti),
          )
          .count<Array<{ count: string | number }>>({ count: '*' })
      )[0]!.count,
    );
    // A token seen before keeps the session it was given then.
    const rows: Array<{ id: number; jti: string }> = await trx('token_blacklist_outstandingtoken')
      .insert(
        chunk.map((t) => ({
          user_id: t.user_id,
          jti: t.jti,
          token: t.token,
          created_at: t.created_at,
          expires_at: t.expires_at,
          session_id: randomUUID(),
          // The session began no later than its token: its absolute lifetime counts from there.
          session_started_at: t.created_at ?? new Date(),
        })),
      )
      .onConflict('jti')
      .merge(['user_id', 'token', 'created_at', 'expires_at'])
      .returning(['id', 'jti']);
    const byJti = new Map(rows.map((r) => [r.jti, r.id]));
    for (const token of chunk) ids.set(token.id, byJti.get(token.jti)!);
  }
  return { counts: { inserted: tokens.length - updated, updated }, ids };
}

async function insertBlacklisted(
  trx: Knex.Transaction,
  rows: DjangoData['blacklisted'],
  tokenIds: Map<number, number>,
): Promise<number> {
  let inserted = 0;
  for (let i = 0; i < rows.length; i += CHUNK) {
    const added = await trx('token_blacklist_blacklistedtoken')
      .insert(
        rows
          .slice(i, i + CHUNK)
          .map((r) => ({ token_id: tokenIds.get(r.token_id)!, blacklisted_at: r.blacklisted_at })),
      )
      .onConflict('token_id')
      .ignore()
      .returning('id');
    inserted += added.length;
  }
  return inserted;
}

async function upsertLog(trx: Knex.Transaction, log: DjangoData['log']): Promise<Upserted> {
  let updated = 0;
  for (let i = 0; i < log.length; i += CHUNK) {
    const chunk = log.slice(i, i + CHUNK);
    updated += (
      await trx('admin_log')
        .whereIn(
          'django_id',
          chunk.map((e) => e.id),
        )
        .select('id')
    ).length;
    await trx('admin_log')
      .insert(
        chunk.map((e) => ({
          django_id: e.id,
          actor_id: e.user_id,
          actor_username: e.username,
          action: `${ACTIONS[e.action_flag] ?? `flag${e.action_flag}`}_${e.model ?? 'object'}`,
          target_type: e.model ?? '',
          target_id: e.object_id === null ? null : e.object_id.slice(0, 64),
          target_repr: e.object_repr.slice(0, 200),
          details: JSON.stringify({
            django: { app_label: e.app_label, action_flag: e.action_flag, change_message: e.change_message },
          }),
          created_at: e.action_time,
        })),
      )
      .onConflict('django_id')
      .merge();
  }
  return { inserted: log.length - updated, updated };
}

/** Moves a table's id sequence past its largest id (ids were inserted as they are). */
async function setSequence(trx: Knex.Transaction, table: string): Promise<void> {
  await trx.raw(
    `SELECT setval(pg_get_serial_sequence(?, 'id'), GREATEST(COALESCE(max(id), 0), 1), max(id) IS NOT NULL) FROM ??`,
    [table, table],
  );
}
