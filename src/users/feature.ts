/**
 * Users: the signed-in user's own routes and user management.
 *
 * @module
 */
import { defineFeature } from '../resources/features.js';
import { userRoutes } from './routes.js';

/** The user routes; the user model is Django's `auth.User`. */
export const feature = defineFeature({
  name: 'users',
  order: 30,
  tags: [
    { name: 'users', description: 'The signed-in user, and user management for holders of the user permissions.' },
  ],
  routes: userRoutes,
  models: { user: 'auth' },
  admin: [
    {
      path: 'users/',
      label: 'Users',
      permission: 'view_user',
      section: 'Authentication and authorization',
      add: { path: 'users/add/', permission: 'add_user' },
    },
  ],
});
