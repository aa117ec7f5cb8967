/**
 * Password reset by an emailed link.
 *
 * @module
 */
import { defineFeature } from '../resources/features.js';
import { passwordResetRoutes } from './routes.js';

/** The password reset routes. */
export const feature = defineFeature({
  name: 'password-reset',
  order: 20,
  tags: [{ name: 'password-reset', description: 'Password reset by an emailed link.' }],
  routes: passwordResetRoutes,
});
