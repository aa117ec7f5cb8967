/**
 * The command-line entry point: `npm run cli -- <command>` in development, `node dist/cli.js
 * <command>` in the image. An error is one line on stderr and the exit status of its kind
 * ({@link "commands/exit-codes".cliFailure}).
 *
 * @module
 */
import { buildProgram } from './commands/program.js';
import { cliFailure } from './commands/exit-codes.js';

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const { line, status } = cliFailure(error);
    process.stderr.write(`${line}\n`);
    process.exit(status);
  });
