/**
 * `create-superuser`: a staff superuser, without prompts when every option is given.
 *
 * @module
 */
import type { Knex } from 'knex';
import { createUser, SYSTEM_ACTOR } from '../users/service.js';
import type { Output } from './output.js';

/** The account to create. */
export interface SuperuserInput {
  readonly username: string;
  readonly email: string;
  readonly password: string;
}

/**
 * Creates a superuser through the same use-case as `POST /api/users/`, so the same validation
 * applies (username rules, uniqueness, Django's password validators).
 *
 * @throws {@link "errors".ValidationFailedError} with the field errors; the CLI prints them in one
 *   line ({@link "commands/exit-codes".cliFailure})
 */
export async function createSuperuserCommand(knex: Knex, input: SuperuserInput, out: Output): Promise<void> {
  const user = await createUser(knex, SYSTEM_ACTOR, { ...input, is_staff: true, is_superuser: true });
  out.line(`Superuser "${user.username}" created (id ${user.id}).`);
}
