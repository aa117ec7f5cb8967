/**
 * Content sniffing: the media type of an upload is read from its first bytes (magic numbers), never
 * taken from the client's `Content-Type`, which anyone can set to anything.
 *
 * @module
 */
import { Readable } from 'node:stream';
import { fileTypeFromBuffer } from 'file-type';

/** How many leading bytes are examined; `file-type` recognises nearly every format within them. */
export const SNIFF_BYTES = 4100;

/** The type of content no signature matched and that is not text. */
export const UNKNOWN_TYPE = 'application/octet-stream';

/**
 * Detects the media type of bytes: a known signature (`image/png`, `application/pdf`, …), else
 * `text/plain` for valid UTF-8 without control characters, else `application/octet-stream`.
 *
 * @param head - the first bytes of the content (up to {@link SNIFF_BYTES})
 * @param complete - whether `head` is the whole content (a cut-off UTF-8 sequence is then invalid)
 * @example
 * await detectContentType(Buffer.from('%PDF-1.7\n…'), true); // 'application/pdf'
 */
export async function detectContentType(head: Uint8Array, complete: boolean): Promise<string> {
  if (head.length === 0) return UNKNOWN_TYPE;
  // A malformed file can trip a format parser; it is then simply not that format.
  const detected = await fileTypeFromBuffer(head).catch(() => undefined);
  if (detected) return detected.mime;
  return looksLikeText(head, complete) ? 'text/plain' : UNKNOWN_TYPE;
}

function looksLikeText(head: Uint8Array, complete: boolean): boolean {
  // Up to three bytes of a multi-byte character may be cut off at the end of a partial head.
  const body = complete ? head : head.subarray(0, Math.max(0, head.length - 3));
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    return !/[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]/.test(text);
  } catch {
    return false;
  }
}

/**
 * Reads the first bytes of a stream to detect its type, and gives back a stream of the whole
 * content (those bytes included) to store. Holds at most {@link SNIFF_BYTES} plus one chunk.
 *
 * @param source - the upload as it arrives
 * @returns the detected media type and the content to read instead of `source`
 * @example
 * const { contentType, body } = await sniffContentType(upload);
 * await storage.put(key, body, { contentType, maxBytes });
 */
export async function sniffContentType(source: Readable): Promise<{ contentType: string; body: Readable }> {
  const iterator = (source as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  while (headBytes < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    headBytes += next.value.length;
  }
  const first = Buffer.concat(head, headBytes);
  const contentType = await detectContentType(first.subarray(0, SNIFF_BYTES), ended);
  async function* replay(): AsyncGenerator<Buffer> {
    if (first.length) yield first;
    if (ended) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  const body = Readable.from(replay(), { objectMode: false });
  // Whoever stops reading the body early (a limit, a failed store) stops the upload too.
  body.once('close', () => {
    if (!source.readableEnded) source.destroy();
  });
  return { contentType, body };
}
