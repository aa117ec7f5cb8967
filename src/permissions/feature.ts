/**
 * The permissions that exist, and the admin log's model (Django's `admin.LogEntry`), whose view
 * permission opens the audit log.
 *
 * @module
 */
import { defineFeature } from '../resources/features.js';
import { permissionRoutes } from './routes.js';

/** The permission list. */
export const feature = defineFeature({
  name: 'permissions',
  order: 50,
  tags: [{ name: 'permissions', description: 'The permissions that exist.' }],
  routes: permissionRoutes,
  models: { permission: 'auth', logentry: 'admin' },
  // Listed beside the tokens, where the index has always shown it.
  admin: [{ path: 'log/', label: 'Audit log', permission: 'view_logentry', section: 'Token blacklist' }],
});
