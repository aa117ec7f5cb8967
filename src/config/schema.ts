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
import type { ComposedValues, Section, Variable, Variables } from './declare.js';
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

/**
 * The variables of a list of sections, by name.
 *
 * @param sections - the sections, each with its variables
 * @throws Error when two sections declare the same name
 */
export function variablesOf(
  sections: readonly Pick<Section<Variables, unknown>, 'name' | 'variables'>[],
): Readonly<Record<string, Variable<unknown>>> {
  const all: Record<string, Variable<unknown>> = {};
  for (const { name, variables } of sections) {
    for (const [variable, declaration] of Object.entries(variables)) {
      if (variable in all) throw new Error(`${variable} is declared twice (the second time in the ${name} section)`);
      all[variable] = declaration;
    }
  }
  return Object.freeze(all);
}

/** Every variable's declaration by name. */
export const VARIABLES = variablesOf(SECTIONS);

/** The environment's schema; its keys are every variable the application reads. */
export const EnvSchema = z.object(Object.fromEntries(Object.entries(VARIABLES).map(([name, v]) => [name, v.schema])));

/** Every environment variable the application reads, for documentation and drift tests. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(VARIABLES);
