/**
 * The generic model admin (Django's `ModelAdmin`): every declared resource of every feature gets,
 * under `/admin/<name>/`, a list (its representation and `admin.columns`, filtered, searched and
 * ordered by the same `listQuery` as the API, paged as the other lists), add and change forms
 * (one input per writable field, validated by `writeSchema` and the database checks, DRF's
 * messages beside the inputs), a delete confirmation, and each object's history from the audit
 * log. Access is the resource's rules as the API applies them: 403 when a rule allows no row,
 * 404 outside the rows seen, 403 outside the action's scope. Each write runs in one transaction
 * with its audit entry (`store.ts`).
 *
 * @module
 */
import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Context, Next } from 'koa';
import type { AuthUser } from '../auth/authenticate.js';
import type { Deps } from '../deps.js';
import { notFound, permissionDenied, validationError, type FieldErrors } from '../errors.js';
import { idParam } from '../http/params.js';
import { parseInputChecked } from '../http/validate.js';
import { allows } from '../resources/access.js';
import { resourcesOf, type Feature } from '../resources/features.js';
import type { Field } from '../resources/fields.js';
import type { Lookup } from '../resources/list-query.js';
import type { Resource, ResourceAction } from '../resources/resource.js';
import {
  checkFields,
  checkRefFilters,
  deleteRow,
  insertRow,
  present,
  rowForAction,
  rowsQuery,
  updateRow,
  type Representation,
} from '../resources/store.js';
import { auditQuery, type AuditEntry } from './audit.js';
import { formOf } from './form.js';
import { formErrors } from './forms-errors.js';
import { titleOf } from './navigation.js';
import { fetchHtmlPage, type HtmlPage } from './pages.js';
import { render } from './render.js';
import { bodyOfForm, cellText, columnLabel, formInputs, inputValues, readOnlyValues } from './resource-form.js';
import { adminUser, type AdminGuard } from './session.js';

/** Path segments of the panel's own pages, which no resource may take. */
const OWN_PAGES = ['static', 'login', 'logout'];

/**
 * The first path segments under `/admin/` that pages of their own hold: the panel's (`login`,
 * `static`, …) and those the features link (`users`, `log`, …). No resource may take one.
 */
export function adminPageNames(features: readonly Feature[]): Set<string> {
  return new Set([
    ...OWN_PAGES,
    ...features.flatMap((feature) => (feature.admin ?? []).map((link) => link.path.split('/')[0]!)),
  ]);
}

/** A resource the generic admin serves (one whose feature has no pages of its own for it). */
export type AdminResource = Resource & { readonly admin: NonNullable<Resource['admin']> };

/** Whether the generic admin serves a resource (its declaration did not say `admin: false`). */
export function isAdministered(resource: Resource): resource is AdminResource {
  return resource.admin !== null;
}

/**
 * The declared resources of the features, by name: the admin's lookup of `/admin/<name>/`.
 *
 * @throws Error when two resources share a name, or one takes the name of a page the panel or a
 *   feature serves itself (`login`, `users`, …)
 */
export function adminResources(features: readonly Feature[]): ReadonlyMap<string, AdminResource> {
  const taken = adminPageNames(features);
  const resources = new Map<string, AdminResource>();
  for (const resource of resourcesOf(features)) {
    if (!isAdministered(resource)) continue; // its feature's own pages serve it
    if (taken.has(resource.name))
      throw new Error(`resource "${resource.name}": /admin/${resource.name}/ is an admin page of its own; rename it`);
    if (resources.has(resource.name)) throw new Error(`resource "${resource.name}": declared twice`);
    resources.set(resource.name, resource);
  }
  return resources;
}

/** What a lookup filters by, after the field's label in the list's filter form. */
const LOOKUP_LABELS: ReadonlyMap<Lookup, string> = new Map<Lookup, string>([
  ['exact', ''],
  ['iexact', 'is (any case)'],
  ['icontains', 'contains'],
  ['in', 'is one of (comma-separated)'],
  ['gt', '>'],
  ['gte', '≥'],
  ['lt', '<'],
  ['lte', '≤'],
  ['isnull', 'is empty'],
]);

