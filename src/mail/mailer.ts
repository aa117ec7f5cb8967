/**
 * Outgoing mail through nodemailer (loaded with the first message, so that a process that sends
 * none does not hold it), with Django's three backends chosen by `EMAIL_BACKEND`: the
 * console (each message's headers and plain text written to standard output), a folder of message
 * files, or an SMTP relay. One {@link Mailer} per process sends now ({@link Mailer.send}, for the CLI's test
 * message) or in the background with bounded retries ({@link Mailer.sendInBackground}, so that a
 * request's answer and its timing never depend on the relay).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import type { Writable } from 'node:stream';
import type nodemailer from 'nodemailer';
import type { Config, MailConfig } from '../config.js';
import type { Logger } from '../logger.js';

/** One message: plain text always, HTML beside it when the template has one. */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

/** What a background send is about, for its log lines (never the message itself). */
export interface MailPurpose {
  /** A short name such as `password_reset` or `test`. */
  readonly purpose: string;
  /** The user the message is for, when there is one. */
  readonly userId?: number;
}

/** Sends mail through the configured backend. */
export interface Mailer {
  /** The backend in use, for the CLI's report. */
  readonly backend: MailConfig['backend'];
  /**
   * Sends one message now.
   *
   * @throws the transport's error (connection refused, authentication failed, refused recipient)
   */
  send(message: MailMessage): Promise<void>;
  /**
   * Sends one message without waiting: tried again after each of the retry delays on failure, then
   * given up with one `error` line naming the purpose (never the message, its link or its token).
   */
  sendInBackground(message: MailMessage, about: MailPurpose): void;
  /** Resolves once every background send has been delivered or given up. */
  settled(): Promise<void>;
  /** Waits for the background sends (at most `timeoutMs`), then closes the SMTP connections. */
  close(timeoutMs?: number): Promise<void>;
}

/** What the tests and the entry points may set beside the configuration. */
export interface MailerOptions {
  /** Where the console backend writes; the process's standard output by default. */
  readonly stdout?: Writable;
  /** Extra TLS settings for the SMTP connection (a private relay's CA certificate). */
  readonly tls?: ConnectionOptions;
  /** The waits between background attempts, in milliseconds; their count bounds the retries. */
  readonly retryDelaysMs?: readonly number[];
}

/** Two retries, 2 s and 10 s after a failure: a relay that restarts is waited for, a dead one is not. */
const RETRY_DELAYS_MS = [2_000, 10_000];

/** Django's console backend separates messages with a line of 79 dashes. */
const SEPARATOR = '-'.repeat(79);

/**
 * Builds the mailer of a configuration.
 *
 * @param config - the `mail` part of the configuration
 * @param logger - where background sends report delivery and failure
 * @param options - console stream, TLS settings, retry delays
 * @example
 * const mailer = createMailer(config.mail, logger);
 * await mailer.send({ to: 'ops@example.com', subject: 'Test', text: 'It works.' });
 */
export function createMailer(config: MailConfig, logger: Logger, options: MailerOptions = {}): Mailer {
  const deliver = transportOf(config, options);
  const retryDelays = options.retryDelaysMs ?? RETRY_DELAYS_MS;
  const pending = new Set<Promise<void>>();

  const send = (message: MailMessage) => deliver.send({ from: config.from, ...message });

  async function sendWithRetries(message: MailMessage, about: MailPurpose): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await send(message);
        logger.info({ mail: { ...about, backend: config.backend, attempt } }, 'mail sent');
        return;
      } catch (error) {
        const delay = retryDelays[attempt - 1];
        const mail = { ...about, backend: config.backend, attempt };
        if (delay === undefined) {
          logger.error({ err: error, mail }, 'mail not sent: giving up');
          return;
        }
        logger.warn({ err: error, mail }, 'mail not sent: will retry');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  return {
    backend: config.backend,
    send,
    sendInBackground(message, about) {
      const sending = sendWithRetries(message, about).finally(() => pending.delete(sending));
      pending.add(sending);
    },
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async close(timeoutMs = 10_000) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs).unref()));
      await Promise.race([this.settled(), timeout]);
      clearTimeout(timer);
      deliver.close();
    },
  };
}

const mailers = new WeakMap<object, Mailer>();

/**
 * The one mailer of a set of dependencies: `deps.mailer` when the entry point built it, else one
 * built from the configuration on first use and shared by every caller with the same `deps` (the
 * API's routes and the admin's button wait on the same background sends).
 *
 * @example
 * mailerOf(deps).sendInBackground(message, { purpose: 'password_reset', userId: 7 });
 */
export function mailerOf(deps: { readonly config: Config; readonly logger: Logger; readonly mailer?: Mailer }): Mailer {
  if (deps.mailer) return deps.mailer;
  let mailer = mailers.get(deps);
  if (!mailer) {
    mailer = createMailer(deps.config.mail, deps.logger);
    mailers.set(deps, mailer);
  }
  return mailer;
}

interface Transport {
  send(message: MailMessage & { from: string }): Promise<void>;
  close(): void;
}

function transportOf(config: MailConfig, options: MailerOptions): Transport {
  if (config.backend === 'console') {
    const out = options.stdout ?? process.stdout;
    return {
      send: async (message) => void out.write(`${consoleRendering(message)}\n${SEPARATOR}\n`),
      close: () => undefined,
    };
  }
  if (config.backend === 'smtp') {
    const timeout = config.timeoutSeconds * 1000;
    const smtp = lazily((mailer) =>
      mailer.createTransport({
        host: config.host,
        port: config.port,
        secure: config.useSsl,
        requireTLS: config.useTls,
        auth: config.user ? { user: config.user, pass: config.password } : undefined,
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
        tls: options.tls,
      }),
    );
    return {
      send: async (message) => void (await (await smtp.get()).sendMail(message)),
      close: () => smtp.whenMade((transport) => transport.close()),
    };
  }
  // The file backend keeps the whole RFC 5322 message, headers and every part, as a relay would receive it.
  const composer = lazily((mailer) => mailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' }));
  const compose = async (message: MailMessage & { from: string }): Promise<Buffer> =>
    (await (await composer.get()).sendMail(message)).message as Buffer;
  return {
    async send(message) {
      await fs.mkdir(config.filePath, { recursive: true });
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
      const file = path.join(config.filePath, `${stamp}-${randomBytes(4).toString('hex')}.eml`);
      await fs.writeFile(file, await compose(message), { mode: 0o600 });
    },
    close: () => undefined,
  };
}

/** A nodemailer transport made on first use, with nodemailer imported then. */
function lazily<T>(make: (module: typeof nodemailer) => T) {
  let made: Promise<T> | null = null;
  return {
    get: (): Promise<T> => (made ??= import('nodemailer').then((module) => make(module.default))),
    /** Runs `use` on the transport once made, if it was asked for: closing never loads nodemailer. */
    whenMade(use: (transport: T) => void): void {
      made?.then(use, () => undefined);
    },
  };
}

/**
 * What the console shows of a message: its headers and the plain-text part as it is (8bit), so a
 * link stays whole on its line and can be copied — the MIME rendering would fold a long line into
 * quoted-printable pieces. The HTML part is left to the file backend, which keeps the whole message.
 */
function consoleRendering(message: MailMessage & { from: string }): string {
  const header = (value: string) => value.replace(/[\r\n]+/g, ' ');
  return [
    `From: ${header(message.from)}`,
    `To: ${header(message.to)}`,
    `Subject: ${header(message.subject)}`,
    `Date: ${new Date().toUTCString()}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    message.text.replace(/\r\n/g, '\n'),
  ].join('\n');
}
