/**
 * What a feature contributes to the application, declared in one place: its folder's `feature.ts`
 * exports a {@link Feature}, and the registry (`src/registry.ts`) finds it there. The API router,
 * the OpenAPI tags, the admin's index and navigation, the permissions `migrate` keeps in step and
 * `import-django`'s permission map are all derived from these declarations; adding a feature edits
 * no central list.
 *
 * @module
 */
import type Router from '@koa/router';
import type { Deps } from '../deps.js';
import type { Resource } from './resource.js';

/** An OpenAPI tag: the first path segment after `/api/` of the routes it groups. */
export interface ApiTag {
  readonly name: string;
  /** One line for the API reference. */
  readonly description: string;
}

/**
 * A page of the admin panel that a feature serves itself, linked from the index and the
 * navigation. (A declared resource needs none: the generic admin lists it.)
 */
export interface AdminLink {
  /** Its path under `/admin/`, e.g. `users/`. */
  readonly path: string;
  /** Its title on the index, and in the navigation unless {@link AdminLink.navigation} says otherwise. */
  readonly label: string;
  /** The permission a staff member needs to see the link. */
  readonly permission: string;
  /** The heading of the index section it is listed under; its feature's name by default. */
  readonly section?: string;
  /** Its title in the navigation, when shorter than `label`; `false` lists it on the index only. */
  readonly navigation?: string | false;
  /** Its add page under `/admin/`, linked as "Add" beside it on the index for holders of the permission. */
  readonly add?: { readonly path: string; readonly permission: string };
}

/** A feature's parts. Every part is optional: a feature may only declare resources, or only routes. */
export interface Feature {
  /** Its folder under `src/`, which is also the Django app label of its resources' permissions. */
  readonly name: string;
  /**
   * Where it is mounted and listed, lowest first: the project's own features take 10 to 90, a
   * feature that says nothing comes after them (100), then by name.
   */
  readonly order?: number;
  /** The OpenAPI tags of its hand-written routes (a resource declares its own). */
  readonly tags?: readonly ApiTag[];
  /** Its hand-written routes, mounted under `/api`. */
  readonly routes?: (deps: Deps) => Router;
  /** Its declared resources: served under `/api/<name>/`, listed in the admin, their permissions made by `migrate`. */
  readonly resources?: readonly Resource[];
  /**
   * The Django app label of each model of its hand-written permissions, or of a resource's model
   * whose app is not the feature's folder (`group: 'auth'`); `import-django` matches by both.
   */
  readonly models?: Readonly<Record<string, string>>;
  /** Admin pages it serves itself. */
  readonly admin?: readonly AdminLink[];
}

/** The order of a feature that does not state one. */
export const DEFAULT_FEATURE_ORDER = 100;

/**
 * Declares a feature (the export `feature` of its folder's `feature.ts`).
 *
 * @example
 * export const feature = defineFeature({ name: 'projects', resources: [projects] });
 */
export function defineFeature(feature: Feature): Feature {
  if (!/^[a-z][a-z0-9-]*$/.test(feature.name))
    throw new Error(`feature "${feature.name}": a folder name in lower case`);
  return feature;
}

/**
 * The Django app label of each model the features hold permissions for: each resource's model in
 * its feature's app unless the feature's `models` name another, and their declared models.
 */
export function modelApps(features: readonly Feature[]): Map<string, string> {
  const apps = new Map<string, string>();
  for (const feature of features) {
    for (const resource of feature.resources ?? []) apps.set(resource.model, feature.name.replaceAll('-', '_'));
    for (const [model, app] of Object.entries(feature.models ?? {})) apps.set(model, app);
  }
  return apps;
}

/** Every declared resource of the features, in their order. */
export function resourcesOf(features: readonly Feature[]): Resource[] {
  return features.flatMap((feature) => feature.resources ?? []);
}
