/**
 * The database section: embedded PostgreSQL (PGlite) in `DATA_DIR`, or a PostgreSQL server by
 * `DATABASE_URL` or by parts (`POSTGRES_*`).
 *
 * @module
 */
import path from 'node:path';
import { duration, int, optionalText, section, text, url } from '../declare.js';

/** Where the relational data lives. */
export type DatabaseConfig =
  | {
      /** Embedded PostgreSQL (PGlite) in a directory, or in memory when `dataDir` is `null`. */
      readonly kind: 'pglite';
      readonly dataDir: string | null;
    }
  | {
      /** A PostgreSQL server. */
      readonly kind: 'postgres';
      readonly connectionString: string;
      /** Upper bound of the connection pool per process. */
      readonly poolMax: number;
      /**
       * `DATABASE_STATEMENT_TIMEOUT`: seconds a statement of the server's may run before PostgreSQL
       * cancels it (a 503 to the client); `0` lets statements run as long as they take. The CLI
       * (migrations, imports) runs without it.
       */
      readonly statementTimeout: number;
    };

/** The database's variables and the part of the configuration they make. */
export const DATABASE = section(
  'database',
  {
    DATA_DIR: text('./data').means(
      'Folder of the embedded database (`pglite/`) and of uploads in local storage (`media/`). `:memory:` keeps the embedded database in memory (tests).',
    ),
    DATABASE_URL: url(['postgres', 'postgresql']).means(
      'A PostgreSQL server: `postgres://user:password@host:5432/db` (or `postgresql://`).',
    ),
    DATABASE_STATEMENT_TIMEOUT: duration('30s', { allowOff: true }).means(
      'How long a statement the server sends to a PostgreSQL server may run before PostgreSQL cancels it (`statement_timeout`); the request then gets `503 {"detail": "Service temporarily unavailable."}`. Bounds what one request can cost the database. `off` (or `0`) lets statements run to the end. The CLI (migrations, `import-django`, cleanups) runs without it. Embedded PostgreSQL cannot cancel a statement, but runs in a thread of its own, so a slow one never stops the server from answering.',
    ),
    DATABASE_POOL_MAX: int(10, 1, 1000).means(
      'Connections per process to the PostgreSQL server; the total is this times `WEB_CONCURRENCY`, plus one per worker that listens for cache notices ([Workers](runbooks/workers.md)).',
    ),
    POSTGRES_HOST: optionalText().means(
      "A PostgreSQL server by parts, as in the original's `.env`: the host (`postgres`, the compose service). Used when `DATABASE_URL` is unset.",
    ),
    POSTGRES_PORT: int(5432, 1, 65535).means('Its port.'),
    POSTGRES_DB: text('postgres').means('The database name.'),
    POSTGRES_USER: text('postgres').means('The user.'),
    POSTGRES_PASSWORD: text('').means('The password. Change it in `prod.env`.'),
  },
  (e, { dataDir }) => {
    const server = { poolMax: e.DATABASE_POOL_MAX, statementTimeout: e.DATABASE_STATEMENT_TIMEOUT };
    const database: DatabaseConfig = e.DATABASE_URL
      ? { kind: 'postgres', connectionString: e.DATABASE_URL, ...server }
      : e.POSTGRES_HOST
        ? {
            kind: 'postgres',
            connectionString: postgresUrl(
              e.POSTGRES_HOST,
              e.POSTGRES_PORT,
              e.POSTGRES_DB,
              e.POSTGRES_USER,
              e.POSTGRES_PASSWORD,
            ),
            ...server,
          }
        : { kind: 'pglite', dataDir: e.DATA_DIR === ':memory:' ? null : path.join(dataDir, 'pglite') };
    return {
      /** `DATA_DIR`, resolved: embedded database and local media live below it. */
      dataDir,
      /** `DATABASE_URL` or `POSTGRES_*`; PGlite in `DATA_DIR/pglite` when neither is set. */
      database,
    } as const;
  },
);

function postgresUrl(host: string, port: number, db: string, user: string, password: string): string {
  const auth = password ? `${encodeURIComponent(user)}:${encodeURIComponent(password)}` : encodeURIComponent(user);
  return `postgres://${auth}@${host}:${port}/${encodeURIComponent(db)}`;
}
