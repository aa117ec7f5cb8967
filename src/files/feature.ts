/**
 * Uploaded files.
 *
 * @module
 */
import { defineFeature } from '../resources/features.js';
import { files } from './resource.js';
import { fileRoutes } from './routes.js';

/** The files resource and its upload route; their permissions belong to the `files` app, as in the original. */
export const feature = defineFeature({
  name: 'files',
  order: 60,
  resources: [files],
  routes: fileRoutes,
  models: { file: 'files' },
});
