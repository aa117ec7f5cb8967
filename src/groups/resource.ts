/**
 * Groups (Django's `auth.Group`) as a declared resource: `/api/groups/` and `/api/groups/{id}/`,
 * `{"id", "name", "permissions": [codenames]}`, Django's model permissions, and one rule of its
 * own: a non-superuser gives a group only the permissions it holds itself.
 *
 * @module
 */
import { text } from '../i18n/translate.js';
import { authorize } from '../permissions/policy.js';
import { field } from '../resources/fields.js';
import { defineResource } from '../resources/resource.js';

/** The groups resource; its use-cases for the admin, the users and the seeds are in `service.ts`. */
export const groups = defineResource({
  name: 'groups',
  model: 'group',
  verboseName: text('groupVerboseName'),
  table: 'auth_group',
  description: 'Groups (roles) and the permissions they grant.',
  fields: { name: field.string(150, { unique: true, label: text('nameVerboseName') }) },
  manyToMany: {
    permissions: field.slugs({
      table: 'auth_permission',
      slug: 'codename',
      through: 'auth_group_permissions',
      from: 'group_id',
      to: 'permission_id',
      optional: true,
      description: 'Permission codenames.',
    }),
  },
  descriptions: {
    list: 'Paginated, in the order they were created; each group with the codenames of its permissions.',
    create: 'With the codenames of its permissions; the actor must hold every permission it grants.',
    retrieve: 'The group with the codenames of its permissions.',
    update: 'Its name and its whole set of permissions; the actor must hold every permission it grants.',
    partial_update: 'The fields sent; the actor must hold every permission it grants.',
    destroy: 'Its members lose the permissions it granted.',
  },
  // Keeping what the group has, or taking it away, grants nothing: only the codenames added count.
  authorizeWrite: ({ actor, before, fields }) => {
    const held = new Set(before?.permissions);
    authorize(actor, 'change_group', { grants: new Set(fields.permissions?.filter((c) => !held.has(c))) });
  },
  repr: (group) => group.name,
  admin: false, // the feature's own pages (admin/groups.ts), with the permission picker
});
