/**
 * The loader: validates an environment against {@link EnvSchema} and has each section of the
 * declaration build its part of the {@link Config} the application reads.
 *
 * @module
 */
import path from 'node:path';
import type { BuildContext, ComposedConfig } from './declare.js';
import { EnvSchema, SECTIONS, type EnvValues } from './schema.js';

export { DEBUG_ALLOWED_HOSTS, DEV_SECRET_KEY } from './sections/server.js';
export type { DatabaseConfig } from './sections/database.js';
export type { MailConfig } from './sections/mail.js';
export type { StorageConfig } from './sections/storage.js';

/**
 * The whole validated configuration, each section's part of it as the section builds it
 * (`config/sections/`); see `docs/md/configuration.md` for each variable.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- an interface, so that the code reference lists each property
export interface Config extends ComposedConfig<typeof SECTIONS> {}

/** Thrown when the environment does not describe a valid configuration; the message names the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Validates an environment and turns it into a {@link Config}.
 *
 * @param env - the variables to read; `process.env` after `.env` was loaded, or a test's own object
 * @returns the configuration, frozen
 * @throws {@link ConfigError} naming the first variable that is missing or malformed
 * @example
 * const config = loadConfig({ SECRET_KEY: 'x'.repeat(40), DEBUG: 'false' });
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${String(issue.path[0])} ${issue.message}`);
  }
  const e = parsed.data as EnvValues;
  const context: BuildContext = {
    debug: e.DEBUG,
    dataDir: path.resolve(e.DATA_DIR),
    fail: (variable, message) => {
      throw new ConfigError(`${variable} ${message}`);
    },
  };
  const parts = SECTIONS.map((section) => section.build(e, context));
  return Object.freeze(Object.assign({}, ...parts) as Config);
}

/**
 * What a server started with this configuration would do wrong in production, as one line, or
 * `null`. Checked when the server starts (not by every {@link loadConfig}: tests and the CLI may
 * run without a proxy in front). With `DEBUG` off the app is in production, where it serves plain
 * HTTP behind a TLS-terminating proxy: its cookies must be `Secure`, and it must trust that proxy,
 * or every client has the proxy's address (one throttle bucket for everyone) and the app believes
 * it is served over `http://` (links, origin check).
 *
 * @param config - a loaded configuration
 * @example
 * const problem = servingProblem(config);
 * if (problem) exitWithError(problem);
 */
export function servingProblem(config: Config): string | null {
  if (config.debug) return null;
  if (!config.cookies.secure) return 'COOKIE_SECURE must be true when DEBUG is off (production is served over HTTPS)';
  if (config.trustProxy === 0) {
    return 'TRUST_PROXY must be the number of proxies in front of the app when DEBUG is off (1 behind the shipped nginx): the app serves plain HTTP, so HTTPS reaches it through a proxy';
  }
  if (config.allowedHosts.length === 0) {
    return 'ALLOWED_HOSTS must name the host names the site is served under when DEBUG is off (prod.env.example sets it from BACKOFFICE_DOMAIN)';
  }
  if (config.mail.backend === 'console') {
    return 'EMAIL_BACKEND=console writes password reset links into the logs; use smtp (or file) when DEBUG is off';
  }
  return null;
}
