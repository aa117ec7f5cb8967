/**
 * The mail section: how mail leaves the server (Django's `EMAIL_*` names) and the password reset
 * links it carries.
 *
 * @module
 */
import path from 'node:path';
import { bool, duration, got, int, optionalChoice, optionalText, section, text } from '../declare.js';

/** How mail leaves the server (`EMAIL_*`, Django's names); see the Mail runbook. */
export type MailConfig = {
  /** `DEFAULT_FROM_EMAIL`: the sender of every message. */
  readonly from: string;
} & (
  | {
      /** Django's console backend: each message written whole to standard output (development). */
      readonly backend: 'console';
    }
  | {
      /** Django's file backend: each message a file in `filePath` (`EMAIL_FILE_PATH`, default `DATA_DIR/mail`). */
      readonly backend: 'file';
      readonly filePath: string;
    }
  | {
      /** SMTP to a relay (`EMAIL_HOST`, `EMAIL_PORT`, credentials, STARTTLS or implicit TLS). */
      readonly backend: 'smtp';
      readonly host: string;
      readonly port: number;
      /** `EMAIL_HOST_USER` and `EMAIL_HOST_PASSWORD`; no authentication when the user is empty. */
      readonly user: string;
      readonly password: string;
      /** `EMAIL_USE_TLS`: require STARTTLS on a plain connection (port 587). */
      readonly useTls: boolean;
      /** `EMAIL_USE_SSL`: TLS from the first byte (port 465). */
      readonly useSsl: boolean;
      /** `EMAIL_TIMEOUT`: seconds to wait for the relay at each step. */
      readonly timeoutSeconds: number;
    }
);

/** Mail's variables and the part of the configuration they make. */
export const MAIL = section(
  'mail',
  {
    EMAIL_BACKEND: optionalChoice(
      ['console', 'file', 'smtp'],
      (issue) => `must be console, file or smtp, ${got(issue)}`,
    )
      .shownAs('`console` with `DEBUG` on, else `smtp`')
      .means(
        "Where mail goes: `console` writes each message's headers and plain text to standard output (development: `npm start` needs no mail server), `file` writes each whole into `EMAIL_FILE_PATH` as an `.eml` file, `smtp` sends it to the relay of `EMAIL_HOST`. A server with `DEBUG` off refuses `console` (the reset links would land in the logs).",
      ),
    EMAIL_FILE_PATH: optionalText()
      .shownAs('`DATA_DIR/mail`')
      .means('The folder of the `file` backend (created when missing; files readable by their owner only).'),
    EMAIL_HOST: text('localhost').means('The SMTP relay.'),
    EMAIL_PORT: int(25, 1, 65535).means('Its port: usually 587 with `EMAIL_USE_TLS`, 465 with `EMAIL_USE_SSL`.'),
    EMAIL_HOST_USER: text('').means('The relay login; empty sends without authentication.'),
    EMAIL_HOST_PASSWORD: text('').means('Its password (a secret: `prod.env` only).'),
    EMAIL_USE_TLS: bool(false).means(
      "Require STARTTLS on the plain connection (port 587); without it the connection still upgrades when the relay offers STARTTLS. The relay's certificate is verified (a private CA: `NODE_EXTRA_CA_CERTS`).",
    ),
    EMAIL_USE_SSL: bool(false).means('TLS from the first byte (port 465). Not together with `EMAIL_USE_TLS`.'),
    EMAIL_TIMEOUT: duration('10s').means(
      'How long to wait for the relay at each step (connect, greeting, each reply).',
    ),
    DEFAULT_FROM_EMAIL: text('webmaster@localhost').means(
      'The sender of every message, e.g. `Backoffice <noreply@example.com>`.',
    ),
    PASSWORD_RESET_URL: text('http://localhost:5173/reset/{uid}/{token}/').means(
      'The frontend page a reset link opens; must contain `{uid}` and `{token}`, which the page posts to [`POST /api/password-reset/confirm/`](api.md#post-apipassword-resetconfirm). Set it to the production frontend.',
    ),
    PASSWORD_RESET_TIMEOUT: duration('259200')
      .shownAs('`259200` (3 days)')
      .means("Seconds a reset link stays valid, Django's setting and default (a duration such as `1h` works too)."),
  },
  (e, { debug, dataDir, fail }) => {
    if (e.EMAIL_USE_TLS && e.EMAIL_USE_SSL) {
      fail(
        'EMAIL_USE_TLS',
        'and EMAIL_USE_SSL are mutually exclusive: set one of them (TLS for port 587, SSL for 465)',
      );
    }
    for (const placeholder of ['{uid}', '{token}']) {
      if (!e.PASSWORD_RESET_URL.includes(placeholder)) fail('PASSWORD_RESET_URL', `must contain ${placeholder}`);
    }
    if (!/^https?:\/\//.test(e.PASSWORD_RESET_URL)) fail('PASSWORD_RESET_URL', 'must be an http:// or https:// URL');
    // Django's default backend is SMTP; development needs no mail server, so debug defaults to the console.
    const backend = e.EMAIL_BACKEND ?? (debug ? 'console' : 'smtp');
    const from = e.DEFAULT_FROM_EMAIL;
    const mail: MailConfig =
      backend === 'console'
        ? { backend, from }
        : backend === 'file'
          ? {
              backend,
              from,
              filePath: e.EMAIL_FILE_PATH ? path.resolve(e.EMAIL_FILE_PATH) : path.join(dataDir, 'mail'),
            }
          : {
              backend,
              from,
              host: e.EMAIL_HOST,
              port: e.EMAIL_PORT,
              user: e.EMAIL_HOST_USER,
              password: e.EMAIL_HOST_PASSWORD,
              useTls: e.EMAIL_USE_TLS,
              useSsl: e.EMAIL_USE_SSL,
              timeoutSeconds: e.EMAIL_TIMEOUT,
            };
    return {
      /** `EMAIL_*` and `DEFAULT_FROM_EMAIL`: the mail backend. */
      mail,
      /** Password recovery by email. */
      passwordReset: {
        /** `PASSWORD_RESET_URL`: the frontend's page a reset link opens, with `{uid}` and `{token}` in it. */
        url: e.PASSWORD_RESET_URL,
        /** `PASSWORD_RESET_TIMEOUT`: seconds a reset link stays valid (Django's default, 3 days). */
        timeoutSeconds: e.PASSWORD_RESET_TIMEOUT,
      },
    } as const;
  },
);
