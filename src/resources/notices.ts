/**
 * Change notices of declared resources, for the list page caches: a statement-level trigger on
 * each resource's table, and on the tables of its many-to-many fields, sends the resource notice
 * (`r:<table>`, {@link "db/notice-protocol"}) whenever a statement writes them — whoever writes: an instance, the
 * CLI, `psql`, a foreign key's `SET NULL`. `migrate` keeps the triggers in step with the
 * declarations, as it does the permissions.
 *
 * @module
 */
import type { Knex } from 'knex';
import { NOTICE_CHANNEL, RESOURCE_NOTICE_PREFIX } from '../db/notice-protocol.js';
import type { Resource } from './resource.js';

/** The function every resource trigger runs; its argument is the resource's table. */
const FUNCTION = 'backoffice_resource_notify';

/** Serializes the trigger changes of processes migrating at once (any constant of ours). */
const LOCK = 0x6261636b; // "back"

const SQL_NAME = /^[a-z_][a-z0-9_]*$/;

/** The tables whose writes change a resource's representation, its own first. */
function watchedTables(resource: Pick<Resource, 'table' | 'manyToMany'>): string[] {
  const related = Object.values(resource.manyToMany).flatMap((declared) => [declared.through, declared.table]);
  return [...new Set([resource.table, ...related])];
}

/**
 * Creates the notice triggers of every declared resource that lacks them, under a lock so that
 * processes migrating at once do not race.
 *
 * @param knex - the migrated database
 * @returns the triggers created, as `table.trigger`
 * @throws Error for a table name that is not a plain lower-case SQL name (a declaration bug)
 */
export async function syncResourceNotices(
  knex: Knex,
  resources: readonly Pick<Resource, 'table' | 'manyToMany'>[],
): Promise<string[]> {
  return knex.transaction(async (trx) => {
    await trx.raw('SELECT pg_advisory_xact_lock(?)', [LOCK]);
    await trx.raw(`
CREATE OR REPLACE FUNCTION ${FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${NOTICE_CHANNEL}', '${RESOURCE_NOTICE_PREFIX}' || TG_ARGV[0]);
  RETURN NULL;
END $$`);
    const created: string[] = [];
    for (const resource of resources) {
      for (const table of watchedTables(resource)) {
        if (!SQL_NAME.test(table) || !SQL_NAME.test(resource.table))
          throw new Error(`resource table "${resource.table}" or "${table}": not a plain SQL name`);
        const trigger = `backoffice_notify_${resource.table}`;
        const found = await trx('pg_trigger')
          .where({ tgname: trigger })
          .andWhereRaw('tgrelid = ?::regclass', [table])
          .first('oid');
        if (found) continue;
        await trx.raw(
          `CREATE TRIGGER ?? AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ?? FOR EACH STATEMENT EXECUTE FUNCTION ${FUNCTION}('${resource.table}')`,
          [trigger, table],
        );
        created.push(`${table}.${trigger}`);
      }
    }
    return created;
  });
}
