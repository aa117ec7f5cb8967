/**
 * `change-password`: Django's `changepassword` — sets a user's password from the command line, the
 * way out when a production server refuses to start because an account still has a published
 * password (the server is not up to offer its admin).
 *
 * @module
 */
import type { Knex } from 'knex';
import { User } from '../db/models.js';
import { NotFoundError } from '../errors.js';
import { SYSTEM_ACTOR, updateUser } from '../users/service.js';
import type { Output } from './output.js';

/** The account and its new password. */
export interface PasswordInput {
  readonly username: string;
  readonly password: string;
}

/**
 * Sets a user's password through the same use-case as an admin's `PATCH /api/users/{id}/`: Django's
 * validators apply, and every session of the user is logged out.
 *
 * @throws {@link NotFoundError} naming the username when no user has it
 * @throws {@link "errors".ValidationFailedError} for a password the validators refuse
 */
export async function changePasswordCommand(knex: Knex, input: PasswordInput, out: Output): Promise<void> {
  const user = await User.query(knex).where('username', input.username).select('id', 'username').first();
  if (!user) throw new NotFoundError(`user '${input.username}' does not exist`);
  await updateUser(knex, SYSTEM_ACTOR, user.id, { password: input.password });
  out.line(`Password changed successfully for user '${user.username}'.`);
}
