/**
 * Uploaded files.
 *
 * @module
 */
import { defineFeature } from '../resources/features.js';
import { fileRoutes } from './routes.js';

/** The file routes; their permissions belong to the `files` app, as in the original. */
export const feature = defineFeature({
  name: 'files',
  order: 60,
  tags: [{ name: 'files', description: 'Uploaded files: upload, list, download, delete.' }],
  routes: fileRoutes,
  models: { file: 'files' },
});
