/**
 * The permissions the user and group forms offer as checkboxes, read from `auth_permission` and
 * grouped by model.
 *
 * @module
 */
import type { Knex } from 'knex';

/** Permissions of one model, for the checkbox groups of the user and group forms. */
export interface PermissionGroup {
  model: string;
  permissions: Array<{ codename: string; name: string }>;
}

/** Every permission, grouped by model, models and codenames sorted. */
export async function permissionsByModel(knex: Knex): Promise<PermissionGroup[]> {
  const rows: Array<{ codename: string; name: string; model: string }> = await knex('auth_permission')
    .select('codename', 'name', 'model')
    .orderBy(['model', 'codename']);
  const groups = new Map<string, PermissionGroup>();
  for (const row of rows) {
    const group = groups.get(row.model) ?? { model: row.model, permissions: [] };
    group.permissions.push({ codename: row.codename, name: row.name });
    groups.set(row.model, group);
  }
  return [...groups.values()];
}
