/**
 * Turning a use-case's 400 into the errors a form shows beside its fields.
 *
 * @module
 */
import type { Knex } from 'knex';
import { ApiError, type FieldErrors } from '../http/errors.js';

/**
 * The field errors of a validation failure, to show on the re-rendered form.
 *
 * @throws the error itself when it is not a 400 (403, 404 and the rest go to the error page)
 */
export function formErrors(error: unknown): FieldErrors {
  if (error instanceof ApiError && error.status === 400) return error.body as FieldErrors;
  throw error;
}

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
