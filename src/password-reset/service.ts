/**
 * Password recovery by email, Django's flow: a request sends each active user with that address a
 * link holding their uid and a reset token ({@link "password-reset/tokens"}); the confirmation
 * checks the token, sets the new password under the same validators as everywhere else, logs the
 * user out everywhere and records the change in the audit log, in one transaction.
 *
 * @module
 */
import type { Knex } from 'knex';
import { validatePassword } from '../auth/password-validation.js';
import { hashPassword } from '../auth/passwords.js';
import { blacklistUserTokens } from '../auth/service.js';
import { recordAction } from '../db/audit.js';
import { User } from '../db/models.js';
import type { Deps } from '../deps.js';
import { fieldError, notFound, validationError } from '../errors.js';
import type { Mailer, MailMessage } from '../mail/mailer.js';
import { authorize, type Actor } from '../permissions/policy.js';
import { userSubject } from '../users/service.js';
import { renderMail } from '../mail/templates.js';
import type { PasswordResetConfirm } from './schema.js';
import { checkResetToken, decodeUid, encodeUid, makeResetToken, secondsSince2001 } from './tokens.js';
import { text } from '../i18n/translate.js';

/** dj-rest-auth's answer to a reset request, whatever the address. */
export const RESET_REQUESTED = text('resetRequested');

/** dj-rest-auth's answer to a successful confirmation. */
export const RESET_DONE = text('resetDone');

/** dj-rest-auth's message for a token that does not check out, given here for a bad uid too. */
export const INVALID_VALUE = text('resetInvalidValue');

type ResetUser = Pick<User, 'id' | 'username' | 'email' | 'password' | 'last_login' | 'is_active'>;
const COLUMNS = ['id', 'username', 'email', 'password', 'last_login', 'is_active'] as const;

/**
 * Sends a reset link to every active user with this email address (case-insensitive, as Django's
 * `PasswordResetForm`), skipping accounts without a usable password. The messages leave in the
 * background: the caller answers the same, after the same query, whether any user matched.
 *
 * @param email - the address as typed
 * @returns how many messages were queued (for tests and the log; never shown to the client)
 * @example
 * await requestPasswordReset(deps, mailerOf(deps), 'alice@example.com');
 */
export async function requestPasswordReset(deps: Deps, mailer: Mailer, email: string): Promise<number> {
  const wanted = normalized(email);
  const candidates = await User.query(deps.knex)
    .whereRaw('lower(email) = lower(?)', [email])
    .where('is_active', true)
    .select(...COLUMNS);
  // Django compares once more in Unicode (NFKC, case-folded): the database's lower() folds less.
  const users = candidates.filter((user) => normalized(user.email) === wanted && hasUsablePassword(user));
  for (const user of users)
    mailer.sendInBackground(resetMessage(deps, user), { purpose: 'password_reset', userId: user.id });
  return users.length;
}

/**
 * Sends one user a reset link on behalf of an actor (the admin's button).
 *
 * @param db - the knex instance or the caller's transaction
 * @returns `false`, sending nothing, when the user is inactive, has no email or no usable password
 * @throws {@link "errors".NotFoundError} (404) for an unknown user; 403 when the actor may not act on it
 */
export async function sendPasswordResetLink(
  deps: Deps,
  db: Knex | Knex.Transaction,
  mailer: Mailer,
  actor: Actor,
  userId: number,
): Promise<boolean> {
  const user = await User.query(db)
    .findById(userId)
    .select(...COLUMNS);
  if (!user) throw notFound();
  authorize(actor, 'send_password_reset', { target: await userSubject(db, userId) });
  if (!user.is_active || !user.email || !hasUsablePassword(user)) return false;
  mailer.sendInBackground(resetMessage(deps, user), { purpose: 'password_reset', userId: user.id });
  return true;
}

