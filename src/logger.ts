/**
 * The application logger: pino, JSON lines in production, pretty lines in debug on a terminal.
 *
 * Credentials never reach a log line: the headers and body fields that carry them are redacted.
 *
 * @module
 */
import { pino, type Logger } from 'pino';
import type { Config } from './config.js';

export type { Logger } from 'pino';

/** Paths pino censors wherever a request, response or error object is logged. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.new_password',
  '*.old_password',
  '*.refresh',
  '*.access',
  '*.token',
  'secretKey',
];

/**
 * Creates the process logger.
 *
 * @param config - `logLevel` sets the level; `debug` with a terminal on stdout switches to pretty lines
 * @returns a pino logger whose child loggers carry the request id
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'debug'>): Logger {
  const pretty = config.debug && process.stdout.isTTY;
  return pino({
    level: config.logLevel,
    redact: { paths: REDACT, censor: '[redacted]' },
    ...(pretty ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } } : {}),
  });
}
