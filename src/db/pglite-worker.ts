/**
 * The embedded database's own thread. PGlite is PostgreSQL compiled to WebAssembly: a statement
 * holds the thread that runs it from start to end, so it runs here rather than on the event loop
 * that answers requests. The main thread talks to it through `PgliteThread`
 * (`src/db/pglite-thread.ts`) over one message port; this module is started as a worker, never
 * imported.
 *
 * Everything crosses the port by structured clone, which keeps what PGlite returns as it is: rows
 * of plain objects, `Date` for timestamps, `Uint8Array` for `bytea`, `bigint` past 2^53. Notices
 * are posted as PGlite hands them over, which is before the result of the statement that sent
 * them: one port delivers in order, so a listener in the main thread sees its own process's writes
 * before that write returns, as it did with PGlite in-thread.
 *
 * @module
 */
import { parentPort, workerData } from 'node:worker_threads';
import { messages, PGlite, type QueryOptions } from '@electric-sql/pglite';

/** What the main thread asks of the embedded database. Request 0 is the start, answered once. */
export type PgliteRequest =
  | {
      readonly id: number;
      readonly op: 'query';
      readonly sql: string;
      readonly params: readonly unknown[] | undefined;
      /** The positions of `params` that were Node `Buffer`s (they arrive as `Uint8Array`). */
      readonly buffers: readonly number[];
      readonly options: QueryOptions | undefined;
    }
  | { readonly id: number; readonly op: 'listen' | 'unlisten'; readonly channel: string }
  | { readonly id: number; readonly op: 'close' };

/** What the thread answers: the outcome of a request, or a notice on a channel listened to. */
export type PgliteReply =
  | { readonly kind: 'done'; readonly id: number; readonly value: unknown }
  | { readonly kind: 'failed'; readonly id: number; readonly error: CarriedError }
  | { readonly kind: 'notice'; readonly channel: string; readonly payload: string };

/** An error as it crosses the port: structured clone keeps an error's message but drops its fields. */
export interface CarriedError {
  readonly name: string;
  readonly message: string;
  /** A PostgreSQL error (PGlite's `DatabaseError`), as opposed to a failure of the client code. */
  readonly database: boolean;
  /** Its own fields: `code`, `constraint`, `table`, `column`, `detail`, `severity`… */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** What the thread is started with. */
export interface PgliteWorkerData {
  /** The data directory, or `null` for a database in memory. */
  readonly dataDir: string | null;
}

/** The start: request 0. */
export const START_ID = 0;

function carried(error: unknown): CarriedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), database: false, fields: {} };
  return {
    name: error.name,
    message: error.message,
    database: error instanceof messages.DatabaseError,
    fields: { ...error },
  };
}

/** Posts a failure; one whose fields do not clone (a parameter of an odd type) goes with its text fields only. */
function postFailure(port: NonNullable<typeof parentPort>, id: number, error: unknown): void {
  const reply = { kind: 'failed', id, error: carried(error) } satisfies PgliteReply;
  try {
    port.postMessage(reply);
  } catch {
    const fields = Object.fromEntries(Object.entries(reply.error.fields).filter(([, v]) => typeof v === 'string'));
    port.postMessage({ ...reply, error: { ...reply.error, fields } } satisfies PgliteReply);
  }
}

async function serve(port: NonNullable<typeof parentPort>, { dataDir }: PgliteWorkerData): Promise<void> {
  const pglite = new PGlite(dataDir ?? undefined);
  const unlisten = new Map<string, () => Promise<void>>();

  const answer = async (request: PgliteRequest): Promise<unknown> => {
    switch (request.op) {
      case 'query': {
        // A Buffer crosses as a plain Uint8Array; it is one again, so that PGlite sees what it was given.
        const params = request.params?.map((value, i) =>
          request.buffers.includes(i)
            ? Buffer.from(
                (value as Uint8Array).buffer,
                (value as Uint8Array).byteOffset,
                (value as Uint8Array).byteLength,
              )
            : value,
        );
        return pglite.query(request.sql, params, request.options);
      }
      case 'listen':
        unlisten.set(
          request.channel,
          await pglite.listen(request.channel, (payload) =>
            port.postMessage({ kind: 'notice', channel: request.channel, payload } satisfies PgliteReply),
          ),
        );
        return undefined;
      case 'unlisten':
        await unlisten.get(request.channel)?.();
        unlisten.delete(request.channel);
        return undefined;
      case 'close':
        await pglite.close();
        return undefined;
    }
  };

  port.on('message', (request: PgliteRequest) => {
    answer(request).then(
      (value) => port.postMessage({ kind: 'done', id: request.id, value } satisfies PgliteReply),
      (error: unknown) => postFailure(port, request.id, error),
    );
  });
  try {
    await pglite.waitReady;
    port.postMessage({ kind: 'done', id: START_ID, value: undefined } satisfies PgliteReply);
  } catch (error) {
    postFailure(port, START_ID, error);
  }
}

if (parentPort) await serve(parentPort, workerData as PgliteWorkerData);
