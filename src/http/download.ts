/**
 * The headers of a file download, shared by the authenticated download route and the signed media
 * route.
 *
 * @module
 */
import contentDisposition from 'content-disposition';
import type { Context } from 'koa';

/**
 * Marks a response as a file download: `Content-Disposition: attachment` with an ASCII `filename`
 * and the exact UTF-8 name in RFC 5987's `filename*`, the stored media type, and headers that stop
 * a browser from rendering an uploaded HTML or SVG file as a page of the API's origin.
 *
 * @param file.size - the length in bytes, when known
 * @example
 * setDownloadHeaders(ctx, { fileName: 'Отчёт.pdf', contentType: 'application/pdf', size: 1024 });
 * // Content-Disposition: attachment; filename="?????.pdf"; filename*=UTF-8''%D0%9E%D1%82%D1%87%D1%91%D1%82.pdf
 */
export function setDownloadHeaders(ctx: Context, file: { fileName: string; contentType: string; size?: number }): void {
  ctx.set('Content-Disposition', contentDisposition(file.fileName));
  ctx.set('Content-Type', file.contentType); // as stored: `ctx.type` would add a charset
  if (file.size !== undefined) ctx.length = file.size;
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Content-Security-Policy', "default-src 'none'; sandbox");
  ctx.set('Cache-Control', 'private, no-store');
}
