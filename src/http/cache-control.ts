/**
 * What caches may keep of the API's answers: by default nothing (`Cache-Control: no-store`), since
 * most of them carry tokens or personal data (RFC 6749 §5.1 requires it of token answers); a route
 * whose answer is public says so itself by setting its own `Cache-Control` (the OpenAPI document).
 *
 * @module
 */
import type { Context, Next } from 'koa';

/**
 * Marks every answer that set no `Cache-Control` of its own `no-store`, and one given to a request
 * that carried cookies `Vary: Cookie` (the token cookies decide who is asking), errors included.
 *
 * @example
 * app.use(noStoreByDefault);
 */
export async function noStoreByDefault(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } finally {
    if (!ctx.response.get('Cache-Control')) ctx.set('Cache-Control', 'no-store');
    if (ctx.headers.cookie !== undefined) ctx.vary('Cookie');
  }
}
