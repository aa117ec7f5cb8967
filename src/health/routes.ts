/**
 * `GET /api/health/`: whether the process can reach what it depends on.
 *
 * @module
 */
import Router from '@koa/router';
import { z } from 'zod';
import { responds } from '../http/responds.js';

const State = z.enum(['ok', 'down']);
/** The health report: overall, and per dependency (`database`, `storage`). */
const HealthJson = z.strictObject({ status: State, checks: z.record(z.string(), State) });

/** A named dependency check: resolves when the dependency answers, rejects otherwise. */
export interface HealthCheck {
  readonly name: string;
  /** Resolves when the dependency answers; a rejection (or a time-out) reports it `down`. */
  check(): Promise<void>;
}

const CHECK_TIMEOUT_MS = 2_000;

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

/** The health router, mounted under `/api`: 200 when every check passes, 503 naming what is down. */
export function healthRoutes(checks: readonly HealthCheck[]): Router {
  const router = new Router();
  router.get(
    '/health/',
    responds({
      status: 200,
      description: 'Everything answers; 503 with the same body when something is down.',
      schema: HealthJson,
    }),
    async (ctx) => {
      const report = await runHealthChecks(checks);
      ctx.status = report.healthy ? 200 : 503;
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: report.healthy ? 'ok' : 'down', checks: report.checks };
    },
  );
  return router;
}
