/**
 * Who may do what: Django's permission semantics and the delegation rules on top of them, as pure
 * functions, with the route guard built on them. The API, the admin and the CLI all decide through
 * {@link authorize}; docs/md/security.md holds the table of who may do what.
 *
 * @module
 */
import type { AuthUser } from '../auth/principal.js';
import { permissionDenied } from '../errors.js';

/** Who acts: the acting user's flags and effective permissions (an {@link AuthUser} is one). */
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
export const SYSTEM_ACTOR: Actor = Object.freeze({ id: null, is_active: true, is_staff: true, is_superuser: true, permissions: new Set<string>() });

/** A user acted on, as it is before the change. */
export interface UserSubject {
  readonly id: number;
  readonly is_superuser: boolean;
  /** Its effective codenames (every one for a superuser). */
  readonly permissions: ReadonlySet<string>;
}

/** What a change to a user gives it or alters. */
export interface UserChange {
  /**
   * Codenames the change newly gives: direct permissions added, and the permissions of the
   * groups it joins.
   */
  readonly grants: ReadonlySet<string>;
  /** The change sets `is_superuser` (it was not). */
  readonly makesSuperuser: boolean;
  /** The change sets `is_staff` (it was not). */
  readonly makesStaff: boolean;
  /** The change alters groups, direct permissions, `is_staff` or `is_superuser`, in either direction. */
  readonly altersPrivileges: boolean;
}

/** The subject each action is decided on. */
export interface ActionSubjects {
  /** Creating a user with the given groups, permissions and flags. */
  add_user: { readonly change: UserChange };
  /** Any change of a user: fields, flags, groups, direct permissions, password, deactivation. */
  change_user: { readonly target: UserSubject; readonly change: UserChange };
  delete_user: { readonly target: UserSubject };
  /** Blacklisting a user's tokens: logout-everywhere, the admin's "blacklist tokens" action. */
  logout_user: { readonly target: UserSubject };
  /** Creating a group, or changing one: `grants` are the codenames added to it. */
  change_group: { readonly grants: ReadonlySet<string> };
}

/** An action {@link authorize} decides. */
export type Action = keyof ActionSubjects;

/** A change that gives and alters nothing. */
export const NO_CHANGE: UserChange = Object.freeze({ grants: new Set<string>(), makesSuperuser: false, makesStaff: false, altersPrivileges: false });

/**
 * Whether a user holds a permission: active, and a superuser or granted it directly or through a
 * group (Django's `user.has_perm`).
 *
 * @param codename - e.g. `view_user`
 * @example
 * hasPermission(user, 'change_user');
 */
export function hasPermission(user: Pick<AuthUser, 'is_active' | 'is_superuser' | 'permissions'>, codename: string): boolean {
  return user.is_active && (user.is_superuser || user.permissions.has(codename));
}

/** Whether the actor is an active superuser, for whom every action is allowed. */
export function isSuperuser(actor: Actor): boolean {
  return actor.is_active && actor.is_superuser;
}

/** Whether the actor holds every one of the codenames. */
export function holdsAll(actor: Actor, codenames: Iterable<string>): boolean {
  for (const codename of codenames) if (!hasPermission(actor, codename)) return false;
  return true;
}

/**
 * Whether the actor may act on the user at all: a superuser on anyone; anyone else only on a user
 * who is not a superuser and holds no permission the actor lacks (setting the password of a user
 * with more rights would be a way to get them).
 */
export function mayActOn(actor: Actor, target: UserSubject): boolean {
  return isSuperuser(actor) || (actor.is_active && !target.is_superuser && holdsAll(actor, target.permissions));
}

/**
 * Whether the actor may give what the change gives: a superuser anything; anyone else only
 * permissions it holds itself, staff status only if it is staff, superuser status never.
 */
export function mayGrant(actor: Actor, change: UserChange): boolean {
  if (isSuperuser(actor)) return true;
  return actor.is_active && !change.makesSuperuser && (!change.makesStaff || actor.is_staff) && holdsAll(actor, change.grants);
}

/** Whether the change leaves the actor's own privileges alone (a superuser may change its own). */
export function leavesOwnPrivileges(actor: Actor, target: UserSubject, change: UserChange): boolean {
  return isSuperuser(actor) || target.id !== actor.id || !change.altersPrivileges;
}

/**
 * Whether the actor may perform the action on the subject. The route (or admin page) has already
 * checked the model permission (`change_user`…); this decides what delegation allows on top.
 *
 * @example
 * can(actor, 'delete_user', { target }); // false when target is a superuser and actor is not
 */
export function can<A extends Action>(actor: Actor, action: A, subject: ActionSubjects[A]): boolean {
  switch (action) {
    case 'add_user':
      return mayGrant(actor, (subject as ActionSubjects['add_user']).change);
    case 'change_user': {
      const { target, change } = subject as ActionSubjects['change_user'];
      return mayActOn(actor, target) && mayGrant(actor, change) && leavesOwnPrivileges(actor, target, change);
    }
    case 'delete_user':
    case 'logout_user':
      return mayActOn(actor, (subject as ActionSubjects['delete_user']).target);
    case 'change_group':
      return isSuperuser(actor) || (actor.is_active && holdsAll(actor, (subject as ActionSubjects['change_group']).grants));
    default:
      throw new Error(`can(): unknown action ${String(action)}`);
  }
}

/**
 * Asserts that the actor may perform the action on the subject.
 *
 * @throws {@link ApiError} 403 with DRF's body when it may not
 * @example
 * authorize(actor, 'logout_user', { target });
 */
export function authorize<A extends Action>(actor: Actor, action: A, subject: ActionSubjects[A]): void {
  if (!can(actor, action, subject)) throw permissionDenied();
}
