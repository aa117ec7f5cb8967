/**
 * A real SMTP server for the mail tests: `smtp-server` on loopback, STARTTLS with a self-signed
 * certificate made by `openssl` for this run, and required authentication. Every delivered
 * message is parsed with `mailparser` and kept in order.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { scratchDir } from './processes.js';

/** The credentials the server accepts. */
export const SMTP_USER = 'mailer';
export const SMTP_PASSWORD = 'relay-secret-9';

/** A running server and what it received. */
export interface TestSmtpServer {
  readonly port: number;
  /** The PEM certificate of the server (a client trusts it as its CA). */
  readonly ca: string;
  /** Where the certificate is, for `NODE_EXTRA_CA_CERTS` of a child process. */
  readonly caFile: string;
  /** Messages delivered so far, in order. */
  readonly inbox: ParsedMail[];
  /** Whether each delivered message's session had upgraded to TLS and logged in, in order. */
  readonly sessions: { secure: boolean; user: string | undefined }[];
  /** Resolves with the next message delivered after the call, or the `count`-th one overall. */
  waitForMessage(count?: number): Promise<ParsedMail>;
  /** The `EMAIL_*` variables of a client of this server. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

/** Why the SMTP tests cannot run here (no `openssl` to make the certificate), or null. */
export function missingOpenssl(): string | null {
  return spawnSync('openssl', ['version']).status === 0 ? null : 'no openssl to make the SMTP certificate';
}

/** Starts the server on a free loopback port. */
export async function startSmtpServer(): Promise<TestSmtpServer> {
  const dir = scratchDir('backoffice-smtp-');
  const keyFile = path.join(dir, 'key.pem');
  const caFile = path.join(dir, 'cert.pem');
  const made = spawnSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
      ...['-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      ...['-keyout', keyFile, '-out', caFile],
    ],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
  const ca = fs.readFileSync(caFile, 'utf8');

  const inbox: ParsedMail[] = [];
  const sessions: { secure: boolean; user: string | undefined }[] = [];
  const waiters: { count: number; resolve: (mail: ParsedMail) => void }[] = [];
  const deliver = (mail: ParsedMail) => {
    inbox.push(mail);
    for (const waiter of [...waiters]) {
      if (inbox.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(inbox[waiter.count - 1]!);
      }
    }
  };

  const server = new SMTPServer({
    key: fs.readFileSync(keyFile),
    cert: ca,
    authMethods: ['PLAIN', 'LOGIN'],
    // Authentication only over TLS (the default): a client must STARTTLS first.
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((mail) => {
          sessions.push({ secure: session.secure, user: session.user as string | undefined });
          deliver(mail);
          callback();
        })
        .catch(callback);
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    ca,
    caFile,
    inbox,
    sessions,
    waitForMessage(count = inbox.length + 1) {
      if (inbox.length >= count) return Promise.resolve(inbox[count - 1]!);
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    env: () => ({
      EMAIL_BACKEND: 'smtp',
      EMAIL_HOST: 'localhost',
      EMAIL_PORT: String(port),
      EMAIL_HOST_USER: SMTP_USER,
      EMAIL_HOST_PASSWORD: SMTP_PASSWORD,
      EMAIL_USE_TLS: 'true',
      DEFAULT_FROM_EMAIL: 'Backoffice <noreply@backoffice.test>',
    }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
