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
import { parseError, payloadTooLarge, unsupportedMediaType } from './http-errors.js';

/** Largest JSON body accepted; uploads go through their own streaming parser. */
export const JSON_BODY_LIMIT = 1024 * 1024;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/i;

/**
 * The media type of a request — Koa's `ctx.request.type`, the `Content-Type` without its
 * parameters — lower-cased, `''` when the header is absent.
 *
 * @param ctx - the request's context
 * @returns e.g. `application/json`, `multipart/form-data`, or `''`
 * @example
 * if (mediaTypeOf(ctx) !== 'multipart/form-data') throw unsupportedMediaType(mediaTypeOf(ctx) || 'none');
 */
export function mediaTypeOf(ctx: Context): string {
  return ctx.request.type.trim().toLowerCase();
}

/**
 * Reads a whole request body as UTF-8 text, up to a limit.
 *
 * @param ctx - the request's context (its `Content-Length`, when sent, must match the body)
 * @param limit - the largest body accepted, in bytes
 * @returns the body's text
 * @throws {@link ApiError} 413 over the limit; raw-body's own errors for an aborted or malformed body
 * @example
 * const text = await readBodyText(ctx, JSON_BODY_LIMIT);
 */
export async function readBodyText(ctx: Context, limit: number): Promise<string> {
  try {
    return await getRawBody(ctx.req, { limit, length: ctx.get('Content-Length') || undefined, encoding: 'utf8' });
  } catch (error) {
    if ((error as { type?: string }).type === 'entity.too.large') throw payloadTooLarge();
    throw error;
  }
}

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
    const mediaType = mediaTypeOf(ctx);
    if (passthrough.has(mediaType)) return next();
    if (!JSON_TYPE.test(mediaType)) throw unsupportedMediaType(mediaType || 'none');

    const text = await readBodyText(ctx, JSON_BODY_LIMIT);
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
