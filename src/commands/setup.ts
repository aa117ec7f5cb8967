/**
 * `fill-groups` and `setup-project`: load roles, and roles plus demo users.
 *
 * @module
 */
import type { Knex } from 'knex';
import { migrateDatabase } from '../registry.js';
import { fillGroups, setupProject, type RoleChange } from '../setup/service.js';
import type { Output } from './output.js';

/** Prints what {@link fillGroups} changed, one line per role. */
function reportRoles(changes: readonly RoleChange[], out: Output): void {
  for (const c of changes) {
    const parts: string[] = [];
    if (c.created) parts.push('created');
    if (c.added.length) parts.push(`added ${c.added.join(', ')}`);
    if (c.removed.length) parts.push(`removed ${c.removed.join(', ')}`);
    out.line(`${c.role}: ${parts.length ? parts.join('; ') : 'unchanged'}`);
  }
}

/** `fill-groups`: syncs the roles of `seeds/roles.json` and prints what changed. */
export async function fillGroupsCommand(knex: Knex, out: Output): Promise<void> {
  reportRoles(await fillGroups(knex), out);
}

/**
 * `setup-project`: migrations, roles and demo users.
 *
 * @param options.debug - the configured `DEBUG`; outside debug `force` is required
 * @throws Error outside debug without `--force` (demo accounts have published passwords)
 */
export async function setupProjectCommand(
  knex: Knex,
  options: { debug: boolean; force: boolean },
  out: Output,
): Promise<void> {
  if (!options.debug && !options.force) {
    throw new Error(
      'setup-project loads demo accounts with published passwords; refusing with DEBUG off (pass --force to do it anyway)',
    );
  }
  const { migrations } = await migrateDatabase(knex);
  if (migrations.length) out.line(`Applied migrations: ${migrations.join(', ')}`);
  const { roles, demoUsers } = await setupProject(knex);
  reportRoles(roles, out);
  out.line(
    demoUsers.length
      ? `Demo users created: ${demoUsers.map((u) => u.username).join(', ')}`
      : 'Demo users already exist.',
  );
}
