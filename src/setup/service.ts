/**
 * Project setup: roles (groups with permissions) from `seeds/roles.json`, demo users from
 * `seeds/demo-users.json`. Both are idempotent: running them again changes nothing.
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { z } from 'zod';
import { Group, Permission, User } from '../db/models.js';
import { resolvePermissions, setPermissions } from '../groups/service.js';
import { seedsDir } from '../paths.js';
import { createUser, SYSTEM_ACTOR } from '../users/service.js';

/** Role name → permission codenames (`*` for all). */
export type RoleDefinition = Readonly<Record<string, readonly string[]>>;

/** What {@link fillGroups} did to one role. */
export interface RoleChange {
  readonly role: string;
  readonly created: boolean;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/** A demo account from `seeds/demo-users.json`. */
export interface DemoUser {
  readonly username: string;
  readonly password: string;
  readonly groups: readonly string[];
  readonly is_superuser: boolean;
}

const RolesFile = z.object({ roles: z.record(z.string().min(1).max(150), z.array(z.string().min(1))) });
const DemoUsersFile = z.object({
  users: z.array(
    z.object({
      username: z.string(),
      password: z.string(),
      email: z.string().optional(),
      first_name: z.string().optional(),
      last_name: z.string().optional(),
      is_staff: z.boolean().optional(),
      is_superuser: z.boolean().optional(),
      groups: z.array(z.string()).optional(),
    }),
  ),
});

function readSeed<S extends z.ZodType>(file: string, schema: S): z.output<S> {
  const location = path.join(seedsDir, file);
  const result = schema.safeParse(JSON.parse(fs.readFileSync(location, 'utf8')));
  if (!result.success)
    throw new Error(`${location}: ${result.error.issues[0]?.path.join('.')} ${result.error.issues[0]?.message}`);
  return result.data;
}

/** Reads the roles definition file. */
export function loadRoleDefinition(): RoleDefinition {
  return readSeed('roles.json', RolesFile).roles;
}

/**
 * Makes each defined role exist with exactly its permissions; roles not in the definition are left
 * alone. All or nothing: one transaction.
 *
 * @returns one entry per role, saying what changed
 * @throws Error naming an unknown permission codename in the definition
 */
export async function fillGroups(knex: Knex, definition: RoleDefinition = loadRoleDefinition()): Promise<RoleChange[]> {
  return knex.transaction(async (trx) => {
    const all = await Permission.query(trx).select('id', 'codename');
    const changes: RoleChange[] = [];
    for (const [role, codenames] of Object.entries(definition)) {
      const wanted = codenames.includes('*') ? all.map((p) => p.codename) : [...new Set(codenames)];
      const resolved = await resolvePermissions(trx, wanted);
      if ('error' in resolved) throw new Error(`roles.json, role "${role}": ${resolved.error}`);

      const found = await Group.query(trx).where({ name: role }).select('id').first();
      const created = !found;
      const group = found ?? (await Group.query(trx).insert({ name: role }).returning('id'));
      const current = (await group.$relatedQuery('permissions', trx).select('auth_permission.codename')).map(
        (p) => p.codename,
      );
      const added = wanted.filter((c) => !current.includes(c)).sort();
      const removed = current.filter((c) => !wanted.includes(c)).sort();
      if (added.length || removed.length) await setPermissions(trx, group.id, resolved.ids);
      changes.push({ role, created, added, removed });
    }
    return changes;
  });
}

/**
 * The demo accounts `seeds/demo-users.json` defines, with the passwords it publishes.
 *
 * @returns each account's username and password, in the file's order
 * @throws Error naming the file and the first problem when it does not parse
 * @example
 * demoCredentials().map((u) => u.username); // ['admin', 'manager', 'viewer']
 */
export function demoCredentials(): Array<{ username: string; password: string }> {
  return readSeed('demo-users.json', DemoUsersFile).users.map(({ username, password }) => ({ username, password }));
}

/**
 * Creates the demo users that do not exist yet (after the roles, whose groups they join).
 *
 * @returns the accounts that were created, with their passwords, to print once
 */
export async function loadDemoData(knex: Knex): Promise<DemoUser[]> {
  const created: DemoUser[] = [];
  for (const user of readSeed('demo-users.json', DemoUsersFile).users) {
    if (await User.query(knex).where({ username: user.username }).select('id').first()) continue;
    await createUser(knex, SYSTEM_ACTOR, user);
    created.push({
      username: user.username,
      password: user.password,
      groups: user.groups ?? [],
      is_superuser: user.is_superuser ?? false,
    });
  }
  return created;
}

/**
 * Roles, then demo users: what `setup-project` and the first debug start load.
 *
 * @returns the role changes and the demo accounts created
 */
export async function setupProject(knex: Knex): Promise<{ roles: RoleChange[]; demoUsers: DemoUser[] }> {
  const roles = await fillGroups(knex);
  const demoUsers = await loadDemoData(knex);
  return { roles, demoUsers };
}
