/**
 * The refresh rotation's statement, and the batcher that sends concurrent rotations as one
 * statement (an application-level group commit: one round trip, one plan, one commit and one WAL
 * flush for every refresh that arrived while the previous statements ran).
 *
 * @module
 */
import type { Knex } from 'knex';
import { BlacklistedToken, OutstandingToken } from '../db/models.js';
import { tokenRotationBatchSize } from '../metrics.js';

/** One refresh's part of a rotation: the refresh token spent and, when rotating, its successor. */
export interface Rotation {
  /** `jti` of the refresh token spent. */
  readonly jti: string;
  readonly userId: number;
  /** The successor's `jti` and token (`''` without rotation). */
  readonly newJti: string;
  readonly newToken: string;
  /** The successor's `iat` and `exp`. */
  readonly createdAt: Date;
  readonly expiresAt: Date;
}

/** The rules every rotation of one app follows (from its JWT settings). */
export interface RotationRules {
  /** Refuse a token that is not recorded or is blacklisted (`BLACKLIST_ENABLED`). */
  readonly checkBlacklist: boolean;
  /** Blacklist the spent token (blacklist enabled, rotating, `BLACKLIST_AFTER_ROTATION`). */
  readonly blacklistOld: boolean;
  /** Record the successor (`ROTATE_REFRESH_TOKENS`). */
  readonly issue: boolean;
  /** `SESSION_MAX_LIFETIME` in seconds: a session older than this no longer rotates. */
  readonly sessionMaxLifetime: number;
}

/** What the statement found and did for one rotation. */
export interface RotationOutcome {
  /** The spent token is recorded as outstanding. */
  readonly recorded: boolean;
  /** It was blacklisted already when the statement began. */
  readonly wasBlacklisted: boolean;
  /** Its user exists and is active. */
  readonly active: boolean;
  /** The successor was recorded (false: nothing written, or a concurrent use of the token won). */
  readonly issued: boolean;
  /** The token's session is older than `SESSION_MAX_LIFETIME` (nothing was written). */
  readonly sessionEnded: boolean;
  /**
   * When the token's session ends (whole seconds since the epoch), or `null` when the token is not
   * recorded. The successor's row expires then at the latest; its token must not outlive it either.
   */
  readonly sessionEndsAt: number | null;
}

/**
 * The separator of the lists the statement's list bindings hold: the ASCII unit separator, which
 * no JWT (base64url and dots), no `jti` this app or simplejwt issues (hex) and no ISO date contains.
 */
const SEPARATOR = '\u001f';

const OUTSTANDING = OutstandingToken.tableName;
const BLACKLISTED = BlacklistedToken.tableName;

/**
 * The one statement of a batch of refreshes (check and rotate), with knex's named bindings: the
 * lists `jti` (tokens spent), `userId`, `newJti`, `newToken`, `createdAt`, `expiresAt` (the
 * successors), their items joined with U+001F, and the rules `checkBlacklist`, `blacklistOld`,
 * `issue`, `sessionMaxLifetime` of {@link RotationRules}. It answers one row per item, in order:
 * `recorded`, `was_blacklisted`, `active`, `issued`, `session_ended`, `session_ends_at`
 * ({@link RotationOutcome}).
 *
 * A successor joins the spent token's session (its row's `session_id`, which a token's `sid` always
 * names) and keeps the session's start; its row expires at the session's end at the latest (whole
 * seconds, as a token's `exp`). Nothing is written for an item unless its token is usable, its user
 * active and its session younger than `sessionMaxLifetime`; of two uses of one token, in one batch
 * or in two concurrent ones, only the first blacklists it and issues a successor (the blacklist's
 * unique key decides between statements; `copy` within one). The blacklist rows are inserted in the
 * order of their ids, so concurrent batches lock in one order and cannot deadlock. A single value
 * per list is a batch of one: the benchmark's database ceiling replays the statement so with
 * pgbench (`bench/database-ceiling.ts`).
 */
export const ROTATION_SQL = `
WITH r AS (
  SELECT r.*, row_number() OVER (PARTITION BY r.jti ORDER BY r.n) AS copy
  FROM unnest(
    string_to_array(:jti, chr(31)),
    CAST(string_to_array(:userId, chr(31)) AS integer[]),
    string_to_array(:newJti, chr(31)),
    string_to_array(:newToken, chr(31)),
    CAST(string_to_array(:createdAt, chr(31)) AS timestamptz[]),
    CAST(string_to_array(:expiresAt, chr(31)) AS timestamptz[])
  ) WITH ORDINALITY AS r(jti, user_id, new_jti, new_token, created_at, expires_at, n)
), old AS (
  SELECT r.n, o.id, o.session_id, o.session_started_at,
         date_trunc('second', o.session_started_at + CAST(:sessionMaxLifetime AS float8) * interval '1 second') AS session_ends_at,
         EXISTS (SELECT 1 FROM ${BLACKLISTED} b WHERE b.token_id = o.id) AS blacklisted
  FROM r JOIN ${OUTSTANDING} o ON o.jti = r.jti
), usable AS (
  SELECT r.n FROM r JOIN auth_user u ON u.id = r.user_id AND u.is_active
  WHERE (r.copy = 1 OR NOT :blacklistOld)
    AND (NOT :checkBlacklist OR EXISTS (SELECT 1 FROM old WHERE old.n = r.n AND NOT old.blacklisted))
    AND NOT EXISTS (SELECT 1 FROM old WHERE old.n = r.n AND old.session_ends_at <= now())
), blacklisted AS (
  INSERT INTO ${BLACKLISTED} (token_id, blacklisted_at)
  SELECT old.id, now() FROM old JOIN usable USING (n) WHERE :blacklistOld
  ORDER BY old.id
  ON CONFLICT (token_id) DO NOTHING
  RETURNING token_id
), issued AS (
  INSERT INTO ${OUTSTANDING} (user_id, jti, token, created_at, expires_at, session_id, session_started_at)
  SELECT r.user_id, r.new_jti, r.new_token, r.created_at, least(r.expires_at, old.session_ends_at), old.session_id,
         old.session_started_at
  FROM r JOIN old USING (n) JOIN usable USING (n)
  WHERE :issue AND (NOT :blacklistOld OR EXISTS (SELECT 1 FROM blacklisted WHERE blacklisted.token_id = old.id))
  RETURNING jti
)
SELECT old.id IS NOT NULL AS recorded,
       coalesce(old.blacklisted, false) AS was_blacklisted,
       EXISTS (SELECT 1 FROM auth_user u WHERE u.id = r.user_id AND u.is_active) AS active,
       EXISTS (SELECT 1 FROM issued WHERE issued.jti = r.new_jti) AS issued,
       coalesce(old.session_ends_at <= now(), false) AS session_ended,
       CAST(extract(epoch FROM old.session_ends_at) AS float8) AS session_ends_at
FROM r LEFT JOIN old USING (n)
ORDER BY r.n`;

