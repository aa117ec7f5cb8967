/**
 * The audit log of the admin panel (Django's `django_admin_log`): every change made through the
 * panel is written in the same transaction as the change itself.
 *
 * @module
 */
import type { Knex } from 'knex';
import { AdminLogEntry } from '../db/models.js';

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

/** One audit log entry as the panel lists it. */
export interface AuditEntry {
  id: number;
  actor_id: number | null;
  actor_username: string;
  action: string;
  target_type: string;
  target_id: string | null;
  target_repr: string;
  details: Record<string, unknown>;
  created_at: Date;
}

/** Filters of the audit log page. */
export interface AuditFilters {
  readonly actor?: string;
  readonly action?: string;
  readonly targetType?: string;
  readonly targetId?: string;
}

/**
 * Records an admin action.
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

/**
 * The actions the audit log holds, sorted, each once (the log page's filter choices).
 *
 * @param db - the knex instance
 * @returns action verbs such as `add_user`
 * @example
 * const actions = await auditActions(knex); // ['add_user', 'login', …]
 */
export async function auditActions(db: Knex): Promise<string[]> {
  return (await AdminLogEntry.query(db).distinct('action').orderBy('action')).map((entry) => entry.action);
}

/** The audit log, newest first, filtered. */
export function auditQuery(db: Knex, filters: AuditFilters = {}): Knex.QueryBuilder {
  const query = AdminLogEntry.query(db);
  if (filters.actor) query.where('actor_username', filters.actor);
  if (filters.action) query.where('action', filters.action);
  if (filters.targetType) query.where('target_type', filters.targetType);
  if (filters.targetId) query.where('target_id', filters.targetId);
  // A knex builder: the admin's pager counts and slices it.
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').toKnexQuery();
}
