/**
 * Signed, expiring app URLs: the local folder's counterpart of S3 presigned URLs.
 *
 * A URL names an object key, an expiry time, the file name and media type to serve it with, and an
 * HMAC-SHA256 over all of them keyed by a sub-key of `SECRET_KEY`. Anyone holding the URL may
 * download the object until it expires; changing any part of it breaks the signature.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The route that serves signed URLs, below the API prefix: `GET /api/media/{key}/`. */
export const MEDIA_PATH = '/api/media/';

/** What a signed URL grants: one object, until a time, served under a name and type. */
export interface MediaGrant {
  readonly key: string;
  /** Expiry as seconds since the epoch. */
  readonly expires: number;
  readonly fileName: string;
  readonly contentType: string;
}

/**
 * Derives the signing key of media URLs from `SECRET_KEY`, so that a media signature can never be
 * mistaken for a token signature made with the same secret.
 *
 * @example
 * const key = mediaSigningKey(config.secretKey);
 */
export function mediaSigningKey(secretKey: string): Buffer {
  return createHmac('sha256', secretKey).update('backoffice.storage.media-url').digest();
}

function signature(signingKey: Buffer, grant: MediaGrant): string {
  const payload = [grant.key, String(grant.expires), grant.fileName, grant.contentType].join('\n');
  return createHmac('sha256', signingKey).update(payload).digest('base64url');
}

/**
 * Builds the absolute signed URL of a grant.
 *
 * @param origin - the API's origin, e.g. `https://api.example.com`
 * @example
 * signMediaUrl(key, 'http://localhost:8000', { key: 'files/abc', expires: 1767225600, fileName: 'a.pdf', contentType: 'application/pdf' });
 * // 'http://localhost:8000/api/media/files/abc/?expires=1767225600&name=a.pdf&type=application%2Fpdf&signature=…'
 */
export function signMediaUrl(signingKey: Buffer, origin: string, grant: MediaGrant): string {
  const url = new URL(`${MEDIA_PATH}${grant.key}/`, origin);
  url.searchParams.set('expires', String(grant.expires));
  url.searchParams.set('name', grant.fileName);
  url.searchParams.set('type', grant.contentType);
  url.searchParams.set('signature', signature(signingKey, grant));
  return url.toString();
}

/**
 * Checks the query of a signed URL against the key in its path.
 *
 * @param query - `expires`, `name`, `type` and `signature` as received
 * @param now - the current time in seconds since the epoch
 * @returns the grant, or `null` when the signature is wrong, a part is missing or the URL expired
 */
export function verifyMediaUrl(
  signingKey: Buffer,
  key: string,
  query: Record<string, unknown>,
  now = Date.now() / 1000,
): MediaGrant | null {
  const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : null);
  const expires = Number(text('expires'));
  const fileName = text('name');
  const contentType = text('type');
  const given = text('signature');
  if (!Number.isSafeInteger(expires) || fileName === null || contentType === null || given === null) return null;
  const grant: MediaGrant = { key, expires, fileName, contentType };
  const expected = Buffer.from(signature(signingKey, grant));
  const actual = Buffer.from(given);
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null;
  return expires >= now ? grant : null;
}
