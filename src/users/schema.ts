/**
 * Request bodies of the user endpoints, validated as Django's `User` model through a DRF
 * `ModelSerializer` would be.
 *
 * @module
 */
import { z } from 'zod';
import { booleanField, charField, emailField, passwordField, slugListField } from '../http/fields.js';
import { text, zodError } from '../i18n/translate.js';
import { normalizeUsername, USERNAME_MAX_LENGTH } from './service.js';

/** Django's `UnicodeUsernameValidator`: letters, digits and `@.+-_`. */
const USERNAME = /^[\p{L}\p{N}_.@+-]+$/u;

/**
 * A username, trimmed and NFKC-normalised (Django's `UsernameField.to_python`) before its length,
 * characters and `UnicodeUsernameValidator` are checked: the rules hold for the name as stored.
 */
const username = z.preprocess(
  (value) => (typeof value === 'string' ? normalizeUsername(value.trim()) : value),
  charField({ maxLength: USERNAME_MAX_LENGTH }).regex(USERNAME, { error: zodError(text('invalidUsername')) }),
);
const name = charField({ maxLength: 150, allowBlank: true });

/** `POST /api/users/`: username and password required. */
export const UserCreate = z.object({
  username,
  password: passwordField(),
  email: emailField().optional(),
  first_name: name.optional(),
  last_name: name.optional(),
  is_active: booleanField().optional(),
  is_staff: booleanField().optional(),
  is_superuser: booleanField().optional(),
  groups: slugListField().optional(),
});
/** Input of `POST /api/users/`. */
export type UserCreate = z.infer<typeof UserCreate>;

/** `PUT /api/users/{id}/`: as create, but the password may be left out (kept). */
export const UserReplace = UserCreate.extend({ password: passwordField().optional() });
/** Input of `PUT /api/users/{id}/`. */
export type UserReplace = z.infer<typeof UserReplace>;

/** `PATCH /api/users/{id}/`: any subset of the fields. */
export const UserPatch = UserReplace.partial();
/** Input of `PATCH /api/users/{id}/`. */
export type UserPatch = z.infer<typeof UserPatch>;

/** `PATCH /api/users/me/`: what users may change of themselves. */
export const ProfilePatch = z.object({
  email: emailField().optional(),
  first_name: name.optional(),
  last_name: name.optional(),
});
/** Input of `PATCH /api/users/me/`. */
export type ProfilePatch = z.infer<typeof ProfilePatch>;

/** `POST /api/users/me/password/`. */
export const PasswordChange = z.object({ old_password: passwordField(), new_password: passwordField() });
/** Input of `POST /api/users/me/password/`. */
export type PasswordChange = z.infer<typeof PasswordChange>;
