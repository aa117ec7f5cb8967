/**
 * Groups (roles) and the permissions they grant.
 *
 * @module
 */
import { defineFeature } from '../resources/features.js';
import { groups } from './resource.js';

/** The groups, a declared resource; the group model is Django's `auth.Group`. */
export const feature = defineFeature({
  name: 'groups',
  order: 40,
  resources: [groups],
  models: { group: 'auth' },
  // Its admin pages are its own (the permission picker), where Django lists them.
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
