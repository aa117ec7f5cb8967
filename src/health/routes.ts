/**
 * The health routes: `GET /api/health/` (whether the process reaches what it depends on), and the
 * orchestrator's probes — `GET /api/health/live/` (the process serves) and `GET /api/health/ready/`
 * (it may be sent traffic: database and storage answer, the schema is at the latest migration, and
 * it is not draining after SIGTERM).
 *
 * @module
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import type { Knex } from 'knex';
import { z } from 'zod';
import { migrationConfig, migrationSource } from '../db/database.js';
import { responds } from '../http/responds.js';

const State = z.enum(['ok', 'down']);
/** The health report: overall, and per dependency (`database`, `storage`, and for readiness `migrations`, `draining`). */
const HealthJson = z.strictObject({ status: State, checks: z.record(z.string(), State) });
/** The liveness answer. */
const LiveJson = z.strictObject({ status: z.literal('ok') });

/** A named dependency check: resolves when the dependency answers, rejects otherwise. */
export interface HealthCheck {
  readonly name: string;
  /** Resolves when the dependency answers; a rejection (or a time-out) reports it `down`. */
  check(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2_000;

/**
 * Whether the process still takes new work. The server calls {@link Readiness.drain} first thing on
 * SIGTERM, so the readiness probe answers 503 while in-flight requests finish.
 */
export class Readiness {
  #draining = false;

  /** True once {@link Readiness.drain} was called. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Marks the process as draining: from now on the readiness probe answers 503. */
  drain(): void {
    this.#draining = true;
  }

  /** The `draining` check: `down` once draining. */
  readonly check: HealthCheck = {
    name: 'draining',
    check: () => (this.#draining ? Promise.reject(new Error('draining')) : Promise.resolve()),
  };
}

/**
 * The `migrations` check: resolves when every migration of this build is recorded as applied in the
 * database. Once that holds it is remembered (the process's migrations never change), so that a
 * probe every few seconds costs one `select 1`, not a listing of the migrations table.
 *
 * @param knex - the database, configured with the project's migrations
 */
export function migrationsCheck(knex: Knex): HealthCheck {
  let current = false;
  return {
    name: 'migrations',
    async check() {
      if (current) return;
      // Read directly, not through knex.migrate.list(): that creates the migrations table when absent
      // and refuses a database that a newer release has migrated further (old pods of a rolling
      // update stay ready).
      const rows = (await knex(migrationConfig.tableName!).select('name')) as Array<{ name: string }>;
      const done = new Set(rows.map((row) => row.name));
      const wanted = (await migrationSource.getMigrations([])).map((file) => migrationSource.getMigrationName(file));
      const pending = wanted.filter((name) => !done.has(name));
      if (pending.length) throw new Error(`pending migrations: ${pending.join(', ')}`);
      current = true;
    },
  };
}

/**
 * Runs every check (each bounded in time) and reports them.
 *
 * @returns `ok` or `down` per check, and whether all are `ok`
 */
export async function runHealthChecks(
  checks: readonly HealthCheck[],
): Promise<{ healthy: boolean; checks: Record<string, 'ok' | 'down'> }> {
  const results = await Promise.all(
    checks.map(async ({ name, check }) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
      });
      try {
        await Promise.race([check(), timeout]);
        return [name, 'ok'] as const;
      } catch {
        return [name, 'down'] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return { healthy: results.every(([, status]) => status === 'ok'), checks: Object.fromEntries(results) };
}

/** What the health routes check. */
export interface HealthRoutesOptions {
  /** What `/api/health/` and the readiness probe check: the database and the storage. */
  readonly checks: readonly HealthCheck[];
  /** What only the readiness probe checks in addition: the schema's migrations. */
  readonly readinessChecks: readonly HealthCheck[];
  /** Whether the process is draining (the readiness probe then answers 503). */
  readonly readiness: Readiness;
}

/**
 * The health router, mounted under `/api`: `/health/` (200 when every check passes, 503 naming what
 * is down), `/health/live/` and `/health/ready/`. None of them is throttled or needs authentication.
 */
export function healthRoutes({ checks, readinessChecks, readiness }: HealthRoutesOptions): Router {
  const router = new Router();
  const report = (all: readonly HealthCheck[]) => async (ctx: Context) => {
    const result = await runHealthChecks(all);
    ctx.status = result.healthy ? 200 : 503;
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { status: result.healthy ? 'ok' : 'down', checks: result.checks };
  };
  router.get(
    '/health/',
    responds(
      {
        status: 200,
        description: 'Everything answers; 503 with the same body when something is down.',
        schema: HealthJson,
      },
      {
        summary: 'Check health',
        description: 'Database and storage.',
        others: [
          { status: 503, description: 'Something is down: the same report, `status: "down"`.', schema: HealthJson },
        ],
      },
    ),
    report(checks),
  );
  router.get(
    '/health/live/',
    responds(
      {
        status: 200,
        description: 'The process serves (liveness probe; checks no dependency).',
        schema: LiveJson,
      },
      {
        summary: 'Liveness probe',
        description:
          'Answers while the process serves; checks no dependency, so a database outage does not restart it.',
      },
    ),
    (ctx) => {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok' };
    },
  );
  router.get(
    '/health/ready/',
    responds(
      {
        status: 200,
        description:
          'Ready for traffic: database and storage answer, the schema is migrated, not draining; 503 with the same body otherwise.',
        schema: HealthJson,
      },
      {
        summary: 'Readiness probe',
        description:
          'Database and storage answer, every migration is applied, and the process is not draining (SIGTERM).',
        others: [{ status: 503, description: 'Not ready: the same report, `status: "down"`.', schema: HealthJson }],
      },
    ),
    report([...checks, ...readinessChecks, readiness.check]),
  );
  return router;
}
