/**
 * Who may create, change, delete or log out a user: the delegation rules on top of Django's model
 * permissions, as pure predicates.
 *
 * @module
 */
import { holdsAll, isSuperuser, type Actor } from './actor.js';

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

/** A change that gives and alters nothing. */
export const NO_CHANGE: UserChange = Object.freeze({
  grants: new Set<string>(),
  makesSuperuser: false,
  makesStaff: false,
  altersPrivileges: false,
});

/**
 * Whether the actor may act on the user at all: a superuser on anyone; anyone else only on a user
 * who is not a superuser and holds no permission the actor lacks (setting the password of a user
 * with more rights would be a way to get them).
 *
 * @param actor - who acts
 * @param target - the user acted on
 * @returns whether the actor may act on it
 * @example
 * mayActOn(manager, root); // false
 */
export function mayActOn(actor: Actor, target: UserSubject): boolean {
  return isSuperuser(actor) || (actor.is_active && !target.is_superuser && holdsAll(actor, target.permissions));
}

/**
 * Whether the actor may give what the change gives: a superuser anything; anyone else only
 * permissions it holds itself, staff status only if it is staff, superuser status never.
 *
 * @param actor - who acts
 * @param change - what the change gives
 * @returns whether the actor may give it
 * @example
 * mayGrant(manager, { ...NO_CHANGE, makesSuperuser: true }); // false
 */
export function mayGrant(actor: Actor, change: UserChange): boolean {
  if (isSuperuser(actor)) return true;
  return (
    actor.is_active &&
    !change.makesSuperuser &&
    (!change.makesStaff || actor.is_staff) &&
    holdsAll(actor, change.grants)
  );
}

/**
 * Whether the change leaves the actor's own privileges alone (a superuser may change its own).
 *
 * @param actor - who acts
 * @param target - the user changed
 * @param change - what the change alters
 * @returns whether the change is allowed on this count
 * @example
 * leavesOwnPrivileges(manager, self, { ...NO_CHANGE, altersPrivileges: true }); // false
 */
export function leavesOwnPrivileges(actor: Actor, target: UserSubject, change: UserChange): boolean {
  return isSuperuser(actor) || target.id !== actor.id || !change.altersPrivileges;
}

/**
 * The user actions and their rules. The route (or admin page) has already checked the model
 * permission (`change_user`…); these decide what delegation allows on top.
 */
export const userRules = {
  /** Creating a user with the given groups, permissions and flags. */
  add_user: (actor: Actor, { change }: { readonly change: UserChange }) => mayGrant(actor, change),
  /** Any change of a user: fields, flags, groups, direct permissions, password, deactivation. */
  change_user: (actor: Actor, { target, change }: { readonly target: UserSubject; readonly change: UserChange }) =>
    mayActOn(actor, target) && mayGrant(actor, change) && leavesOwnPrivileges(actor, target, change),
  /** Deleting a user. */
  delete_user: (actor: Actor, { target }: { readonly target: UserSubject }) => mayActOn(actor, target),
  /** Blacklisting a user's tokens: logout-everywhere, the admin's "blacklist tokens" action. */
  logout_user: (actor: Actor, { target }: { readonly target: UserSubject }) => mayActOn(actor, target),
  /** Sending a user a password reset link (the admin's button): whoever may act on the user. */
  send_password_reset: (actor: Actor, { target }: { readonly target: UserSubject }) => mayActOn(actor, target),
  /** Using the admin panel at all: staff status (Django admin's `is_staff`). */
  use_admin: (actor: Actor, _subject: Record<string, never>) => actor.is_staff,
};
