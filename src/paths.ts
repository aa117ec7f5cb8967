/**
 * Locations of the project's own files (migrations, seeds), found from this module's place so that
 * the same code works from `src/` under tsx and from `dist/` in the image.
 *
 * @module
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Whether this code runs compiled (`dist/*.js`) rather than from TypeScript sources. */
export const isCompiled = import.meta.url.endsWith('.js');

/** The project root: the folder holding `package.json`, `seeds/` and `migrations/`. */
export const projectRoot = path.resolve(here, '..');

/** The migrations folder: TypeScript sources in development, their compiled form in `dist/`. */
export const migrationsDir = isCompiled ? path.join(here, 'migrations') : path.join(projectRoot, 'migrations');

/** The data-only seed files (roles definition, demo users). */
export const seedsDir = path.join(projectRoot, 'seeds');
