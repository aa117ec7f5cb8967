/**
 * Change notices for the caches of users: triggers that `NOTIFY backoffice_auth` whenever a write
 * can change what a request authenticates as, or a list of users shows — a user's row (a new one
 * too), groups or permissions, a group, its permissions, the permission list, a session's tokens.
 * Every app instance listens and evicts what changed, whichever process (an instance, the CLI,
 * `psql`) made the write.
 *
 * Payloads: `u:<user id>` (one user), `u:*` (every user), `s:<session uuid>` (one session), `*`
 * (everything: a TRUNCATE).
 */
import type { Knex } from 'knex';

/** The channel the app listens on; `src/db/notice-protocol.ts` names it and reads the payloads. */
const CHANNEL = 'backoffice_auth';

const ROW_TRIGGERS: Record<string, string> = {
  auth_user: 'INSERT OR UPDATE OR DELETE',
  auth_user_groups: 'INSERT OR UPDATE OR DELETE',
  auth_user_user_permissions: 'INSERT OR UPDATE OR DELETE',
  auth_group: 'UPDATE OR DELETE',
  auth_group_permissions: 'INSERT OR UPDATE OR DELETE',
  auth_permission: 'INSERT OR UPDATE OR DELETE',
  token_blacklist_outstandingtoken: 'UPDATE OR DELETE',
  token_blacklist_blacklistedtoken: 'INSERT OR UPDATE',
};

export async function up(knex: Knex): Promise<void> {
  // A new outstanding token or a lifted blacklist entry only makes a session live: the cache holds
  // live sessions only, so neither can make it wrong. An expired token's deletion (the nightly
  // flush) changes nothing either.
  await knex.raw(`
CREATE FUNCTION backoffice_auth_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    PERFORM pg_notify('${CHANNEL}', '*');
    RETURN NULL;
  END IF;
  CASE TG_TABLE_NAME
    WHEN 'auth_user' THEN
      PERFORM pg_notify('${CHANNEL}', 'u:' || CASE WHEN TG_OP = 'INSERT' THEN NEW.id ELSE OLD.id END);
    WHEN 'auth_user_groups', 'auth_user_user_permissions' THEN
      IF TG_OP <> 'INSERT' THEN PERFORM pg_notify('${CHANNEL}', 'u:' || OLD.user_id); END IF;
      IF TG_OP <> 'DELETE' THEN PERFORM pg_notify('${CHANNEL}', 'u:' || NEW.user_id); END IF;
    WHEN 'auth_group', 'auth_group_permissions', 'auth_permission' THEN
      PERFORM pg_notify('${CHANNEL}', 'u:*');
    WHEN 'token_blacklist_outstandingtoken' THEN
      IF OLD.expires_at > now() THEN PERFORM pg_notify('${CHANNEL}', 's:' || OLD.session_id); END IF;
    WHEN 'token_blacklist_blacklistedtoken' THEN
      -- A rotation blacklists the old token in the statement that records its successor: the
      -- session then stays live at least as long as a cache believes, and needs no notice. Only a
      -- successor written by this same transaction counts: another transaction's could be
      -- blacklisted at the same moment without either seeing it (write skew).
      PERFORM pg_notify('${CHANNEL}', 's:' || o.session_id)
        FROM token_blacklist_outstandingtoken o
       WHERE o.id = NEW.token_id
         AND NOT EXISTS (
           SELECT 1 FROM token_blacklist_outstandingtoken successor
            WHERE successor.session_id = o.session_id
              AND successor.xmin = pg_current_xact_id()::xid
              AND successor.expires_at >= o.expires_at
              AND NOT EXISTS (SELECT 1 FROM token_blacklist_blacklistedtoken b WHERE b.token_id = successor.id));
  END CASE;
  RETURN NULL;
END
$$`);
  for (const [table, events] of Object.entries(ROW_TRIGGERS)) {
    await knex.raw(
      `CREATE TRIGGER backoffice_auth_notify AFTER ${events} ON ?? FOR EACH ROW EXECUTE FUNCTION backoffice_auth_notify()`,
      [table],
    );
    await knex.raw(
      `CREATE TRIGGER backoffice_auth_notify_truncate AFTER TRUNCATE ON ?? FOR EACH STATEMENT EXECUTE FUNCTION backoffice_auth_notify()`,
      [table],
    );
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of Object.keys(ROW_TRIGGERS)) {
    await knex.raw('DROP TRIGGER backoffice_auth_notify ON ??', [table]);
    await knex.raw('DROP TRIGGER backoffice_auth_notify_truncate ON ??', [table]);
  }
  await knex.raw('DROP FUNCTION backoffice_auth_notify()');
}
