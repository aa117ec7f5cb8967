/**
 * The configuration's declaration, composed: the sections in the order of
 * `docs/md/configuration.md`, the environment's schema made of their variables, and the names of
 * every variable. Each variable is declared once, in its section's module under `config/sections/`
 * (type, default, bounds, meaning); the loader, the `Config` type and the tables of
 * `docs/md/configuration.md` (`npm run docs:config`) all come from there.
 *
 * @module
 */
import { z } from 'zod';
import type { ComposedValues, Variable } from './declare.js';
import { AUTH } from './sections/auth.js';
import { DATABASE } from './sections/database.js';
import { MAIL } from './sections/mail.js';
import { SERVER } from './sections/server.js';
import { STORAGE } from './sections/storage.js';
import { TUNING } from './sections/tuning.js';

/** Every section, in the order they are built and documented. */
export const SECTIONS = [SERVER, DATABASE, AUTH, MAIL, STORAGE, TUNING] as const;

/** The validated values of every variable, by name. */
export type EnvValues = ComposedValues<typeof SECTIONS>;

/** Every variable's declaration by name; a name declared in two sections is refused here. */
export const VARIABLES: Readonly<Record<string, Variable<unknown>>> = (() => {
  const all: Record<string, Variable<unknown>> = {};
  for (const { name, variables } of SECTIONS) {
    for (const [variable, declaration] of Object.entries(variables)) {
      if (variable in all) throw new Error(`${variable} is declared twice (the second time in the ${name} section)`);
      all[variable] = declaration;
    }
  }
  return Object.freeze(all);
})();

/** The environment's schema; its keys are every variable the application reads. */
export const EnvSchema = z.object(Object.fromEntries(Object.entries(VARIABLES).map(([name, v]) => [name, v.schema])));

/** Every environment variable the application reads, for documentation and drift tests. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(VARIABLES);
