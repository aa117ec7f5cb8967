/**
 * Signed download URLs of the local folder store.
 *
 * @module
 */
import { defineFeature } from '../resources/features.js';
import { mediaRoutes } from './routes.js';

/** The signed-URL downloads of the local store. */
export const feature = defineFeature({
  name: 'media',
  order: 70,
  tags: [{ name: 'media', description: 'Signed, expiring download URLs of the local folder store.' }],
  routes: (deps) => mediaRoutes(deps.storage),
});
