/**
 * Groups (roles) and the permissions they grant.
 *
 * @module
 */
import { defineFeature } from '../resources/features.js';
import { groupRoutes } from './routes.js';

/** The group routes; the group model is Django's `auth.Group`. */
export const feature = defineFeature({
  name: 'groups',
  order: 40,
  tags: [{ name: 'groups', description: 'Groups (roles) and the permissions they grant.' }],
  routes: groupRoutes,
  models: { group: 'auth' },
  admin: [
    {
      path: 'groups/',
      label: 'Groups',
      permission: 'view_group',
      section: 'Authentication and authorization',
      add: { path: 'groups/add/', permission: 'add_group' },
    },
  ],
});
