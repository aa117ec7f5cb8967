/**
 * The API of a declared resource, as DRF's `ModelViewSet` serves it: `/api/<name>/` lists
 * (paginated, filtered, searched, ordered) and creates, `/api/<name>/{id}/` reads, replaces,
 * changes and deletes. DRF's order of answers holds: 401, then 403 when the action's rule says
 * no, then 404 outside the rows the actor sees, then 403 outside the action's scope, then 400.
 * Each write runs in one transaction opened here, with its audit entry.
 *
 * @module
 */
import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Context } from 'koa';
import { authenticate, currentUser } from '../auth/authenticate.js';
import type { Deps } from '../deps.js';
import { permissionDenied, validationError } from '../errors.js';
import { setDownloadHeaders } from '../http/download.js';
import { apiOrigin } from '../http/origin.js';
import { PAGINATION, pageOf } from '../http/pagination.js';
import { INTEGER_ID, queryParameters, rowIdParam, UUID_ID } from '../http/params.js';
import { responds } from '../http/responds.js';
import { declaration } from '../http/route-metadata.js';
import { parseInput, parseInputChecked } from '../http/validate.js';
import type { Rule } from './access.js';
import { bodySchemaOf, type Fields } from './fields.js';
import { ResourcePages } from './pages.js';
import { Attachment, type AnswerContext, type Resource, type ResourceRow } from './resource.js';
import {
  checkFields,
  checkRefFilters,
  destroyRow,
  findRow,
  insertRow,
  answerRows,
  present,
  rowForAction,
  rowIdOf,
  updateRow,
  type Representation,
  type RowId,
} from './store.js';

/**
 * The router of a resource, mounted under `/api`.
 *
 * @param deps - the database and configuration
 * @param resource - the declaration
 * @example
 * api.use(resourceRoutes(deps, projects).routes());
 */
