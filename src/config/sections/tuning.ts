/**
 * The tuning section: the workers' memory (glibc's arenas, V8's heap) and how long answers the
 * database keeps current may be reused. None changes what the API answers.
 *
 * @module
 */
import { duration, int, section, text } from '../declare.js';

/** Tuning's variables and the part of the configuration they make. */
export const TUNING = section(
  'tuning',
  {
    MALLOC_ARENA_MAX: text('1').means(
      "glibc's memory arenas per worker process, passed to the workers the server starts. One arena keeps argon2's 19 MiB per hash resident once rather than once per libuv thread ([Benchmarks](benchmarks.md)).",
    ),
    WORKER_MAX_SEMI_SPACE_MB: int(4, 0, 1024).means(
      "V8's `--max-semi-space-size` (MiB) for the worker processes the server starts (`WEB_CONCURRENCY` > 1); `0` leaves V8's default of 16. The young generation of a busy worker stays resident at twice this size: 4 keeps up to 25 MiB per worker off its peak against V8's default (more under uploads), with no measured change in CPU per `/me/` or refresh request ([Benchmarks](benchmarks.md#hot-paths-what-was-measured-and-changed): a smaller young generation for the workers). It overrides a `--max-semi-space-size` in `NODE_OPTIONS`.",
    ),
    WORKER_HEAP_GROWING_PERCENT: int(10, 0, 1000).means(
      "V8's `--heap-growing-percent` for the worker processes the server starts (`WEB_CONCURRENCY` > 1): the old generation may grow by this share of what the last full collection kept (and by at least 8 MiB) before the next one; `0` leaves V8's adaptive factor of 1.1–4. Each upload's body arrives in 64 KiB buffers outside V8's heap, and those a young collection finds in flight are freed only by a full one: with V8's factor they piled up to 30–90 MiB per worker under uploads, with 10 they stay within the target of 150 MiB per worker ([Benchmarks](benchmarks.md#hot-paths-what-was-measured-and-changed): the old generation collected sooner). It overrides a `--heap-growing-percent` in `NODE_OPTIONS`.",
    ),
    CACHE_TTL: duration('1m', { allowOff: true }).means(
      'How long a worker may answer from memory what database notices keep current: who a token is (user, groups, permissions, session liveness) and pages of `GET /api/users/`. A notice evicts an entry as soon as what it holds changes ([Architecture](architecture.md#caches-kept-current-by-the-database)), so this only bounds the life of an entry whose notice was lost. `off` (or `0`) asks the database on every request.',
    ),
  },
  (e) =>
    ({
      /** `MALLOC_ARENA_MAX`: glibc's memory arenas per worker process (`1`: see `src/server.ts`). */
      mallocArenaMax: e.MALLOC_ARENA_MAX,
      /**
       * `WORKER_MAX_SEMI_SPACE_MB`: V8's `--max-semi-space-size` for the workers the server starts
       * (`0`: V8's own default; see `src/worker-flags.ts`).
       */
      workerMaxSemiSpaceMb: e.WORKER_MAX_SEMI_SPACE_MB,
      /**
       * `WORKER_HEAP_GROWING_PERCENT`: V8's `--heap-growing-percent` for the workers the server starts,
       * how far the old generation may grow past what the last full collection kept before the next
       * one (`0`: V8's own, adaptive factor; see `src/worker-flags.ts`).
       */
      workerHeapGrowingPercent: e.WORKER_HEAP_GROWING_PERCENT,
      /**
       * `CACHE_TTL`: how long (seconds) a worker may reuse, without asking the database, what database
       * notices keep current — a token's user, groups, permissions and session liveness, and pages of
       * the users list; `0` (`off`) asks on every request. Triggers evict an entry the moment what it
       * holds changes, so this only bounds how long a lost notice could last.
       */
      cacheTtl: e.CACHE_TTL,
    }) as const,
);