/** The most rotations one statement carries. */
const MAX_BATCH = 64;

/**
 * The most rotation statements one process has running at once; the refreshes that arrive
 * meanwhile wait for the next statement and share it. Two keep the database busy while a
 * statement's answer travels back, and leave the pool's other connections to everything else.
 */
const MAX_IN_FLIGHT = 2;

interface Waiting {
  readonly rotation: Rotation;
  readonly resolve: (outcome: RotationOutcome) => void;
  readonly reject: (error: unknown) => void;
}

/** Rotations of one database under one set of rules, sent as few statements as the load allows. */
class RotationBatcher {
  readonly #knex: Knex;
  readonly #rules: RotationRules;
  #waiting: Waiting[] = [];
  #inFlight = 0;

  constructor(knex: Knex, rules: RotationRules) {
    this.#knex = knex;
    this.#rules = rules;
  }

  rotate(rotation: Rotation): Promise<RotationOutcome> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ rotation, resolve, reject });
      if (this.#inFlight < MAX_IN_FLIGHT) this.#send();
    });
  }

  #send(): void {
    const batch = this.#waiting.splice(0, MAX_BATCH);
    this.#inFlight += 1;
    tokenRotationBatchSize.observe(batch.length);
    this.#run(batch).finally(() => {
      this.#inFlight -= 1;
      if (this.#waiting.length > 0) this.#send();
    });
  }

  async #run(batch: Waiting[]): Promise<void> {
    try {
      const outcomes = await runRotations(
        this.#knex,
        this.#rules,
        batch.map((w) => w.rotation),
      );
      batch.forEach((w, i) => w.resolve(outcomes[i]!));
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      // The statement wrote nothing; one item's failure (its user deleted meanwhile) must not fail
      // the others, so each is tried alone and only the culprit's request sees the error.
      await Promise.all(batch.map((w) => this.#run([w])));
    }
  }
}

const batchers = new WeakMap<Knex, Map<string, RotationBatcher>>();

/**
 * Checks and rotates one refresh token, in a statement shared with the refreshes of the same
 * process that arrive while earlier rotation statements run (none waits for a timer: a lone
 * refresh is sent at once).
 */
export function rotate(knex: Knex, rules: RotationRules, rotation: Rotation): Promise<RotationOutcome> {
  let byRules = batchers.get(knex);
  if (!byRules) batchers.set(knex, (byRules = new Map()));
  const key = `${rules.checkBlacklist}${rules.blacklistOld}${rules.issue}${rules.sessionMaxLifetime}`;
  let batcher = byRules.get(key);
  if (!batcher) byRules.set(key, (batcher = new RotationBatcher(knex, rules)));
  return batcher.rotate(rotation);
}

interface RotationRow {
  recorded: boolean;
  was_blacklisted: boolean;
  active: boolean;
  issued: boolean;
  session_ended: boolean;
  session_ends_at: number | null;
}

/** Runs {@link ROTATION_SQL} for `rotations`, as one named statement (planned once per connection). */
async function runRotations(knex: Knex, rules: RotationRules, rotations: Rotation[]): Promise<RotationOutcome[]> {
  const list = (value: (r: Rotation) => string) => rotations.map(value).join(SEPARATOR);
  const bindings = {
    jti: list((r) => r.jti),
    userId: list((r) => String(r.userId)),
    newJti: list((r) => r.newJti),
    newToken: list((r) => r.newToken),
    createdAt: list((r) => r.createdAt.toISOString()),
    expiresAt: list((r) => r.expiresAt.toISOString()),
    ...rules,
  };
  const { rows } = await knex.raw<{ rows: RotationRow[] }>(ROTATION_SQL, bindings).options({ name: 'auth_rotate' });
  return rows.map((row) => ({
    recorded: row.recorded,
    wasBlacklisted: row.was_blacklisted,
    active: row.active,
    issued: row.issued,
    sessionEnded: row.session_ended,
    sessionEndsAt: row.session_ends_at,
  }));
}

/** Whether `value` can travel in one of the statement's lists (a `jti` from a foreign signer might not). */
export function listable(value: string): boolean {
  return !value.includes(SEPARATOR);
}
