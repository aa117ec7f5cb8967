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
 * @param destination - where the lines go instead of stdout (tests read the real logger's lines)
 * @returns a pino logger whose child loggers carry the request id
 */
export function createLogger(config: Pick<Config, 'logLevel' | 'debug'>, destination?: pino.DestinationStream): Logger {
  const options = { level: config.logLevel, redact: { paths: REDACT, censor: '[redacted]' } };
  if (destination) return pino(options, destination);
  if (config.debug && process.stdout.isTTY) {
    return pino({ ...options, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } });
  }
  // Asynchronous writes: under load, lines queue while a write is in flight and leave together (one
  // system call instead of one per line); pino flushes what is queued when the process exits.
  return pino(options, pino.destination({ dest: 1, sync: false }));
}
