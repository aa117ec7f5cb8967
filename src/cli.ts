/**
 * The command-line entry point: `npm run cli -- <command>` in development, `node dist/cli.js
 * <command>` in the image. An error is one line on stderr and a non-zero exit.
 *
 * @module
 */
import { buildProgram } from './commands/program.js';
import { DatabaseLockedError } from './db/database.js';
import { exitWithError } from './runtime.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => exitWithError(error instanceof DatabaseLockedError ? error.message : `error: ${(error as Error).message}`));
