/**
 * Turning a use-case's 400 into the errors a form shows beside its fields.
 *
 * @module
 */
import type { Knex } from 'knex';
import { ValidationFailedError, type FieldErrors } from '../errors.js';

/**
 * The field errors of a validation failure, to show on the re-rendered form: the admin's
 * translation of "validation failed".
 *
 * @param error - what the use-case threw
 * @returns the messages per field
 * @throws the error itself when it is not a validation failure (permission denied, not found and
 *   the rest go to the error page)
 * @example
 * try { await createUser(knex, actor, input); } catch (error) { errors = formErrors(error); }
 */
export function formErrors(error: unknown): FieldErrors {
  if (error instanceof ValidationFailedError) return error.errors;
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