/**
 * Sets a new password from a reset link: the uid must name an active user and the token be valid
 * for that user now; the password passes Django's validators. The password is hashed outside the
 * transaction; inside it the user's row is locked and the token checked again, so that two uses of
 * one link cannot both succeed. Every session of the user is then blacklisted (their access tokens
 * die at once) and the change is written to the audit log.
 *
 * A bad uid and a bad token get one answer, after the same work (a lookup and a token check, against
 * a stand-in for a user that does not exist), as Django's `PasswordResetConfirmView` shows one
 * "invalid link" page for both: which ids name a user is not for a link's holder to learn.
 *
 * @param now - the moment of the check (the request's)
 * @returns the user whose password was reset
 * @throws {@link "errors".ValidationFailedError} (400) `{token: ["Invalid value"]}` for a link that
 *   does not check out (its uid or its token), or `{new_password: [...]}` for a weak password
 */
export async function confirmPasswordReset(
  deps: Deps,
  input: PasswordResetConfirm,
  now: Date = new Date(),
): Promise<{ id: number; username: string }> {
  const id = decodeUid(input.uid);
  const { secretKey } = deps.config;
  const { timeoutSeconds } = deps.config.passwordReset;
  const valid = (user: ResetUser | undefined): user is ResetUser =>
    user !== undefined && user.is_active && checkResetToken(secretKey, user, input.token, timeoutSeconds, now);

  // Id 0 is never a user's: an undecodable uid costs the same lookup as an unknown one.
  const user = await User.query(deps.knex)
    .findById(id ?? 0)
    .select(...COLUMNS);
  // Checked against the stand-in too when the uid names nobody: both refusals take the same work.
  const tokenValid = checkResetToken(secretKey, user ?? NOBODY, input.token, timeoutSeconds, now);
  if (!user || !user.is_active || !tokenValid) throw invalidLink();
  const weak = validatePassword(input.new_password, user);
  if (weak.length) throw validationError({ new_password: weak });
  const password = await hashPassword(input.new_password);
  return deps.knex.transaction(async (trx) => {
    // The token is made from the password hash: checked again under the row lock, it holds only if
    // nobody (another use of this link included) changed the password since the first check.
    const locked = await User.query(trx)
      .findById(user.id)
      .forUpdate()
      .select(...COLUMNS);
    if (!valid(locked)) throw invalidLink();
    await User.query(trx).findById(user.id).patch({ password });
    const blacklisted = await blacklistUserTokens(trx, user.id);
    await recordAction(
      trx,
      user,
      'password_reset',
      { type: 'user', id: user.id, repr: user.username },
      { blacklisted },
    );
    return { id: user.id, username: user.username };
  });
}

/** The stand-in a token is checked against when the uid names no user (the check then fails). */
const NOBODY: ResetUser = { id: 0, username: '', email: '', password: '!', last_login: null, is_active: false };

/** The one answer to a link that does not check out, its uid or its token: dj-rest-auth's wording. */
function invalidLink() {
  return fieldError('token', INVALID_VALUE);
}

/** The reset link of a user now, as `PASSWORD_RESET_URL` spells it. */
function resetLink(deps: Deps, user: ResetUser): string {
  const token = makeResetToken(deps.config.secretKey, user, secondsSince2001(new Date()));
  return deps.config.passwordReset.url.replace('{uid}', encodeUid(user.id)).replace('{token}', token);
}

function resetMessage(deps: Deps, user: ResetUser): MailMessage {
  const link = resetLink(deps, user);
  const validFor = humanDuration(deps.config.passwordReset.timeoutSeconds);
  return { to: user.email, ...renderMail('password-reset', { username: user.username, link, validFor }) };
}

/** Django's `has_usable_password()`: an unusable password is stored as `!` and random characters. */
function hasUsablePassword(user: { password: string }): boolean {
  return user.password !== '' && !user.password.startsWith('!');
}

/** Django's `_unicode_ci_compare` form of an address: NFKC, case-folded. */
function normalized(email: string): string {
  return email.normalize('NFKC').toLowerCase();
}

/** `259200` → `3 days`, `3600` → `1 hour`. */
function humanDuration(seconds: number): string {
  for (const [unit, size] of [
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size} ${unit}${seconds / size === 1 ? '' : 's'}`;
  }
  return `${seconds} seconds`;
}
