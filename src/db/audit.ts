/**
 * Writing the audit log (Django's `django_admin_log`): the one place an entry is made, whether the
 * admin panel or a service (a password reset by email) acted. Reading it for the panel is
 * `src/admin/audit.ts`.
 *
 * @module
 */
import type { Knex } from 'knex';
import { AdminLogEntry } from './models.js';

/** Who acted: the staff user's id and username (kept even if the user is deleted later). */
export interface AuditActor {
  readonly id: number;
  readonly username: string;
}

/** What an entry is about. */
export interface AuditTarget {
  /** The model, e.g. `user`, `group`, `outstandingtoken`, `session`. */
  readonly type: string;
  readonly id?: number | string | null;
  /** A human-readable name of the object at the time of the action. */
  readonly repr: string;
}

/**
 * Records an action in the audit log, in the transaction of the change it records: the admin
 * panel's changes and the API's own (a password reset by email).
 *
 * @param db - the transaction of the change being recorded
 * @param action - a verb such as `add_user`, `change_user`, `blacklist_tokens`, `login`
 * @param details - what changed; never secrets (no passwords, no tokens)
 * @example
 * await recordAction(trx, actor, 'logout_everywhere', { type: 'user', id: 7, repr: 'alice' }, { blacklisted: 3 });
 */
export async function recordAction(
  db: Knex | Knex.Transaction,
  actor: AuditActor,
  action: string,
  target: AuditTarget,
  details: Record<string, unknown> = {},
): Promise<void> {
  await AdminLogEntry.query(db).insert({
    actor_id: actor.id,
    actor_username: actor.username,
    action,
    target_type: target.type,
    target_id: target.id === undefined || target.id === null ? null : String(target.id),
    target_repr: target.repr.slice(0, 200),
    details,
  });
}
