/**
 * Request bodies of the password reset endpoints, as dj-rest-auth's serializers over Django's
 * `PasswordResetForm` and `SetPasswordForm` take them.
 *
 * @module
 */
import { z } from 'zod';
import { charField, passwordField } from '../http/fields.js';
import { MESSAGES } from '../drf-wordings.js';
import { zodError } from '../i18n/translate.js';

/** `POST /api/password-reset/`: the address to send the link to (Django's form: required, 254 characters). */
export const PasswordResetRequest = z.object({
  email: charField({ maxLength: 254 })
    .refine((v) => z.email().safeParse(v).success, { error: zodError(MESSAGES.email) })
    .meta({ description: 'The account’s email address (compared case-insensitively).' }),
});
/** Input of `POST /api/password-reset/`. */
export type PasswordResetRequest = z.infer<typeof PasswordResetRequest>;

/** `POST /api/password-reset/confirm/`: the two parts of the link and the new password. */
export const PasswordResetConfirm = z.object({
  uid: charField({ maxLength: 64 }).meta({ description: 'The `{uid}` of the link: the user id, URL-safe base 64.' }),
  token: charField({ maxLength: 64 }).meta({ description: 'The `{token}` of the link.' }),
  new_password: passwordField(),
});
/** Input of `POST /api/password-reset/confirm/`. */
export type PasswordResetConfirm = z.infer<typeof PasswordResetConfirm>;
