/**
 * The shapes of the files endpoints. Uploads are `multipart/form-data` streamed by busboy, not
 * JSON, so the request side is a set of rules on the `file` part; the response is `FileJson`
 * (`presenter.ts`).
 *
 * @module
 */
import { text } from '../i18n/translate.js';
/** The form field that carries the file. */
export const FILE_FIELD = 'file';

/** The longest file name kept, as Django's `FileField(max_length=255)`. */
export const MAX_FILE_NAME_LENGTH = 255;

/** DRF's `FileField` messages, to the letter. */
export const FILE_MESSAGES = {
  required: text('fileRequired'),
  invalid: text('fileInvalid'),
  noName: text('fileNoName'),
  empty: text('fileEmpty'),
  /** A file name over the limit; `length` is the name's length. */
  maxLength: (length: number) => text('fileNameTooLong', { max_length: MAX_FILE_NAME_LENGTH, length }),
} as const;

/**
 * Cleans a client's file name for storage and display: the last path segment (browsers on Windows
 * send `C:\fakepath\…`), without control characters, trimmed.
 *
 * @returns the cleaned name, possibly empty
 * @example
 * cleanFileName('C:\\fakepath\\report.pdf'); // 'report.pdf'
 */
export function cleanFileName(raw: string): string {
  const last = raw.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- control characters are what this removes
  return last.replace(/[\u0000-\u001f\u007f]/g, '').trim();
}
