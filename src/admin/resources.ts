/**
 * The generic model admin (Django's `ModelAdmin`): every declared resource of every feature gets,
 * under `/admin/<name>/`, a list (its representation and `admin.columns`, a reference as the text
 * of the row it names; filtered, searched and ordered by the same `listQuery` as the API, paged as
 * the other lists), add and change forms (one input per writable field, a reference as a
 * `<select>`, a many-to-many field as checkboxes of its slugs; validated by `writeSchema` and the
 * database checks, DRF's messages beside the inputs), a button per extra action that takes no
 * body (a detail `POST`), a delete confirmation, and each object's history from the audit log.
 * The pages follow the resource's `actions`: no add page without `create`, no delete without
 * `destroy`, a read-only change page without `update` or `partial_update`. Access is the
 * resource's rules as the API applies them: 403 when a rule allows no row, 404 outside the rows
 * seen, 403 outside the action's scope. Each write runs in one transaction with its audit entry
 * (`store.ts`).
 *
 * @module
 */
import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Context, Next } from 'koa';
import type { AuthUser } from '../auth/authenticate.js';
import type { Deps } from '../deps.js';
import { notFound, permissionDenied, validationError, type FieldErrors } from '../errors.js';
import { rowIdParam } from '../http/params.js';
import { parseInputChecked } from '../http/validate.js';
import { allows, type Rule } from '../resources/access.js';
import { resourcesOf, type Feature } from '../resources/features.js';
import type { Field, Fields } from '../resources/fields.js';
import type { Lookup } from '../resources/list-query.js';
import type { ExtraAction, Resource, ResourceAction, ResourceRow } from '../resources/resource.js';
import {
  checkFields,
  checkRefFilters,
  destroyRow,
  insertRow,
  present,
  rowForAction,
  rowIdOf,
  rowsQuery,
  updateRow,
  type Representation,
} from '../resources/store.js';
import { auditQuery, type AuditEntry } from './audit.js';
import { formErrors, formOf } from './form.js';
import { titleOf } from './navigation.js';
import { fetchHtmlPage, type HtmlPage } from './pages.js';
import { relatedRows, type RelatedRows } from './related.js';
import { adminWording, render } from './render.js';
import {
  bodyOfForm,
  cellOf,
  columnLabel,
  formInputs,
  inputValues,
  readOnlyValues,
  withShownValues,
  type FormInput,
} from './resource-form.js';
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

/**
 * The filter form of a list, from the resource's declared filters. A reference's exact filter is a
 * select of the rows the staff member may see, as on the forms (an id input past their limit).
 */
