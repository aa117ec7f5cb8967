/**
 * What leaves the server about a user: the listed fields, never the password hash.
 *
 * @module
 */
import { z } from 'zod';
import type { AuthUser } from '../auth/principal.js';

/** A user's public columns with its group names, as list and detail queries select them. */
export interface UserRow {
  id: number;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  is_active: boolean;
  is_staff: boolean;
  is_superuser: boolean;
  date_joined: Date;
  last_login: Date | null;
  groups: readonly string[];
}

const names = z.string().meta({ description: 'Empty when not given.' });

/** A user as the API answers it: lists, detail, create and update. */
export const UserJson = z.strictObject({
  id: z.number().int(),
  username: z.string(),
  email: names,
  first_name: names,
  last_name: names,
  is_active: z.boolean(),
  is_staff: z.boolean(),
  is_superuser: z.boolean(),
  date_joined: z.iso.datetime(),
  last_login: z.iso.datetime().nullable(),
  groups: z.array(z.string()).meta({ description: 'Group names.' }),
});
/** User JSON as the API answers it. */
export type UserJson = z.infer<typeof UserJson>;

/** The signed-in user (`/api/users/me/`): a user with the codenames of every permission it holds. */
export const MeJson = UserJson.extend({
  permissions: z
    .array(z.string())
    .meta({ description: 'Effective permission codenames (direct and through groups), sorted.' }),
});

/**
 * Presents a user; `/me/` adds the effective permission codenames.
 *
 * @param options.permissions - the codenames to include (only `/me/` passes them)
 */
export function presentUser(
  user: UserRow,
  options: { permissions?: Iterable<string> } = {},
): UserJson & { permissions?: string[] } {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    first_name: user.first_name,
    last_name: user.last_name,
    is_active: user.is_active,
    is_staff: user.is_staff,
    is_superuser: user.is_superuser,
    date_joined: new Date(user.date_joined).toISOString(),
    last_login: user.last_login ? new Date(user.last_login).toISOString() : null,
    groups: [...user.groups],
    ...(options.permissions ? { permissions: [...options.permissions].sort() } : {}),
  };
}

const meBodies = new WeakMap<AuthUser, string>();

/**
 * The `/me/` answer of a signed-in user as JSON text, presented and serialized once per user
 * object: the principal cache hands out the same immutable object to every request of the user
 * until the user changes, so only the first of them pays for it.
 *
 * @param user - the request's user ({@link "auth/authenticate".currentUser})
 * @returns the JSON of {@link MeJson}
 */
export function meBody(user: AuthUser): string {
  let body = meBodies.get(user);
  if (body === undefined) {
    body = JSON.stringify(presentUser(user, { permissions: user.permissions }));
    meBodies.set(user, body);
  }
  return body;
}