export function resourceRoutes(deps: Deps, resource: Resource): Router {
  const router = new Router();
  const auth = authenticate(deps);
  const { knex } = deps;
  const { access, codenames, verboseName } = resource;
  // What the document names: the permission an action needs outright (none where a scope stands in).
  const needs = (action: 'view' | 'add' | 'change' | 'delete') =>
    (access.requires ? access.requires[action] : codenames[action]) ?? undefined;
  const list = `/${resource.name}/`;
  const detail = `/${resource.name}/:id/`;
  const ID = resource.key === 'uuid' ? UUID_ID : INTEGER_ID;
  // Plain data, made only where an answer is built: an object literal with a getter over `ctx`
  // is allocated in V8's old generation, and kept each request it closed over alive until a full
  // collection (a cached list scavenged six times as long, and served a fifth fewer requests).
  const context = (ctx: Context): AnswerContext => ({ deps, origin: apiOrigin(ctx) });
  const answerOne = async (ctx: Context, row: Readonly<Record<string, unknown>>) =>
    (await answerRows(resource, [row], () => context(ctx)))[0]!;
  /** A row just written, answered: its representation, or the row read again for its computed fields. */
  const answerWritten = async (ctx: Context, json: Representation) =>
    Object.keys(resource.computed).length === 0
      ? json
      : answerOne(ctx, (await findRow(knex, resource, true, json.id as RowId))!);
  const offers = (action: Resource['actions'][number]) => resource.actions.includes(action);
  const tag = { tag: { name: resource.name, description: resource.description } };
  /** The API reference's description of an action: the declaration's, or the generic one. */
  const describe = (action: Resource['actions'][number], generic: string) => resource.descriptions?.[action] ?? generic;

  /**
   * The row of `:id` the actor sees, or 404; checked against the action's rule (403); for a write,
   * locked in its transaction. An actor whose rule allows every row (the model permission) finds
   * every row, as DRF's `DjangoModelPermissions` needs no `view_` permission to change or delete.
   */
  async function objectFor(ctx: Context, db: Knex | Knex.Transaction, rule: Rule, forUpdate: boolean) {
    return rowForAction(db, resource, currentUser(ctx), rowIdParam(ctx, resource.key), rule, { forUpdate });
  }

  /** 403 before anything is looked up when the rule allows no row at all (DRF's `has_permission`). */
  const refuseOutright = (ctx: Context, rule: 'view' | 'change' | 'delete') => {
    if (access[rule](currentUser(ctx)) === false) throw permissionDenied();
  };

  const pages = new ResourcePages(deps, resource);

  // Before the detail routes: `/<name>/<action>/` is not an object's id.
  for (const [name, extra] of Object.entries(resource.extraActions)) {
    const rule = typeof extra.rule === 'string' ? access[extra.rule] : extra.rule;
    const writes = extra.method === 'post';
    const bodySchema = extra.body && bodySchemaOf(extra.body);
    router[extra.method](
      extra.detail ? `/${resource.name}/:id/${name}/` : `/${resource.name}/${name}/`,
      ...(extra.detail ? [ID] : []),
      auth,
      declaration({ permission: extra.permission, body: bodySchema, ...tag }),
      responds(
        { ...extra.response, schema: extra.response.schema === 'row' ? resource.jsonSchema : extra.response.schema },
        { summary: extra.summary, description: extra.description },
      ),
      async (ctx) => {
        const actor = currentUser(ctx);
        if (rule(actor) === false) throw permissionDenied();
        const run = async (db: Knex | Knex.Transaction) => {
          const row = extra.detail ? await objectFor(ctx, db, rule, writes) : null;
          const body = bodySchema ? parseInput(bodySchema, ctx.request.body) : {};
          const change = async (fields: Readonly<Record<string, unknown>>) => {
            if (!row || !writes) throw new Error(`${resource.name}.${name}: change() needs a detail POST action`);
            return (await updateRow(db as Knex.Transaction, resource, actor, row, fields)) as ResourceRow<Fields>;
          };
          const presented = row && (present(resource, row) as ResourceRow<Fields>);
          return extra.run({ deps, db, actor, row: presented, record: row, body, change });
        };
        const answer = writes ? await knex.transaction(run) : await run(knex);
        ctx.status = extra.response.status;
        if (answer instanceof Attachment) {
          setDownloadHeaders(ctx, answer);
          ctx.body = answer.body;
        } else if (extra.response.schema) ctx.body = answer;
      },
    );
  }

  if (offers('list'))
    router.get(
      list,
      auth,
      declaration({ permission: needs('view'), ...tag }),
      queryParameters({ ...PAGINATION, ...resource.listQuery.parameters() }),
      responds(
        { status: 200, description: `A page of ${resource.name}.`, schema: pageOf(resource.jsonSchema) },
        {
          summary: `List ${resource.name}`,
          description: describe('list', `Paginated, filtered, searched and ordered ${resource.name} the user may see.`),
        },
      ),
      async (ctx) => {
        refuseOutright(ctx, 'view');
        const { query, refs } = resource.listQuery.parse(ctx.query);
        const refErrors = await checkRefFilters(knex, refs);
        if (Object.keys(refErrors).length) throw validationError(refErrors);
        ctx.type = 'json';
        ctx.body = await pages.page(ctx, access.view(currentUser(ctx)), query, () => context(ctx));
      },
    );

  if (offers('create'))
    router.post(
      list,
      auth,
      declaration({ permission: needs('add'), body: resource.writeSchema, ...tag }),
      responds(
        { status: 201, description: `The ${verboseName} created.`, schema: resource.jsonSchema },
        {
          summary: `Create a ${verboseName}`,
          description: describe('create', `Needs \`${codenames.add}\`, or a rule that allows it.`),
        },
      ),
      async (ctx) => {
        const actor = currentUser(ctx);
        if (!access.add(actor)) throw permissionDenied();
        const fields = await parseInputChecked(resource.writeSchema, ctx.request.body, (valid) =>
          checkFields(knex, resource, valid, null),
        );
        const json = await knex.transaction((trx) => insertRow(trx, resource, actor, fields));
        ctx.status = 201;
        ctx.body = await answerWritten(ctx, json);
      },
    );

  if (offers('retrieve'))
    router.get(
      detail,
      ID,
      auth,
      declaration({ permission: needs('view'), ...tag }),
      responds(
        { status: 200, description: `The ${verboseName}.`, schema: resource.jsonSchema },
        {
          summary: `Read a ${verboseName}`,
          description: describe('retrieve', `One ${verboseName} the user may see; any other id is 404.`),
        },
      ),
      async (ctx) => {
        refuseOutright(ctx, 'view');
        ctx.body = await answerOne(ctx, await objectFor(ctx, knex, access.view, false));
      },
    );

  // DRF looks the object up, and checks the permission on it, before it validates the body.
  const changes = [
    {
      action: 'update',
      method: 'put',
      schema: resource.writeSchema,
      summary: `Replace a ${verboseName}`,
      description: describe('update', 'Every required field; an optional one left out keeps its value.'),
    },
    {
      action: 'partial_update',
      method: 'patch',
      schema: resource.patchSchema,
      summary: `Change a ${verboseName}`,
      description: describe('partial_update', 'The fields sent.'),
    },
  ] as const;
  for (const { action, method, schema, summary, description } of changes)
    if (offers(action))
      router[method](
        detail,
        ID,
        auth,
        declaration({ permission: needs('change'), body: schema, ...tag }),
        responds(
          { status: 200, description: `The ${verboseName}, changed.`, schema: resource.jsonSchema },
          { summary, description },
        ),
        async (ctx) => {
          refuseOutright(ctx, 'change');
          const json = await knex.transaction(async (trx) => {
            const row = await objectFor(ctx, trx, access.change, true);
            const fields = await parseInputChecked(schema, ctx.request.body, (valid) =>
              checkFields(trx, resource, valid, rowIdOf(resource, row)),
            );
            return updateRow(trx, resource, currentUser(ctx), row, fields);
          });
          ctx.body = await answerWritten(ctx, json);
        },
      );

  if (offers('destroy'))
    router.delete(
      detail,
      ID,
      auth,
      declaration({ permission: needs('delete'), ...tag }),
      responds(
        { status: 204, description: 'Deleted.' },
        {
          summary: `Delete a ${verboseName}`,
          description: describe('destroy', `Needs \`${codenames.delete}\`, or a rule that allows it.`),
        },
      ),
      async (ctx) => {
        refuseOutright(ctx, 'delete');
        await destroyRow(deps, resource, currentUser(ctx), rowIdParam(ctx, resource.key));
        ctx.status = 204;
      },
    );

  return router;
}
