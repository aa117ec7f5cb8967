/**
 * The features of the application, found where they live: every folder of `src/` (of `dist/` once
 * built) with a `feature.ts` (`feature.js`) exporting `feature`. Nothing lists them by hand: a
 * folder made by `startapp` is served, documented and administered once it exists.
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { migrateLatest, type MigrateOptions } from './db/database.js';
import { DEFAULT_FEATURE_ORDER, resourcesOf, type Feature } from './resources/features.js';
import { syncResourcePermissions } from './resources/permissions.js';
import { syncResourceNotices } from './resources/notices.js';

const here = fileURLToPath(import.meta.url);

/**
 * Loads the features of a source (or build) folder, in their order.
 *
 * @param root - the folder whose subfolders are searched
 * @param extension - `.ts` under tsx, `.js` once built
 * @throws Error when a `feature` file does not export a feature named after its folder
 */
export async function loadFeatures(root: string, extension: string): Promise<Feature[]> {
  const files = fs
    .readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({ folder: entry.name, file: path.join(root, entry.name, `feature${extension}`) }))
    .filter(({ file }) => fs.existsSync(file));
  const features = await Promise.all(
    files.map(async ({ folder, file }) => {
      const feature = ((await import(pathToFileURL(file).href)) as { feature?: Feature }).feature;
      if (feature?.name !== folder) throw new Error(`${file}: export a feature named "${folder}" (defineFeature)`);
      return feature;
    }),
  );
  const order = (feature: Feature) => feature.order ?? DEFAULT_FEATURE_ORDER;
  return features.sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
}

/** The application's features, in their order. */
export const FEATURES: readonly Feature[] = await loadFeatures(path.dirname(here), path.extname(here));

/** What {@link migrateDatabase} did. */
export interface Migrated {
  /** The migrations applied. */
  readonly migrations: string[];
  /** The permission codenames created for declared resources. */
  readonly permissions: string[];
}

/**
 * Migrates the database, then creates (or renames) the model permissions of every declared
 * resource, as Django's `migrate` does after its migrations (`post_migrate`), and the triggers
 * that tell the list caches of a change ({@link syncResourceNotices}). Safe to run by several
 * processes at once: the migrations and the triggers are made under locks, a permission inserted
 * twice is kept once.
 *
 * @param knex - the database
 * @param options - see {@link migrateLatest}
 * @example
 * const { migrations, permissions } = await migrateDatabase(deps.knex);
 */
export async function migrateDatabase(knex: Knex, options: MigrateOptions = {}): Promise<Migrated> {
  const migrations = await migrateLatest(knex, options);
  const permissions = await syncResourcePermissions(knex, resourcesOf(FEATURES));
  await syncResourceNotices(knex, resourcesOf(FEATURES));
  return { migrations, permissions };
}
