/**
 * The query of the users list — `GET /api/users/` and the admin's users page — declared as a
 * declared resource's list is, and read by the same {@link ListQueryReader}: DRF's `SearchFilter`
 * over the names and the email, its `OrderingFilter`, django-filter's `is_active` and a `group`
 * through the memberships, within the bounds every list keeps ({@link LIST_LIMITS}: 200
 * characters a value, 10 search terms, as many ordering fields as there are to sort by).
 *
 * @module
 */
import { field } from '../resources/fields.js';
import { defineListQuery, LIST_LIMITS, type ListQueryReader } from '../resources/list-query.js';

/** The columns of `auth_user` the list filters, searches or sorts by. */
const USER_LIST_FIELDS = {
  username: field.string(150),
  email: field.string(254),
  first_name: field.string(150),
  last_name: field.string(150),
  date_joined: field.datetime(),
  last_login: field.datetime({ optional: true }),
  is_active: field.boolean(),
  is_staff: field.boolean(),
};

/**
 * The users list's query: `search` (every term in the username, email, first or last name),
 * `ordering` (`id` and the fields above), `is_active` (a boolean, else ignored) and `group` (a
 * group's name). Applied to `auth_user` aliased `u` (`userListQuery.apply(query, parsed, 'u')`).
 *
 * @example
 * const { query } = userListQuery.parse({ search: 'jo doe', ordering: '-date_joined,bogus' });
 * // query.terms: ['jo', 'doe']; query.ordering: [{ column: 'date_joined', descending: true }]
 */
export const userListQuery: ListQueryReader = defineListQuery(
  USER_LIST_FIELDS,
  {
    filters: { is_active: ['exact'] },
    relatedFilters: { group: 'groups' },
    search: ['username', 'email', 'first_name', 'last_name'],
    ordering: ['username', 'email', 'first_name', 'last_name', 'date_joined', 'last_login', 'is_active', 'is_staff'],
    parameterDescriptions: {
      search: `Terms separated by spaces or commas; a user matches when each term is in its username, email, first or last name (case-insensitive). At most ${LIST_LIMITS.searchTerms} terms and ${LIST_LIMITS.valueLength} characters, else 400.`,
      is_active: 'Only active (`true`) or inactive (`false`) users; any other value is ignored.',
      group: `Only members of the group of this name (empty: every user). At most ${LIST_LIMITS.valueLength} characters, else 400.`,
    },
  },
  {
    groups: field.slugs({
      table: 'auth_group',
      slug: 'name',
      through: 'auth_user_groups',
      from: 'user_id',
      to: 'group_id',
    }),
  },
);