/** One input of a list's filter form: a query parameter the resource's `listQuery` reads. */
interface ListFilter {
  readonly name: string;
  readonly label: string;
  readonly widget: 'select' | 'search' | 'number' | 'date' | 'datetime-local';
  /** The choices of a `select`: value and label. */
  readonly options: readonly (readonly [string, string])[];
  readonly value: string;
}

const YES_NO: readonly (readonly [string, string])[] = [
  ['', 'All'],
  ['true', 'Yes'],
  ['false', 'No'],
];

/** A query value as a form shows it back (of a repeated one, the last, as the list reads it). */
function queryValue(ctx: Context, name: string): string {
  const raw = ctx.query[name];
  return (Array.isArray(raw) ? raw.at(-1) : raw) ?? '';
}

/** The filter form of a list, from the resource's declared filters. */
function listFilters(ctx: Context, resource: AdminResource): ListFilter[] {
  return Object.entries(resource.filters ?? {}).flatMap(([field, lookups]) =>
    (lookups ?? []).map((lookup): ListFilter => {
      const declared: Field = resource.fields[field]!;
      const name = lookup === 'exact' ? field : `${field}__${lookup}`;
      const label = `${columnLabel(resource, field)} ${LOOKUP_LABELS.get(lookup)}`.trim();
      const choice = lookup === 'isnull' || declared.kind === 'boolean';
      const widget: ListFilter['widget'] = choice
        ? 'select'
        : lookup === 'in' || declared.kind === 'string' || declared.kind === 'text'
          ? 'search'
          : declared.kind === 'date' || declared.kind === 'datetime'
            ? declared.kind === 'date'
              ? 'date'
              : 'datetime-local'
            : 'number';
      return { name, label, widget, options: choice ? YES_NO : [], value: queryValue(ctx, name) };
    }),
  );
}

/** A link to the list with one query parameter set, the others kept (the page and notice dropped). */
function listLink(ctx: Context, name: string, value: string): string {
  const query = new URLSearchParams();
  for (const [key, raw] of Object.entries(ctx.query))
    if (key !== 'page' && key !== 'notice' && key !== name && typeof raw === 'string') query.set(key, raw);
  query.set(name, value);
  return `?${query.toString()}`;
}

/** The list's column headers: the representation's, then each of `admin.columns`, sortable if declared so. */
function listColumns(ctx: Context, resource: AdminResource) {
  const sortable = new Set(['id', ...(resource.ordering ?? [])]);
  const first = queryValue(ctx, 'ordering').split(',')[0]?.trim() ?? '';
  return [
    { label: titleOf(resource.verboseName), href: null, sorted: null },
    ...resource.admin.columns.map((name) => {
      if (!sortable.has(name)) return { label: columnLabel(resource, name), href: null, sorted: null };
      const sorted = first === name ? 'ascending' : first === `-${name}` ? 'descending' : null;
      return {
        label: columnLabel(resource, name),
        href: listLink(ctx, 'ordering', sorted === 'ascending' ? `-${name}` : name),
        sorted,
      };
    }),
  ];
}

/** Whether a resource offers an action through the API, which its admin offers alike. */
function offers(resource: Resource, ...actions: ResourceAction[]): boolean {
  return actions.some((action) => resource.actions.includes(action));
}

/**
 * The generic admin pages of the features' resources; every route is behind `session` (a staff
 * login; CSRF and origin checks on forms), and an unknown `:resource` is the panel's 404 before it.
 *
 * @param deps - the database
 * @param session - the admin's session guard
 * @param resources - the resources by name ({@link adminResources})
 * @example
 * router.use(adminResourceRoutes(deps, session, adminResources(features)).routes());
 */
