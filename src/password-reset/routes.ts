/**
 * `/api/password-reset/*`: ask for a reset link by email, and set a new password with it —
 * dj-rest-auth's endpoints over Django's reset flow.
 *
 * @module
 */
import Router from '@koa/router';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Deps } from '../deps.js';
import { responds } from '../http/responds.js';
import { consume } from '../http/throttle.js';
import { validate, validatedBody } from '../http/validate.js';
import { mailerOf } from '../mail/mailer.js';
import { PasswordResetConfirm, PasswordResetRequest } from './schema.js';
import { word } from '../i18n/translate.js';
import { confirmPasswordReset, requestPasswordReset, RESET_DONE, RESET_REQUESTED } from './service.js';

/** dj-rest-auth's `{detail}` answers. */
const DetailJson = z.strictObject({ detail: z.string() });

/**
 * The password reset router, mounted under `/api`; neither route needs authentication.
 */
export function passwordResetRoutes(deps: Deps): Router {
  const router = new Router();

  router.post(
    '/password-reset/',
    // Every request counts per address, a malformed one too, before any work.
    async (ctx, next) => {
      await consume(ctx.throttles.passwordResetPerIp, ctx.ip);
      await next();
    },
    validate(PasswordResetRequest),
    responds(
      {
        status: 200,
        description: 'Always the same answer, whether or not an account has this address; the link leaves by email.',
        schema: DetailJson,
      },
      {
        summary: 'Request a password reset',
        description:
          'Sends a reset link to the address when an active account has it; the answer is the same either way. Throttled per address and per email.',
      },
    ),
    async (ctx) => {
      const { email } = validatedBody(ctx, PasswordResetRequest);
      // Counted under a digest: the throttle store holds no addresses.
      const emailKey = createHash('sha256').update(email.normalize('NFKC').toLowerCase()).digest('hex');
      await consume(ctx.throttles.passwordResetPerEmail, emailKey);
      await requestPasswordReset(deps, mailerOf(deps), email);
      ctx.body = { detail: word(RESET_REQUESTED, ctx.state.language ?? deps.config.i18n.languageCode) };
    },
  );

  router.post(
    '/password-reset/confirm/',
    validate(PasswordResetConfirm),
    responds(
      {
        status: 200,
        description: 'The password is set; every session of the user is logged out.',
        schema: DetailJson,
      },
      {
        summary: 'Confirm a password reset',
        description: 'Sets the new password with the `uid` and `token` of the emailed link.',
      },
    ),
    async (ctx) => {
      await confirmPasswordReset(deps, validatedBody(ctx, PasswordResetConfirm));
      ctx.body = { detail: word(RESET_DONE, ctx.state.language ?? deps.config.i18n.languageCode) };
    },
  );

  return router;
}
