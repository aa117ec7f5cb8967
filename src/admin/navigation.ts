/**
 * The admin's index and navigation, derived from the features: each feature's own pages (its
 * `admin` links) and one entry per declared resource, shown to a staff member who may see them.
 * Nothing here lists a page by hand; a feature with a resource appears once it is registered.
 *
 * @module
 */
import type { Actor } from '../permissions/policy.js';
import { hasPermission } from '../permissions/policy.js';
import type { Feature } from '../resources/features.js';
import type { Resource } from '../resources/resource.js';

/** One page as the index and the navigation link it. */
export interface AdminEntry {
  /** Its path, e.g. `/admin/users/`. */
  readonly href: string;
  /** Its title on the index. */
  readonly label: string;
  /** Its title in the navigation, or `false` for a page the index alone lists. */
  readonly navigation: string | false;
  /** Its add page, when the actor may add; else `null`. */
  readonly addHref: string | null;
}

/** A heading of the index and the pages under it. */
export interface AdminSection {
  readonly heading: string;
  readonly entries: readonly AdminEntry[];
}

declare module 'koa' {
  interface DefaultState {
    /** The index sections the staff member of the request may see (set by the admin's session guard). */
    adminSections?: readonly AdminSection[];
  }
}

/** A path segment as a title: `order-lines` → `Order lines`. */
export function titleOf(name: string): string {
  const words = name.replaceAll('-', ' ').replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The index entry of a resource: its list, and its add page when the actor may add. */
function resourceEntry(resource: Resource, actor: Actor): AdminEntry {
  const href = `/admin/${resource.name}/`;
  const label = titleOf(resource.name);
  const mayAdd = resource.actions.includes('create') && resource.access.add(actor);
  return { href, label, navigation: label, addHref: mayAdd ? `${href}add/` : null };
}

/**
 * The index's sections for one staff member, sorted by heading as Django sorts its apps; within
 * a section, the pages in their features' order. A feature's page is listed under its `section`
 * (its feature's name by default) when the actor holds its permission; a resource under its
 * feature's name when its `view` rule is not `false`.
 *
 * @param features - the application's features, in their order
 * @param actor - the staff member
 * @example
 * adminSections(FEATURES, user); // [{ heading: 'Authentication and authorization', entries: [...] }, ...]
 */
export function adminSections(features: readonly Feature[], actor: Actor): AdminSection[] {
  const sections = new Map<string, AdminEntry[]>();
  const add = (heading: string, entry: AdminEntry) => sections.set(heading, [...(sections.get(heading) ?? []), entry]);
  for (const feature of features) {
    for (const link of feature.admin ?? []) {
      if (!hasPermission(actor, link.permission)) continue;
      add(link.section ?? titleOf(feature.name), {
        href: `/admin/${link.path}`,
        label: link.label,
        navigation: link.navigation ?? link.label,
        addHref: link.add && hasPermission(actor, link.add.permission) ? `/admin/${link.add.path}` : null,
      });
    }
    for (const resource of feature.resources ?? [])
      if (resource.admin !== null && resource.access.view(actor) !== false)
        add(titleOf(feature.name), resourceEntry(resource, actor));
  }
  return [...sections]
    .map(([heading, entries]) => ({ heading, entries }))
    .sort((a, b) => a.heading.localeCompare(b.heading, 'en'));
}
