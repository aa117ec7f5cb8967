/**
 * What leaves the server about a user: the listed fields, never the password hash.
 *
 * @module
 */

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

/** User JSON as the API answers it. */
export interface UserJson {
  id: number;
  username: string;
  email: string;
  first_name: string;
  last_name: string;
  is_active: boolean;
  is_staff: boolean;
  is_superuser: boolean;
  date_joined: string;
  last_login: string | null;
  groups: string[];
  permissions?: string[];
}

/**
 * Presents a user; `/me/` adds the effective permission codenames.
 *
 * @param options.permissions - the codenames to include (only `/me/` passes them)
 */
export function presentUser(user: UserRow, options: { permissions?: Iterable<string> } = {}): UserJson {
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
