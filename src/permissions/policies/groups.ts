/**
 * Who may create or change a group, as a pure predicate.
 *
 * @module
 */
import { holdsAll, isSuperuser, type Actor } from './actor.js';

/** The group actions and their rules. */
export const groupRules = {
  /**
   * Creating a group, or changing one: `grants` are the codenames added to it, which the actor
   * must hold itself (a superuser anything).
   */
  change_group: (actor: Actor, { grants }: { readonly grants: ReadonlySet<string> }) =>
    isSuperuser(actor) || (actor.is_active && holdsAll(actor, grants)),
};
