/**
 * The audit log of the admin panel (Django's `django_admin_log`): every change made through the
 * panel is written in the same transaction as the change itself.
 *
 * @module
 */
import type { Knex } from 'knex';
import { AdminLogEntry } from '../db/models.js';

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
