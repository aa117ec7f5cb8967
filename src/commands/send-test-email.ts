/**
 * `send-test-email --to ADDRESS`: sends one message through the configured mail backend and
 * waits for it, so that an operator sees at once whether the mail settings work.
 *
 * @module
 */
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { createMailer, type MailerOptions } from '../mail/mailer.js';
import { renderMail } from '../mail/templates.js';
import type { Output } from './output.js';

/**
 * Sends the test message and reports where it went.
 *
 * @param config - the configuration (its `mail` part is used)
 * @param to - the recipient
 * @param options - the mailer's options (tests pass their console stream)
 * @throws the transport's error (refused connection, failed authentication, refused recipient): the CLI prints it
 * @example
 * await sendTestEmailCommand(config, logger, 'ops@example.com', {}, stdoutOutput);
 */
export async function sendTestEmailCommand(
  config: Config,
  logger: Logger,
  to: string,
  options: MailerOptions,
  out: Output,
): Promise<void> {
  const mailer = createMailer(config.mail, logger, options);
  const { mail } = config;
  try {
    await mailer.send({ to, ...renderMail('test', { sentAt: new Date().toISOString(), backend: mail.backend }) });
  } finally {
    await mailer.close();
  }
  const where =
    mail.backend === 'smtp'
      ? `SMTP relay ${mail.host}:${mail.port}`
      : mail.backend === 'file'
        ? `a file in ${mail.filePath}`
        : 'the console (standard output)';
  out.line(`Sent a test message to ${to} through ${where}.`);
}
