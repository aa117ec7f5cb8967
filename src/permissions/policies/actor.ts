/**
 * Who acts, and the predicates every entity's policy is built from: Django's `has_perm`
 * semantics, superuser and staff status.
 *
 * @module
 */

/** Who acts: the acting user's flags and effective permissions (an `AuthUser` is one). */
export interface Actor {
  /** `null` for the {@link SYSTEM_ACTOR}. */
  readonly id: number | null;
  readonly is_active: boolean;
  readonly is_staff: boolean;
  readonly is_superuser: boolean;
  /** Effective codenames: direct and through groups. */
  readonly permissions: ReadonlySet<string>;
}

/** The CLI and seeds act with full rights. */
export const SYSTEM_ACTOR: Actor = Object.freeze({
  id: null,
  is_active: true,
  is_staff: true,
  is_superuser: true,
  permissions: new Set<string>(),
});

/**
 * Whether a user holds a permission: active, and a superuser or granted it directly or through a
 * group (Django's `user.has_perm`).
 *
 * @param user - the flags and effective codenames of the user
 * @param codename - e.g. `view_user`
 * @returns whether the permission is held
 * @example
 * hasPermission(user, 'change_user');
 */
export function hasPermission(
  user: Pick<Actor, 'is_active' | 'is_superuser' | 'permissions'>,
  codename: string,
): boolean {
  return user.is_active && (user.is_superuser || user.permissions.has(codename));
}

/**
 * Whether the actor is an active superuser, for whom every action is allowed.
 *
 * @param actor - who acts
 * @returns whether it is an active superuser
 * @example
 * isSuperuser(SYSTEM_ACTOR); // true
 */
export function isSuperuser(actor: Pick<Actor, 'is_active' | 'is_superuser'>): boolean {
  return actor.is_active && actor.is_superuser;
}

/**
 * Whether the actor holds every one of the codenames.
 *
 * @param actor - who acts
 * @param codenames - the permissions to check
 * @returns `true` for none at all
 * @example
 * holdsAll(actor, ['view_user', 'change_user']);
 */
export function holdsAll(actor: Actor, codenames: Iterable<string>): boolean {
  for (const codename of codenames) if (!hasPermission(actor, codename)) return false;
  return true;
}
