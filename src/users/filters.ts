/**
 * The filters of the users list — `GET /api/users/` and the admin's users page — read as DRF's
 * `SearchFilter` and `OrderingFilter` and django-filter read them, within bounds on what one
 * request can make the database do. The bounds live here, once, for the API and the admin.
 *
 * @module
 */
import { validationError, type FieldErrors } from '../errors.js';
import { text } from '../i18n/messages.js';
import { MESSAGES } from '../messages.js';

/** The fields `?ordering=` sorts by (`-` before one for descending). */
export const USER_ORDERING_FIELDS = [
  'id',
  'username',
  'email',
  'first_name',
  'last_name',
  'date_joined',
  'last_login',
  'is_active',
  'is_staff',
] as const;

/** A field the users list sorts by. */
export type UserOrderingField = (typeof USER_ORDERING_FIELDS)[number];

/**
 * How much one request may ask of the users list. Each search term is a condition on four columns
 * that no index serves (`ILIKE '%term%'`), so a search has few terms; a value longer than any
 * column it is compared with can only be junk. Past a bound the request is refused (400), never
 * cut short: a shortened search would answer a question the client did not ask.
 */
export const USER_LIST_LIMITS = {
  /** Characters of any filter value: `search`, `ordering`, `is_active`, `group` (the admin's `q` is `search`). */
  valueLength: 200,
  /** Terms of `search` (split on whitespace and commas). */
  searchTerms: 10,
  /** Fields named by `ordering`, unknown and repeated ones included: as many as there are to sort by. */
  orderingFields: USER_ORDERING_FIELDS.length,
} as const;

/** The list's query values as the client sent them (of a repeated one, the last). */
export interface UserListQuery {
  readonly search?: string | undefined;
  readonly ordering?: string | undefined;
  readonly is_active?: string | undefined;
  readonly group?: string | undefined;
}

/** The list's filters, parsed. */
export interface UserFilters {
  /** Terms a user must all match, each in its username, email, first or last name (case-insensitive). */
  readonly terms: readonly string[];
  /** Sort keys in order, each field once; ties are broken by `id`. */
  readonly ordering: readonly { readonly field: UserOrderingField; readonly descending: boolean }[];
  /** Only active (`true`) or inactive (`false`) users; `undefined` for all. */
  readonly isActive?: boolean;
  /** Only members of the group of this name. */
  readonly group?: string;
}

const ORDERING_FIELDS = new Set<string>(USER_ORDERING_FIELDS);
const TRUE = new Set(['true', 'True', '1']);
const FALSE = new Set(['false', 'False', '0']);

/**
 * Parses the list's query values. `search` is split as DRF's `SearchFilter.get_search_terms` does
 * (NUL removed, commas as spaces, split on whitespace); `ordering` keeps known fields only, each
 * once (DRF ignores unknown ones); `is_active` ignores a value that is not a boolean.
 *
 * @param query - the values as sent
 * @returns the filters
 * @throws {@link ValidationFailedError} (400) with every bound exceeded at once: a value longer than
 *   {@link USER_LIST_LIMITS}`.valueLength` (`Ensure this field has no more than 200 characters.`),
 *   more search terms or ordering fields than allowed (`Ensure this field has no more than 10 elements.`)
 * @example
 * parseUserFilters({ search: 'jo doe', ordering: '-date_joined,bogus' });
 * // { terms: ['jo', 'doe'], ordering: [{ field: 'date_joined', descending: true }] }
 */
export function parseUserFilters(query: UserListQuery): UserFilters {
  const errors: FieldErrors = {};
  const refuse = (name: keyof UserListQuery, message: string) => {
    ((errors[name] as string[] | undefined) ??= []).push(message);
  };
  for (const name of ['search', 'ordering', 'is_active', 'group'] as const) {
    if ((query[name]?.length ?? 0) > USER_LIST_LIMITS.valueLength)
      refuse(name, MESSAGES.maxLength(USER_LIST_LIMITS.valueLength));
  }

  const terms = (query.search ?? '')
    .replaceAll('\0', '')
    .split(/[\s,]+/)
    .filter(Boolean);
  if (terms.length > USER_LIST_LIMITS.searchTerms)
    refuse('search', text('listMaxLength', { max_length: USER_LIST_LIMITS.searchTerms }));

  const named = (query.ordering ?? '')
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean);
  if (named.length > USER_LIST_LIMITS.orderingFields)
    refuse('ordering', text('listMaxLength', { max_length: USER_LIST_LIMITS.orderingFields }));

  if (Object.keys(errors).length) throw validationError(errors);

  const ordering = new Map<UserOrderingField, boolean>();
  for (const name of named) {
    const field = name.replace(/^-/, '');
    // A field named twice sorts once, by its first mention: the second adds nothing to ORDER BY.
    if (ORDERING_FIELDS.has(field) && !ordering.has(field as UserOrderingField))
      ordering.set(field as UserOrderingField, name.startsWith('-'));
  }
  const active = query.is_active;
  return {
    terms,
    ordering: [...ordering].map(([field, descending]) => ({ field, descending })),
    ...(active !== undefined && (TRUE.has(active) || FALSE.has(active)) ? { isActive: TRUE.has(active) } : {}),
    ...(query.group !== undefined ? { group: query.group } : {}),
  };
}
