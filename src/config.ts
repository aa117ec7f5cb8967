/**
 * The validated configuration: every environment variable the application reads, in one place.
 *
 * Nothing else in `src/` reads `process.env` (the lint rule `no-restricted-properties` holds it
 * so): entry points call {@link readEnvironment} and {@link loadConfig} once and pass the result
 * down. A missing or malformed value throws a {@link ConfigError} whose message names the
 * variable, so the process stops with one clear line. The parts: `config/declare.ts` (the builders
 * of a variable and of a section), `config/sections/` (each variable declared once, with its
 * default, bounds and meaning, in the module of its section, which builds its part of the
 * configuration), `config/schema.ts` (the sections composed: the schema, the variables' names),
 * `config/load.ts` (the loader and the {@link Config} the sections' parts make),
 * `config/environment.ts` (the one reader of `process.env`).
 *
 * @module
 */
export { CONFIG_BOOLEAN, parseDuration, parseRate, type ThrottleRate } from './config/declare.js';
export { CONFIG_VARIABLES, EnvSchema } from './config/schema.js';
export {
  ConfigError,
  DEV_SECRET_KEY,
  loadConfig,
  servingProblem,
  type Config,
  type DatabaseConfig,
  type MailConfig,
  type StorageConfig,
} from './config/load.js';
export { readEnvironment, type Environment } from './config/environment.js';
