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
});
