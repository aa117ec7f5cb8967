/**
 * Reads one file out of a `multipart/form-data` request as a stream, with busboy: the upload is
 * never held whole in memory, and the part is handed to a consumer (the storage write) while it
 * arrives.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import { multipartParseError } from '../http/http-errors.js';

/** A file part as it arrives. */
export interface IncomingFile {
  /** The file name the client gave (unsanitised). */
  readonly fileName: string;
  /** The content; read it (or destroy it) or the request stalls. */
  readonly stream: Readable;
}

/** What a request held for the wanted field. */
export type UploadOutcome<T> =
  | { readonly kind: 'stored'; readonly value: T }
  /** The field was missing. */
  | { readonly kind: 'missing' }
  /** The field came as text, not as a file. */
  | { readonly kind: 'not-a-file' };

/** Bounds on everything but the file itself, so that the non-file parts of a body stay small. */
export const MULTIPART_LIMITS = {
  fieldNameSize: 100,
  fieldSize: 64 * 1024,
  fields: 16,
  parts: 32,
  headerPairs: 32,
} as const;

/**
 * The most bytes a valid upload body can hold beyond its file: the non-file parts within
 * {@link MULTIPART_LIMITS} and the part headers. A `Content-Length` above the file limit plus this
 * is refused before reading.
 */
export const MULTIPART_OVERHEAD_BYTES = MULTIPART_LIMITS.fields * MULTIPART_LIMITS.fieldSize + 256 * 1024;

/**
 * Streams the first file part named `field` into `consume`; other parts are skipped.
 *
 * Settles as soon as `consume` fails (the rest of the body is then left unread, so a failed or
 * oversized upload stops at once), or when the body has been read and `consume` has finished.
 * When the body fails after `consume` has stored the file — a client that stops before the
 * closing boundary — `discard` undoes the store before the error is thrown: an upload answered
 * with an error leaves nothing.
 *
 * @param req - the request, its body unread
 * @param field - the form field of the file, e.g. `file`
 * @param consume - stores the file; its result is the outcome's value
 * @param discard - removes what `consume` stored; its own failure does not change the error thrown
 * @throws {@link ApiError} 400 `Multipart form parse error - …` for a malformed body; whatever
 *   `consume` throws
 * @example
 * const outcome = await receiveFile(ctx.req, 'file', ({ fileName, stream }) => storeUpload(fileName, stream), removeUpload);
 */
export function receiveFile<T>(
  req: IncomingMessage,
  field: string,
  consume: (file: IncomingFile) => Promise<T>,
  discard: (value: T) => Promise<void>,
): Promise<UploadOutcome<T>> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: { ...MULTIPART_LIMITS, files: MULTIPART_LIMITS.parts },
        defParamCharset: 'utf8',
      });
    } catch (error) {
      reject(multipartParseError((error as Error).message));
      return;
    }
    let settled = false;
    let stored: Promise<T> | null = null;
    let textField = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      req.unpipe(parser);
      // Ends a file part still arriving (its consumer then fails), so that `stored` settles.
      parser.destroy();
      // Skip the rest of the body so that the response can be written on the same connection.
      req.resume();
      if (!stored) return reject(error);
      stored
        .then(discard, () => undefined)
        .then(
          () => reject(error),
          () => reject(error),
        );
    };

    parser.on('file', (name, stream, info) => {
      if (name !== field || stored) {
        stream.resume();
        return;
      }
      stored = consume({ fileName: info.filename ?? '', stream });
      stored.catch(fail);
    });
    parser.on('field', (name) => {
      if (name === field) textField = true;
    });
    parser.on('error', (error: Error) => fail(multipartParseError(error.message)));
    parser.on('close', () => {
      if (settled) return;
      if (!stored) {
        settled = true;
        resolve(textField ? { kind: 'not-a-file' } : { kind: 'missing' });
        return;
      }
      stored.then((value) => {
        if (settled) return;
        settled = true;
        resolve({ kind: 'stored', value });
      }, fail);
    });
    req.on('aborted', () => fail(multipartParseError('the client closed the connection')));
    req.pipe(parser);
  });
}