async function listFilters(
  ctx: Context,
  resource: AdminResource,
  related: RelatedRows,
  actor: AuthUser,
): Promise<ListFilter[]> {
  const filters: ListFilter[] = [];
  for (const [field, lookups] of Object.entries(resource.filters ?? {})) {
    const declared: Field = resource.fields[field]!;
    for (const lookup of lookups ?? []) {
      const name = lookup === 'exact' ? field : `${field}__${lookup}`;
      const label = `${columnLabel(resource, field)} ${LOOKUP_LABELS.get(lookup)}`.trim();
      const value = queryValue(ctx, name);
      const choice = lookup === 'isnull' || declared.kind === 'boolean';
      const rows = declared.kind === 'ref' && lookup === 'exact' ? await related.refChoices(actor, declared) : null;
      if (Array.isArray(rows)) {
        const known = value === '' || rows.some(([id]) => id === value);
        const options = [['', 'All'] as const, ...rows, ...(known ? [] : [[value, value] as const])];
        filters.push({ name, label, widget: 'select', options, value });
        continue;
      }
      const widget: ListFilter['widget'] = choice
        ? 'select'
        : lookup === 'in' || declared.kind === 'string' || declared.kind === 'text'
          ? 'search'
          : declared.kind === 'date' || declared.kind === 'datetime'
            ? declared.kind === 'date'
              ? 'date'
              : 'datetime-local'
            : 'number';
      filters.push({ name, label, widget, options: choice ? YES_NO : [], value });
    }
  }
  return filters;
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
    { label: titleOf(adminWording(resource.verboseName)), href: null, sorted: null },
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
 * The extra actions a change page offers as buttons, by name: those on one object (`detail`)
 * that `POST` without a body. An action with a body, a `GET` one, or one on the list is the API's
 * alone. A map: a name such as `constructor` finds nothing.
 */
export function buttonActions(resource: Resource): ReadonlyMap<string, ExtraAction<Fields>> {
  return new Map(
    Object.entries(resource.extraActions).filter(
      ([, extra]) => extra.detail && extra.method === 'post' && extra.body === undefined,
    ),
  );
}

/** The rule that decides an extra action: one of the resource's, or the action's own. */
function ruleOf(resource: Resource, extra: ExtraAction<Fields>): Rule {
  return typeof extra.rule === 'string' ? resource.access[extra.rule] : extra.rule;
}

/**
 * The text of the references of some rows, by field and id, one query per field: what the list's
 * cells and the change page's read-only values show in place of the ids.
 */
async function referenceTexts(
  related: RelatedRows,
  actor: AuthUser,
  resource: Resource,
  rows: readonly Representation[],
  names: readonly string[],
): Promise<Map<string, Map<number, string>>> {
  const texts = new Map<string, Map<number, string>>();
  for (const name of names) {
    const declared: Field | undefined = resource.fields[name];
    if (declared?.kind !== 'ref') continue;
    const ids = rows.map((json) => json[name]).filter((id): id is number => typeof id === 'number');
    texts.set(name, await related.refLabels(actor, declared, ids));
  }
  return texts;
}

/**
 * The messages of fields a form has no input for (a read-only field an extra action refused), each
 * after the field's label, for the top of the form.
 */
function otherErrors(resource: Resource, errors: FieldErrors, inputs: readonly FormInput[]): string[] {
  const shown = new Set(['non_field_errors', ...inputs.map((input) => input.name)]);
  return Object.entries(errors)
    .filter(([name]) => !shown.has(name))
    .flatMap(([name, messages]) => {
      const label = Object.hasOwn(resource.fields, name) ? columnLabel(resource, name) : name;
      return (Array.isArray(messages) ? messages : Object.values(messages).flat()).map((m) => `${label}: ${m}`);
    });
}

/**
 * The generic admin pages of the features' resources; every route is behind `session` (a staff
 * login; CSRF and origin checks on forms), and an unknown `:resource` is the panel's 404 before it.
 *
 * @param deps - the database
 * @param session - the admin's session guard
 * @param resources - the resources by name ({@link adminResources})
 * @param declared - every declared resource, administered or not: the tables whose rows a
 *   reference's `<select>` lists by their `repr`; the administered ones by default
 * @example
 * router.use(adminResourceRoutes(deps, session, adminResources(features), resourcesOf(features)).routes());
 */
export function adminResourceRoutes(
  deps: Deps,
  session: AdminGuard,
  resources: ReadonlyMap<string, AdminResource>,
  declared: readonly Resource[] = [...resources.values()],
): Router {
  const router = new Router();
  const { knex } = deps;
  const related = relatedRows(knex, declared);

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
    rowForAction(db, resource, adminUser(ctx), rowIdParam(ctx, resource.key), resource.access.view, { forUpdate });
  /** The row an action may act on: 404 outside the rows it finds, 403 unless the action's rule allows it. */
  const rowFor = (
    ctx: Context,
    db: Knex | Knex.Transaction,
    resource: Resource,
    rule: 'change' | 'delete',
    forUpdate = false,
  ) => rowForAction(db, resource, adminUser(ctx), rowIdParam(ctx, resource.key), resource.access[rule], { forUpdate });

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
    const texts = await referenceTexts(related, actor, resource, page.rows, resource.admin.columns);
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
          cells: resource.admin.columns.map((name) => cellOf(json, name, texts)),
        })),
        columns: listColumns(ctx, resource),
        filters: await listFilters(ctx, resource, related, actor),
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
    await renderForm(ctx, resource, null, null, {});
  });

  router.post('/:resource/add/', known, session, async (ctx) => {
    const resource = addable(ctx);
    const actor = adminUser(ctx);
    const form = formOf(ctx);
    const inputs = await formInputs(resource, related, actor);
    try {
      const fields = await parseInputChecked(resource.writeSchema, bodyOfForm(resource, form, inputs), (valid) =>
        checkFields(knex, resource, valid, null),
      );
      const created = await knex.transaction((trx) => insertRow(trx, resource, actor, fields));
      ctx.redirect(`/admin/${resource.name}/${String(created.id)}/change/?notice=created`);
    } catch (error) {
      await renderForm(ctx, resource, null, form, formErrors(error), 400, inputs);
    }
  });

  router.get('/:resource/:id/change/', known, session, async (ctx) => {
    const resource = resourceOf(ctx);
    refuseOutright(resource, adminUser(ctx), 'view');
    await renderForm(ctx, resource, await rowOf(ctx, knex, resource), null, {});
  });

  router.post('/:resource/:id/change/', known, session, async (ctx) => {
    const resource = resourceOf(ctx);
    const actor = adminUser(ctx);
    if (!offers(resource, 'update', 'partial_update')) throw permissionDenied();
    refuseOutright(resource, actor, 'change');
    const form = formOf(ctx);
    const inputs = await formInputs(resource, related, actor);
    let before: Record<string, unknown> | undefined;
    try {
      await knex.transaction(async (trx) => {
        before = await rowFor(ctx, trx, resource, 'change', true);
        const fields = await parseInputChecked(resource.writeSchema, bodyOfForm(resource, form, inputs), (valid) =>
          checkFields(trx, resource, valid, rowIdOf(resource, before!)),
        );
        await updateRow(trx, resource, actor, before, fields);
      });
      ctx.redirect(`/admin/${resource.name}/${rowIdParam(ctx, resource.key)}/change/?notice=saved`);
    } catch (error) {
      const errors = formErrors(error);
      // A validation failure comes after the row was found: the form is shown again over it.
      if (!before) throw error;
      await renderForm(ctx, resource, before, form, errors, 400, inputs);
    }
  });

  // An extra action, as the API runs it: 403 when its rule allows no row, 404 outside the view,
  // 403 outside its rule's scope; one transaction, its writes audited through `change()`.
  router.post('/:resource/:id/actions/:action/', known, session, async (ctx) => {
    const resource = resourceOf(ctx);
    const name = ctx.params.action ?? '';
    const extra = buttonActions(resource).get(name);
    if (!extra) throw notFound();
    const actor = adminUser(ctx);
    const rule = ruleOf(resource, extra);
    if (rule(actor) === false) throw permissionDenied();
    try {
      await knex.transaction(async (trx) => {
        const row = await rowForAction(trx, resource, actor, rowIdParam(ctx, resource.key), rule, { forUpdate: true });
        const change = async (fields: Readonly<Record<string, unknown>>) =>
          (await updateRow(trx, resource, actor, row, fields)) as ResourceRow<Fields>;
        await extra.run({
          deps,
          db: trx,
          actor,
          row: present(resource, row) as ResourceRow<Fields>,
          record: row,
          body: {},
          change,
        });
      });
    } catch (error) {
      // The action refused the row (a 400): the change page shows why, over the row as it is.
      const errors = formErrors(error);
      await renderForm(ctx, resource, await rowOf(ctx, knex, resource), null, errors, 400);
      return;
    }
    ctx.redirect(
      `/admin/${resource.name}/${rowIdParam(ctx, resource.key)}/change/?notice=action&action=${encodeURIComponent(name)}`,
    );
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
    await destroyRow(deps, resource, actor, rowIdParam(ctx, resource.key));
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
   * may not change it, with a delete link where it may delete it and a button per extra action
   * its rule allows on the row.
   *
   * @param form - the submitted form to show again, or `null` for the row's values (empty to add)
   * @param inputs - the form's inputs, when the caller has them already
   */
  async function renderForm(
    ctx: Context,
    resource: Resource,
    row: Readonly<Record<string, unknown>> | null,
    form: URLSearchParams | null,
    errors: FieldErrors,
    status = 200,
    inputs?: FormInput[],
  ): Promise<void> {
    const actor = adminUser(ctx);
    const json = row && present(resource, row);
    const may = (rule: Rule) => row !== null && allows(rule(actor), row);
    const values = inputValues(resource, form ?? json ?? {});
    const shown = withShownValues(inputs ?? (await formInputs(resource, related, actor)), values);
    const actions = [...buttonActions(resource)].filter(([, extra]) => may(ruleOf(resource, extra)));
    const done = ctx.query.notice === 'action' ? buttonActions(resource).get(String(ctx.query.action)) : undefined;
    const readOnlyNames = Object.keys(resource.fields).filter((name) => resource.fields[name]!.readOnly);
    render(
      ctx,
      'resources/form',
      {
        title: json ? `Change ${resource.verboseName}` : `Add ${resource.verboseName}`,
        resource,
        object: json && { id: json.id, repr: resource.repr(json) },
        inputs: shown,
        readOnly: json
          ? readOnlyValues(resource, json, await referenceTexts(related, actor, resource, [json], readOnlyNames))
          : [],
        values,
        errors,
        otherErrors: otherErrors(resource, errors, shown),
        canSave: json ? offers(resource, 'update', 'partial_update') && may(resource.access.change) : true,
        canDelete: offers(resource, 'destroy') && may(resource.access.delete),
        actions: actions.map(([name, extra]) => ({ name, label: extra.summary })),
        ...(done ? { notice: `The action “${done.summary}” was carried out.` } : {}),
      },
      status,
    );
  }

  return router;
}
