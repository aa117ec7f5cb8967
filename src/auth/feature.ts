/**
 * Logging in and out: simplejwt's token routes, and the token blacklist's models.
 *
 * @module
 */
import { defineFeature } from '../resources/features.js';
import { authRoutes } from './routes.js';

/** The token routes; the blacklist's permissions belong to Django's `token_blacklist` app. */
export const feature = defineFeature({
  name: 'auth',
  order: 10,
  tags: [
    {
      name: 'token',
      description: 'Logging in and out with simplejwt tokens: a pair in the body, and the same in HttpOnly cookies.',
    },
  ],
  routes: authRoutes,
  models: { outstandingtoken: 'token_blacklist', blacklistedtoken: 'token_blacklist' },
  admin: [
    {
      path: 'tokens/',
      label: 'Outstanding tokens',
      navigation: 'Tokens',
      permission: 'view_outstandingtoken',
      section: 'Token blacklist',
    },
    {
      path: 'tokens/blacklisted/',
      label: 'Blacklisted tokens',
      navigation: false,
      permission: 'view_blacklistedtoken',
      section: 'Token blacklist',
    },
  ],
});
