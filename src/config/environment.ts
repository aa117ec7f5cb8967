/**
 * The process environment, read here and nowhere else in `src/` (a lint rule holds it so): the
 * entry points call {@link readEnvironment} once and hand the result to `loadConfig`.
 *
 * @module
 */
import dotenv from 'dotenv';
import path from 'node:path';

/** Environment variables by name, as `process.env` holds them. */
export type Environment = Record<string, string | undefined>;

/**
 * The process environment with `.env` loaded into it (variables already set win, and worker
 * processes inherit the result).
 *
 * @param envFile - the dotenv file to load when it exists; `.env` in the working directory by default
 * @returns `process.env`, completed from the file
 * @example
 * const config = loadConfig(readEnvironment());
 */
export function readEnvironment(envFile = path.resolve('.env')): Environment {
  dotenv.config({ path: envFile, quiet: true });
  return process.env;
}
