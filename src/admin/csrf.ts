/**
 * The admin forms' CSRF token: an HMAC of the session id with `SECRET_KEY`, so it needs no storage,
 * lives exactly as long as the login, and cannot be computed without the key.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { permissionDenied } from '../errors.js';
import { text } from '../i18n/translate.js';

/** The form field carrying the token (Django's name, so operators recognise it). */
export const CSRF_FIELD = 'csrfmiddlewaretoken';

/**
 * The CSRF token of a session.
 *
 * @param secretKey - `SECRET_KEY`
 * @param sessionId - the `sid` of the admin's login
 * @example
 * csrfToken(config.secretKey, ctx.state.sessionId!);
 */
export function csrfToken(secretKey: string, sessionId: string): string {
  return createHmac('sha256', secretKey).update(`admin-csrf:${sessionId}`).digest('base64url');
}

/**
 * Refuses a form whose token is missing or does not belong to the session.
 *
 * @throws {@link PermissionDeniedError} (403) with Django's CSRF wording
 */
export function assertCsrfToken(secretKey: string, sessionId: string, submitted: string | null): void {
  const expected = Buffer.from(csrfToken(secretKey, sessionId));
  const given = Buffer.from(submitted ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw permissionDenied(text(submitted ? 'csrfTokenIncorrect' : 'csrfTokenMissing'));
  }
}
