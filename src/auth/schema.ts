/**
 * Request bodies of the token endpoints, worded as simplejwt's serializers.
 *
 * @module
 */
import { z } from 'zod';
import { charField, passwordField } from '../http/fields.js';

/** `POST /api/token/`. */
export const TokenObtain = z.object({ username: charField(), password: passwordField() });
/** Input of `POST /api/token/`. */
export type TokenObtain = z.infer<typeof TokenObtain>;

/** `POST /api/token/refresh/` and `/api/token/blacklist/`: the refresh token, or none to use the cookie. */
export const TokenRefresh = z.object({ refresh: charField().optional() });
/** Input of the refresh and blacklist endpoints. */
export type TokenRefresh = z.infer<typeof TokenRefresh>;

/** `POST /api/token/verify/`. */
export const TokenVerify = z.object({ token: charField() });
/** Input of `POST /api/token/verify/`. */
export type TokenVerify = z.infer<typeof TokenVerify>;
