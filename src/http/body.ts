/**
 * The JSON body parser, worded like DRF's `JSONParser`.
 *
 * A JSON body is parsed into `ctx.request.body`; an absent body is `{}` as DRF treats it; any other
 * media type is 415 unless the route declared it parses that type itself (multipart uploads).
 *
 * @module
 */
import type { Context, Next } from 'koa';
import getRawBody from 'raw-body';
import { parseError, payloadTooLarge, unsupportedMediaType } from './errors.js';

/** Largest JSON body accepted; uploads go through their own streaming parser. */
export const JSON_BODY_LIMIT = 1024 * 1024;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

declare module 'koa' {
  interface Request {
    /** The parsed JSON body; `{}` when the request had none. */
    body?: unknown;
  }
}

/**
 * Koa middleware parsing JSON request bodies.
 *
 * @param options.passthrough - media types left unread for the route to stream (e.g. `multipart/form-data`)
 */
export function jsonBody(options: { passthrough?: readonly string[] } = {}) {
  const passthrough = new Set(options.passthrough ?? []);
  return async function jsonBodyMiddleware(ctx: Context, next: Next): Promise<void> {
    if (!hasBody(ctx)) {
      ctx.request.body = {};
      return next();
    }
    const mediaType = (ctx.get('Content-Type').split(';')[0] ?? '').trim().toLowerCase();
    if (passthrough.has(mediaType)) return next();
    if (!JSON_TYPE.test(mediaType)) throw unsupportedMediaType(mediaType || 'none');

    let text: string;
    try {
      text = await getRawBody(ctx.req, { limit: JSON_BODY_LIMIT, length: ctx.get('Content-Length') || undefined, encoding: 'utf8' });
    } catch (error) {
      if ((error as { type?: string }).type === 'entity.too.large') throw payloadTooLarge();
      throw error;
    }
    if (text.trim() === '') {
      ctx.request.body = {};
    } else {
      try {
        ctx.request.body = JSON.parse(text);
      } catch (error) {
        throw parseError((error as Error).message);
      }
    }
    return next();
  };
}

function hasBody(ctx: Context): boolean {
  if (ctx.method === 'GET' || ctx.method === 'HEAD' || ctx.method === 'OPTIONS') return false;
  const length = ctx.get('Content-Length');
  if (length) return Number(length) > 0;
  return ctx.get('Transfer-Encoding') !== '';
}
