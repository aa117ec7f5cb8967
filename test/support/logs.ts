/**
 * The project's own logger (src/logger.ts) writing into memory, so that a test can read every
 * line it wrote.
 */
import { Writable } from 'node:stream';
import type { Config } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';

/**
 * Creates the process logger at `level`, its lines pushed into `lines` as they are written.
 *
 * @example
 * const lines: string[] = [];
 * const logger = capturedLogger('info', lines);
 */
export function capturedLogger(level: Config['logLevel'], lines: string[]): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return createLogger({ logLevel: level, debug: false }, sink);
}
