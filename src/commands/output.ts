/**
 * Where commands write: stdout for results, stderr for errors. Tests pass their own to read them.
 *
 * @module
 */

/** A command's output channel. */
export interface Output {
  /** Writes one line of result. */
  line(text: string): void;
}

/** Output to the process's stdout. */
export const stdoutOutput: Output = { line: (text) => void process.stdout.write(`${text}\n`) };
