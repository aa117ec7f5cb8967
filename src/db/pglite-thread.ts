/**
 * The embedded database (PGlite) in a thread of its own, seen from the main thread as the part of
 * a PGlite instance that `knex-pglite` and the notice listener use: `waitReady`, `query`, `listen`,
 * `close` and `closed`.
 *
 * PGlite runs PostgreSQL as WebAssembly on the thread that calls it, for as long as a statement
 * takes: on the event loop, one slow statement stopped every other request, health probes
 * included. In a worker thread it stops only the statements queued behind it, as a busy
 * PostgreSQL server would.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import type { QueryOptions, Results } from '@electric-sql/pglite';
import type { Logger } from '../logger.js';
import { isCompiled } from '../paths.js';
import {
  START_ID,
  type CarriedError,
  type PgliteReply,
  type PgliteRequest,
  type PgliteWorkerData,
} from './pglite-worker.js';

/**
 * A PostgreSQL error raised in the embedded database, with the fields PGlite gives it (`code`,
 * `constraint`, `table`, `column`, `detail`, `severity`, `routine`…), as `pg` and PGlite name them.
 */
export class DatabaseError extends Error {
  /** The SQLSTATE, e.g. `23505`. */
  declare readonly code?: string;
  /** The constraint a violation names. */
  declare readonly constraint?: string;
}

/**
 * The embedded database is gone: closed, or its thread stopped. SQLSTATE class 08 (connection
 * exception), as a PostgreSQL server that went away reports it, so that requests answer 503.
 */
export class EmbeddedDatabaseStoppedError extends Error {
  override name = 'EmbeddedDatabaseStoppedError';
  /** `08006` connection failure. */
  readonly code = '08006';
}

/** A request before it is numbered. */
type Unnumbered<T> = T extends unknown ? Omit<T, 'id'> : never;

type Pending = { resolve(value: unknown): void; reject(error: Error): void };

const STANDARD_ERRORS = new Map<string, ErrorConstructor>([
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError],
]);

/** The error as the thread described it, rebuilt with its fields in this thread. */
function revive(error: CarriedError): Error {
  const Kind = error.database ? DatabaseError : (STANDARD_ERRORS.get(error.name) ?? Error);
  return Object.assign(new Kind(error.message), error.fields);
}

/**
 * Starts the worker: the compiled module in `dist/`; under tsx, a worker does not inherit tsx's
 * loader, so it registers it first and then imports the TypeScript source.
 */
