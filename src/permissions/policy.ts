/**
 * Who may do what, decided in one place: the rules of every entity (`policies/users.ts`,
 * `policies/groups.ts`, built from the predicates of `policies/actor.ts`)
 * joined into one table, with {@link can} to ask and {@link authorize} to assert. The API, the
 * admin and the CLI all decide through here; the route guard `requirePermission` (in `guard.ts`)
 * is built on {@link hasPermission}. docs/md/security.md holds the table of who may do what.
 *
 * @module
 */
import { permissionDenied } from '../errors.js';
import type { Actor } from './policies/actor.js';
import { groupRules } from './policies/groups.js';
import { userRules } from './policies/users.js';

export { SYSTEM_ACTOR, hasPermission, holdsAll, isSuperuser, type Actor } from './policies/actor.js';
export {
  NO_CHANGE,
  leavesOwnPrivileges,
  mayActOn,
  mayGrant,
  type UserChange,
  type UserSubject,
} from './policies/users.js';

/** Every action with its rule, one entry per action of every entity. */
export const RULES = { ...userRules, ...groupRules };

/** An action {@link can} and {@link authorize} decide. */
export type Action = keyof typeof RULES;

/** The subject each action is decided on, as its rule reads it. */
export type ActionSubjects = { [A in Action]: Parameters<(typeof RULES)[A]>[1] };

/**
 * Whether the actor may perform the action on the subject.
 *
 * @param actor - who acts
 * @param action - what it would do
 * @param subject - what the action's rule reads (the target user, the change, the file…)
 * @returns whether the policy allows it
 * @example
 * can(actor, 'delete_user', { target }); // false when target is a superuser and actor is not
 */
export function can<A extends Action>(actor: Actor, action: A, subject: ActionSubjects[A]): boolean {
  const rule = RULES[action] as ((actor: Actor, subject: ActionSubjects[A]) => boolean) | undefined;
  if (!rule) throw new Error(`can(): unknown action ${String(action)}`);
  return rule(actor, subject);
}

/**
 * Asserts that the actor may perform the action on the subject: returns only when
 * {@link can} allows it, so code after the call runs authorized.
 *
 * @param actor - who acts
 * @param action - what it would do
 * @param subject - what the action's rule reads
 * @throws {@link "errors".PermissionDeniedError} with DRF's wording when it may not
 * @example
 * authorize(actor, 'logout_user', { target });
 */
export function authorize<A extends Action>(
  actor: Actor,
  action: A,
  subject: ActionSubjects[A],
): asserts subject is ActionSubjects[A] {
  if (!can(actor, action, subject)) throw permissionDenied();
}
