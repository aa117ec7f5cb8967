/**
 * The authenticated user as every request sees it, loaded in one query: the user's row, its group
 * names, its effective permission codenames and whether the token's session is still live.
 *
 * @module
 */
import type { Knex } from 'knex';

/** The user behind a request: the public columns, group names and effective permissions. */
export interface AuthUser {
  readonly id: number;
  readonly username: string;
  readonly email: string;
  readonly first_name: string;
  readonly last_name: string;
  readonly is_active: boolean;
  readonly is_staff: boolean;
  readonly is_superuser: boolean;
  readonly date_joined: Date;
  readonly last_login: Date | null;
  /** Group names, sorted. */
  readonly groups: readonly string[];
  /** Effective permission codenames (direct, through groups, or all for a superuser), sorted. */
  readonly permissions: ReadonlySet<string>;
}

interface PrincipalRow extends Omit<AuthUser, 'permissions'> {
  permissions: string[];
  session_until: Date | null;
}

/** A user as {@link loadPrincipal} finds it, with the state of the session asked about. */
export interface Principal {
  readonly user: AuthUser;
  /** Whether the session has a token that is neither blacklisted nor expired (always true when not asked). */
  readonly sessionLive: boolean;
  /** When the session's last live token expires; `null` when it is not live or was not asked about. */
  readonly sessionLiveUntil: Date | null;
}

/**
 * Loads a user with its groups and effective permissions, and checks a session, in one round trip.
 *
 * @param userId - the `user_id` claim
 * @param sessionId - the `sid` claim to check, or `null` to skip the session check (blacklist off)
 * @returns the user and the state of the session, or `null` when no such user exists
 */
export async function loadPrincipal(knex: Knex, userId: number, sessionId: string | null): Promise<Principal | null> {
  // Prepared SQL, not objection: this runs on every request the principal cache does not answer,
  // and objection's graph fetch of the same answer (four statements) measured over ten times slower
  // on a server (docs/md/architecture.md, "Data access"). A named statement: the PostgreSQL server
  // parses and plans it once per connection, not per request (knex passes the option through to
  // pg; PGlite ignores it).
  const rows = await knex
    .raw<{ rows: PrincipalRow[] }>(PRINCIPAL_SQL, { userId, sessionId })
    .options({ name: 'auth_principal' });
  const row = rows.rows[0];
  if (!row) return null;
  const { session_until, permissions, ...user } = row;
  return {
    user: { ...user, permissions: new Set(permissions) },
    sessionLive: sessionId === null || session_until !== null,
    sessionLiveUntil: session_until,
  };
}

// Every lookup here is by primary key or an indexed foreign key; the session check is an index
// scan on outstanding tokens by session_id (none at all when :sessionId is null).
const PRINCIPAL_SQL = `
SELECT u.id, u.username, u.email, u.first_name, u.last_name, u.is_active, u.is_staff, u.is_superuser,
       u.date_joined, u.last_login,
       ARRAY(SELECT g.name FROM auth_group g JOIN auth_user_groups ug ON ug.group_id = g.id
             WHERE ug.user_id = u.id ORDER BY g.name) AS groups,
       CASE WHEN u.is_superuser THEN ARRAY(SELECT codename FROM auth_permission ORDER BY codename)
            ELSE ARRAY(SELECT p.codename FROM auth_permission p WHERE p.id IN (
                   SELECT permission_id FROM auth_user_user_permissions WHERE user_id = u.id
                   UNION
                   SELECT gp.permission_id FROM auth_group_permissions gp
                   JOIN auth_user_groups ug ON ug.group_id = gp.group_id WHERE ug.user_id = u.id)
                 ORDER BY p.codename)
       END AS permissions,
       (SELECT max(o.expires_at) FROM token_blacklist_outstandingtoken o
          WHERE o.session_id = CAST(:sessionId AS uuid) AND o.expires_at > now()
            AND NOT EXISTS (SELECT 1 FROM token_blacklist_blacklistedtoken b WHERE b.token_id = o.id)) AS session_until
FROM auth_user u
WHERE u.id = :userId`;
