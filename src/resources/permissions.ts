/**
 * The permissions of declared resources, kept in step with the declarations as Django's
 * `post_migrate` signal keeps `auth_permission` in step with the models: the four model
 * permissions of each resource (`add_`, `change_`, `delete_`, `view_<model>`, named "Can add
 * project"…) are created when missing and renamed when their model's name changed.
 *
 * @module
 */
import type { Knex } from 'knex';
import type { Resource } from './resource.js';

/** One permission row a resource needs. */
export interface PermissionRow {
  readonly codename: string;
  readonly name: string;
  readonly model: string;
}

/**
 * The four permission rows of a resource, as Django names them.
 *
 * @example
 * permissionRowsOf(projects)[0]; // { codename: 'add_project', name: 'Can add project', model: 'project' }
 */
export function permissionRowsOf(resource: Pick<Resource, 'model' | 'verboseName'>): PermissionRow[] {
  return (['add', 'change', 'delete', 'view'] as const).map((verb) => ({
    codename: `${verb}_${resource.model}`,
    name: `Can ${verb} ${resource.verboseName}`,
    model: resource.model,
  }));
}

/**
 * Creates the permissions of the resources that are missing, and renames those whose name
 * changed; never deletes one (a group may hold it, as Django leaves stale permissions to
 * `remove_stale_contenttypes`).
 *
 * @param db - the database, or the migration's transaction
 * @returns the codenames created
 */
export async function syncResourcePermissions(
  db: Knex | Knex.Transaction,
  resources: readonly Pick<Resource, 'model' | 'verboseName'>[],
): Promise<string[]> {
  const rows = resources.flatMap(permissionRowsOf);
  if (rows.length === 0) return [];
  const existing = new Map(
    (
      await db('auth_permission')
        .whereIn(
          'codename',
          rows.map((row) => row.codename),
        )
        .select<{ codename: string; name: string }[]>('codename', 'name')
    ).map((row) => [row.codename, row.name]),
  );
  const missing = rows.filter((row) => !existing.has(row.codename));
  if (missing.length) await db('auth_permission').insert(missing).onConflict('codename').ignore();
  for (const row of rows) {
    const name = existing.get(row.codename);
    if (name !== undefined && name !== row.name)
      await db('auth_permission').where({ codename: row.codename }).update({ name: row.name });
  }
  return missing.map((row) => row.codename);
}
