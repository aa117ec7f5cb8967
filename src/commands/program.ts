/**
 * The command-line program: every command, its options and the service it calls. Each command
 * opens the configured database, calls a service, prints what it did.
 *
 * @module
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Knex } from 'knex';
import { changePasswordCommand } from './change-password.js';
import { createSuperuserCommand } from './create-superuser.js';
import { importDjangoCommand } from './import-django.js';
import { migrate, type MigrateAction } from './migrate.js';
import { OPENAPI_FILE, openApiCommand } from './openapi.js';
import { stdoutOutput } from './output.js';
import { fillGroupsCommand, setupProjectCommand } from './setup.js';
import { sendTestEmailCommand } from './send-test-email.js';
import { startAppCommand, type StartAppOptions } from './startapp.js';
import { sweepOrphansCommand } from './sweep-orphans.js';
import { flushExpiredTokensCommand, generateSecretKey } from './tokens.js';
import { parseDuration, type Config } from '../config.js';
import type { Deps } from '../deps.js';
import { createLogger, type Logger } from '../logger.js';
import { configFromEnvironment, openDeps } from '../startup.js';

/** Opens the database for one command, runs it, closes the database. */
async function withDatabase(work: (knex: Knex, config: Config, logger: Logger) => Promise<void>): Promise<void> {
  const config = configFromEnvironment();
  const deps = await openDeps(config);
  try {
    await work(deps.knex, config, deps.logger);
  } finally {
    await deps.close();
  }
}

/** Opens the database and the object store for one command, runs it, closes the database. */
async function withDeps(work: (deps: Deps) => Promise<void>): Promise<void> {
  const deps = await openDeps(configFromEnvironment());
  try {
    await work(deps);
  } finally {
    await deps.db.close();
  }
}

function graceOption(value: string): number {
  const seconds = parseDuration(value);
  if (seconds === null) throw new InvalidArgumentError('expected a duration such as 3600, 30m, 24h or 7d');
  return seconds;
}