export function adminResourceRoutes(
  deps: Deps,
  session: AdminGuard,
  resources: ReadonlyMap<string, AdminResource>,
): Router {
  const router = new Router();
  const { knex } = deps;

  /** The resource of `:resource`, or 404 (a map: `constructor` finds nothing). */
  const resourceOf = (ctx: Context): AdminResource => {
    const resource = resources.get(ctx.params.resource ?? '');
    if (!resource) throw notFound();
    return resource;
  };
  const known = async (ctx: Context, next: Next) => {
    resourceOf(ctx);
    await next();
  };
  /** 403 before anything is looked up when the rule allows no row at all, as the API answers. */
  const refuseOutright = (resource: Resource, actor: AuthUser, rule: 'view' | 'change' | 'delete') => {
    if (resource.access[rule](actor) === false) throw permissionDenied();
  };
  /** The row of `:id` inside the actor's view (else 404), locked when a write's transaction asks. */
  const rowOf = (ctx: Context, db: Knex | Knex.Transaction, resource: Resource, forUpdate = false) =>
    rowForAction(db, resource, adminUser(ctx), idParam(ctx), resource.access.view, { forUpdate });
  /** The row an action may act on: 404 outside the rows it finds, 403 unless the action's rule allows it. */
  const rowFor = (
    ctx: Context,
    db: Knex | Knex.Transaction,
    resource: Resource,
    rule: 'change' | 'delete',
    forUpdate = false,
  ) => rowForAction(db, resource, adminUser(ctx), idParam(ctx), resource.access[rule], { forUpdate });

  router.get('/:resource/', known, session, async (ctx) => {
    const resource = resourceOf(ctx);
    const actor = adminUser(ctx);
    refuseOutright(resource, actor, 'view');
    let page: HtmlPage<Representation> = { rows: [], count: 0, page: 1, pages: 1 };
    let errors: FieldErrors = {};
    try {
      const { query, refs } = resource.listQuery.parse(ctx.query);
      const refErrors = await checkRefFilters(knex, refs);
      if (Object.keys(refErrors).length) throw validationError(refErrors);
      const rows = resource.listQuery.apply(
        rowsQuery(knex, resource, resource.access.view(actor)),
        query,
        resource.table,
      );
      const fetched = await fetchHtmlPage<Record<string, unknown>>(rows, ctx.query.page);
      page = { ...fetched, rows: fetched.rows.map((row) => present(resource, row)) };
    } catch (error) {
      errors = formErrors(error);
    }
    render(
      ctx,
      'resources/list',
      {
        title: titleOf(resource.name),
        resource,
        page,
        errors,
        rows: page.rows.map((json) => ({
          id: json.id,
          repr: resource.repr(json),
          cells: resource.admin.columns.map((name) => cellText(json[name])),
        })),
        columns: listColumns(ctx, resource),
        filters: listFilters(ctx, resource),
        search: resource.search?.length ? queryValue(ctx, 'search') : null,
        ordering: queryValue(ctx, 'ordering'),
        canAdd: offers(resource, 'create') && resource.access.add(actor),
      },
      Object.keys(errors).length ? 400 : 200,
    );
  });

  /** The resource of an add page, or 404 when it offers no create, or 403 when the actor may not add. */
  const addable = (ctx: Context): AdminResource => {
    const resource = resourceOf(ctx);
    if (!offers(resource, 'create')) throw notFound();
    if (!resource.access.add(adminUser(ctx))) throw permissionDenied();
    return resource;
  };

  router.get('/:resource/add/', known, session, async (ctx) => {
    const resource = addable(ctx);
    renderForm(ctx, resource, null, inputValues(resource, {}), {});
  });

  router.post('/:resource/add/', known, session, async (ctx) => {
    const resource = addable(ctx);
    const actor = adminUser(ctx);
    const form = formOf(ctx);
    try {
      const fields = await parseInputChecked(resource.writeSchema, bodyOfForm(resource, form), (valid) =>
        checkFields(knex, resource, valid, null),
      );
      const created = await knex.transaction((trx) => insertRow(trx, resource, actor, fields));
      ctx.redirect(`/admin/${resource.name}/${String(created.id)}/change/?notice=created`);
    } catch (error) {
      renderForm(ctx, resource, null, inputValues(resource, form), formErrors(error), 400);
    }
  });

  router.get('/:resource/:id/change/', known, session, async (ctx) => {
    const resource = resourceOf(ctx);
    refuseOutright(resource, adminUser(ctx), 'view');
    const row = await rowOf(ctx, knex, resource);
    renderForm(ctx, resource, row, inputValues(resource, present(resource, row)), {});
  });

  router.post('/:resource/:id/change/', known, session, async (ctx) => {
    const resource = resourceOf(ctx);
    const actor = adminUser(ctx);
    if (!offers(resource, 'update', 'partial_update')) throw permissionDenied();
    refuseOutright(resource, actor, 'change');
    const form = formOf(ctx);
    let before: Record<string, unknown> | undefined;
    try {
      await knex.transaction(async (trx) => {
        before = await rowFor(ctx, trx, resource, 'change', true);
        const fields = await parseInputChecked(resource.writeSchema, bodyOfForm(resource, form), (valid) =>
          checkFields(trx, resource, valid, Number(before!.id)),
        );
        await updateRow(trx, resource, actor, before, fields);
      });
      ctx.redirect(`/admin/${resource.name}/${idParam(ctx)}/change/?notice=saved`);
    } catch (error) {
      const errors = formErrors(error);
      // A validation failure comes after the row was found: the form is shown again over it.
      if (!before) throw error;
      renderForm(ctx, resource, before, inputValues(resource, form), errors, 400);
    }
  });

  /** The resource of a delete page, or 404 when it offers no delete. */
  const deletable = (ctx: Context): AdminResource => {
    const resource = resourceOf(ctx);
    if (!offers(resource, 'destroy')) throw notFound();
    refuseOutright(resource, adminUser(ctx), 'delete');
    return resource;
  };

  router.get('/:resource/:id/delete/', known, session, async (ctx) => {
    const resource = deletable(ctx);
    const json = present(resource, await rowFor(ctx, knex, resource, 'delete'));
    render(ctx, 'resources/delete', {
      title: `Delete ${resource.verboseName}`,
      resource,
      object: { id: json.id, repr: resource.repr(json) },
    });
  });

  router.post('/:resource/:id/delete/', known, session, async (ctx) => {
    const resource = deletable(ctx);
    const actor = adminUser(ctx);
    await knex.transaction(async (trx) =>
      deleteRow(trx, resource, actor, await rowFor(ctx, trx, resource, 'delete', true)),
    );
    ctx.redirect(`/admin/${resource.name}/?notice=deleted`);
  });

  router.get('/:resource/:id/history/', known, session, async (ctx) => {
    const resource = resourceOf(ctx);
    refuseOutright(resource, adminUser(ctx), 'view');
    const json = present(resource, await rowOf(ctx, knex, resource));
    const entries = auditQuery(knex, { targetType: resource.model, targetId: String(json.id) });
    render(ctx, 'resources/history', {
      title: `Change history: ${resource.repr(json)}`,
      resource,
      object: { id: json.id, repr: resource.repr(json) },
      page: await fetchHtmlPage<AuditEntry>(entries, ctx.query.page),
    });
  });

  /**
   * The add form (`row` null) or the change form of a row (by column), read-only where the actor
   * may not change it, with a delete link where it may delete it.
   */
  function renderForm(
    ctx: Context,
    resource: Resource,
    row: Readonly<Record<string, unknown>> | null,
    values: Record<string, string | boolean>,
    errors: FieldErrors,
    status = 200,
  ): void {
    const actor = adminUser(ctx);
    const json = row && present(resource, row);
    const may = (rule: 'change' | 'delete') => row !== null && allows(resource.access[rule](actor), row);
    render(
      ctx,
      'resources/form',
      {
        title: json ? `Change ${resource.verboseName}` : `Add ${resource.verboseName}`,
        resource,
        object: json && { id: json.id, repr: resource.repr(json) },
        inputs: formInputs(resource),
        readOnly: json ? readOnlyValues(resource, json) : [],
        values,
        errors,
        canSave: json ? offers(resource, 'update', 'partial_update') && may('change') : true,
        canDelete: offers(resource, 'destroy') && may('delete'),
      },
      status,
    );
  }

  return router;
}