function startWorker(workerData: PgliteWorkerData): Worker {
  if (isCompiled) return new Worker(new URL('./pglite-worker.js', import.meta.url), { workerData });
  const entry = new URL('./pglite-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/**
 * PGlite in a worker thread. Requests are answered in the order they were sent (PGlite runs one
 * statement at a time), notices before the result of the statement that sent them.
 *
 * The worker keeps the process alive only while a request is in flight, as PGlite in-thread did
 * not keep it alive at all: a command that forgets to close the database still ends.
 *
 * @example
 * const pglite = PgliteThread.start(null); // in memory
 * const { rows } = await pglite.query('select $1::int as n', [1]);
 * await pglite.close();
 */
export class PgliteThread {
  /** Resolves once the database has started (rejects if it could not: a damaged data directory). */
  readonly waitReady: Promise<void>;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #channels = new Map<string, Set<(payload: string) => void>>();
  #nextId = START_ID + 1;
  readonly #inMemory: boolean;
  #started: 'starting' | 'ready' | 'failed' = 'starting';
  #stopped: Error | null = null;
  #closing: Promise<void> | null = null;

  private constructor(worker: Worker, inMemory: boolean, logger?: Logger) {
    this.#worker = worker;
    this.#inMemory = inMemory;
    this.waitReady = new Promise<unknown>((resolve, reject) => this.#track(START_ID, { resolve, reject })).then(
      () => void (this.#started = 'ready'),
      (error: unknown) => {
        this.#started = 'failed';
        throw error;
      },
    );
    // Awaited by knex on first use; a failed start is reported there, not as an unhandled rejection.
    this.waitReady.catch(() => undefined);
    worker.on('message', (reply: PgliteReply) => this.#receive(reply));
    worker.on('error', (error) => {
      logger?.error({ err: error }, 'the embedded database stopped');
      this.#stop(new EmbeddedDatabaseStoppedError('the embedded database stopped', { cause: error }));
    });
    worker.on('exit', () => this.#stop(new EmbeddedDatabaseStoppedError('the embedded database is closed')));
  }

  /**
   * Starts the embedded database in a new worker thread.
   *
   * @param dataDir - its data directory (locked by the caller), or `null` for one in memory
   * @param logger - told when the thread stops unexpectedly
   * @returns the database, starting; queries wait until it is ready
   */
  static start(dataDir: string | null, logger?: Logger): PgliteThread {
    return new PgliteThread(startWorker({ dataDir }), dataDir === null, logger);
  }

  /** Whether the database is closed or its thread has stopped: every request fails. */
  get closed(): boolean {
    return this.#stopped !== null || this.#closing !== null;
  }

  /**
   * Runs one statement with its parameters, as `PGlite.query` does.
   *
   * @returns PGlite's result (`rows`, `fields`, `affectedRows`)
   * @throws {@link DatabaseError} with PostgreSQL's fields when the statement fails
   */
  query<T>(sql: string, params?: readonly unknown[], options?: QueryOptions): Promise<Results<T>> {
    const buffers: number[] = [];
    params?.forEach((value, i) => Buffer.isBuffer(value) && buffers.push(i));
    return this.#request({ op: 'query', sql, params, buffers, options }) as Promise<Results<T>>;
  }

  /**
   * Subscribes to `NOTIFY` on a channel, as `PGlite.listen` does.
   *
   * @returns a function that ends this subscription
   */
  async listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>> {
    let callbacks = this.#channels.get(channel);
    if (!callbacks) {
      this.#channels.set(channel, (callbacks = new Set()));
      try {
        await this.#request({ op: 'listen', channel });
      } catch (error) {
        this.#channels.delete(channel);
        throw error;
      }
    }
    callbacks.add(callback);
    return async () => {
      callbacks.delete(callback);
      if (callbacks.size > 0 || this.#channels.get(channel) !== callbacks) return;
      this.#channels.delete(channel);
      await this.#request({ op: 'unlisten', channel });
    };
  }

  /**
   * Closes the database (once the requests before it are answered) and ends its thread. A
   * database still starting in memory is dropped at once; one in a data directory is let finish
   * starting first, so that its files are never left half-made.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        const abandon = this.#started === 'failed' || (this.#started === 'starting' && this.#inMemory);
        if (!this.#stopped && !abandon)
          await this.#request({ op: 'close' }, { whileClosing: true }).catch((error: unknown) => {
            // A database that never started has nothing to close.
            if (this.#started !== 'failed') throw error;
          });
      } finally {
        await this.#worker.terminate();
      }
    })();
    return this.#closing;
  }

  #request(request: Unnumbered<PgliteRequest>, { whileClosing = false } = {}): Promise<unknown> {
    const refused =
      this.#stopped ??
      (this.#closing && !whileClosing ? new EmbeddedDatabaseStoppedError('the embedded database is closed') : null);
    if (refused) return Promise.reject(refused);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      // Parameters that do not clone (a function) throw here, before anything is tracked.
      this.#worker.postMessage({ ...request, id } as PgliteRequest);
      this.#track(id, { resolve, reject });
    });
  }

  #track(id: number, pending: Pending): void {
    if (this.#pending.size === 0) this.#worker.ref();
    this.#pending.set(id, pending);
  }

  #settle(id: number): Pending | undefined {
    const pending = this.#pending.get(id);
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker.unref();
    return pending;
  }

  #receive(reply: PgliteReply): void {
    if (reply.kind === 'notice') {
      for (const callback of this.#channels.get(reply.channel) ?? []) callback(reply.payload);
    } else if (reply.kind === 'done') {
      this.#settle(reply.id)?.resolve(reply.value);
    } else {
      this.#settle(reply.id)?.reject(revive(reply.error));
    }
  }

  #stop(error: Error): void {
    this.#stopped ??= error;
    for (const id of [...this.#pending.keys()]) this.#settle(id)?.reject(this.#stopped);
  }
}