/** Asks for a password on the terminal without echoing it. */
async function promptHidden(question: string): Promise<string> {
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  process.stdout.write(question);
  const rl = createInterface({ input: process.stdin, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stdout.write('\n');
  }
}

async function superuserPassword(given: string | undefined): Promise<string> {
  if (given) return given;
  const fromEnvironment = configFromEnvironment().superuserPassword;
  if (fromEnvironment) return fromEnvironment;
  if (!process.stdin.isTTY)
    throw new Error('no password: pass --password, set SUPERUSER_PASSWORD, or run on a terminal');
  return promptTwice('Password');
}

/** The new password of `change-password`: the option, else typed twice on a terminal. */
async function changedPassword(given: string | undefined): Promise<string> {
  if (given) return given;
  if (!process.stdin.isTTY) throw new Error('no password: pass --password, or run on a terminal');
  return promptTwice('New password');
}

/** A password typed twice without echo; the two must match. */
async function promptTwice(label: string): Promise<string> {
  const first = await promptHidden(`${label}: `);
  const again = await promptHidden(`${label} (again): `);
  if (first !== again) throw new Error("the passwords didn't match");
  return first;
}

/** Builds the command-line program (exported for the docs drift test, which lists its commands). */
export function buildProgram(): Command {
  const program = new Command('backoffice')
    .description('Backoffice management commands')
    .showHelpAfterError()
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command('migrate')
    .description('apply (up), roll back the last batch (down) or list (status) database migrations')
    .addArgument(
      new Command().createArgument('[action]', 'up, down or status').choices(['up', 'down', 'status']).default('up'),
    )
    .action((action: MigrateAction) =>
      withDatabase((knex, _config, logger) => migrate(knex, action, stdoutOutput, logger)),
    );

  program
    .command('setup-project')
    .description('migrate, load roles and demo users from seeds/ (idempotent; refuses with DEBUG off unless --force)')
    .option('--force', 'run even with DEBUG off')
    .action((options: { force?: boolean }) =>
      withDatabase((knex, config) =>
        setupProjectCommand(knex, { debug: config.debug, force: options.force ?? false }, stdoutOutput),
      ),
    );

  program
    .command('fill-groups')
    .description('sync roles and their permissions from seeds/roles.json (idempotent; prints what changed)')
    .action(() => withDatabase((knex) => fillGroupsCommand(knex, stdoutOutput)));

  program
    .command('flush-expired-tokens')
    .description('delete expired outstanding tokens and their blacklist rows (nightly cron)')
    .action(() => withDatabase((knex) => flushExpiredTokensCommand(knex, stdoutOutput)));

  program
    .command('create-superuser')
    .description('create a staff superuser; prompts for a missing password on a terminal, or reads SUPERUSER_PASSWORD')
    .requiredOption('--username <username>', 'login name')
    .addOption(new Option('--email <email>', 'email address').default(''))
    .option('--password <password>', 'password (else SUPERUSER_PASSWORD, else a prompt)')
    .action(async (options: { username: string; email: string; password?: string }) => {
      const password = await superuserPassword(options.password);
      await withDatabase((knex) =>
        createSuperuserCommand(knex, { username: options.username, email: options.email, password }, stdoutOutput),
      );
    });

  program
    .command('change-password')
    .description("set a user's password (Django's changepassword); every session of the user is logged out")
    .requiredOption('--username <username>', 'login name')
    .option('--password <password>', 'the new password (else a prompt on a terminal)')
    .action(async (options: { username: string; password?: string }) => {
      const password = await changedPassword(options.password);
      await withDatabase((knex) => changePasswordCommand(knex, { username: options.username, password }, stdoutOutput));
    });

  program
    .command('sweep-orphans')
    .description('remove stored objects that no file refers to, once older than the grace period (cron)')
    .addOption(
      new Option('--grace <duration>', 'keep orphans younger than this (e.g. 30m, 24h, 7d)')
        .default(24 * 3600, '24h')
        .argParser(graceOption),
    )
    .option('--dry-run', 'list what would be removed, remove nothing')
    .action((options: { grace: number; dryRun?: boolean }) =>
      withDeps((deps) =>
        sweepOrphansCommand(
          deps,
          {
            graceSeconds: options.grace,
            dryRun: options.dryRun ?? false,
            progress: process.stdout.isTTY ? process.stdout : null,
          },
          stdoutOutput,
        ),
      ),
    );

  program
    .command('send-test-email')
    .description('send a test message through the configured mail backend (EMAIL_*) and wait for it')
    .requiredOption('--to <address>', 'the recipient')
    .action(async (options: { to: string }) => {
      const config = configFromEnvironment();
      await sendTestEmailCommand(config, createLogger(config), options.to, {}, stdoutOutput);
    });

  program
    .command('import-django')
    .description('import users, groups, permissions, tokens and admin log of the Django database (one transaction)')
    .requiredOption('--from <url>', 'the Django database, postgres://user:password@host:port/name')
    .option('--dry-run', 'report what would be imported, write nothing')
    .option('--merge', 'allow a database that has users the Django database does not have')
    .action(async (options: { from: string; dryRun?: boolean; merge?: boolean }) => {
      await withDatabase(async (knex) => {
        await importDjangoCommand(
          knex,
          {
            from: options.from,
            dryRun: options.dryRun ?? false,
            merge: options.merge ?? false,
            progress: process.stdout.isTTY ? process.stdout : null,
          },
          stdoutOutput,
        );
      });
    });

  program
    .command('startapp')
    .description('make a declared resource: its declaration, feature, migration, test and REST API section')
    .argument('<plural>', 'the folder, table and path segment, e.g. projects or order-items')
    .argument(
      '<fields...>',
      'name:type[:unique][:optional]; types string, string(N), text, integer, decimal, decimal(P,S), boolean, date, datetime, ref:<resource>, ref:user',
    )
    .option('--owner', 'rows belong to the user who creates them, who may act on them without the model permissions')
    .option('--model <singular>', 'the model, lower case (default: the singular of the plural)')
    .action((plural: string, fields: string[], options: StartAppOptions) =>
      startAppCommand(plural, fields, options, stdoutOutput),
    );

  program
    .command('generate-secret-key')
    .description('print a new random SECRET_KEY')
    .action(() => stdoutOutput.line(generateSecretKey()));

  program
    .command('openapi')
    .description(`write the OpenAPI document (what GET /api/schema/ serves) to a file; needs no database`)
    .option('--output <file>', `the file to write (default ${OPENAPI_FILE})`)
    .action((options: { output?: string }) => openApiCommand(options, stdoutOutput));

  return program;
}
