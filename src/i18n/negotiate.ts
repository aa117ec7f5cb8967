/**
 * `Accept-Language` negotiation, as Django's `LocaleMiddleware` does it: the language of the
 * request is the best of the supported ones by the header's q-values (`ru-RU` matches `ru`),
 * `LANGUAGE_CODE` when none fits; answers carry `Content-Language` and `Vary: Accept-Language`.
 * Only registered when `LANGUAGES` is set, so a single-language deployment pays nothing.
 *
 * @module
 */
import type { Context, Next } from 'koa';
import type { Language } from './translate.js';

declare module 'koa' {
  interface DefaultState {
    /** The negotiated language of the request; absent when negotiation is off. */
    language?: Language;
  }
}

/**
 * Builds the negotiating middleware.
 *
 * @param fallback - `LANGUAGE_CODE`, chosen when the header names no supported language
 * @param supported - `LANGUAGES`, the languages a client may choose among
 * @returns the middleware, which sets `ctx.state.language`
 * @example
 * app.use(negotiateLanguage('en', ['en', 'ru']));
 */
export function negotiateLanguage(fallback: Language, supported: readonly Language[]) {
  // The fallback first: `*` and a missing header choose it, as Django ignores `*`.
  const candidates = [fallback, ...supported.filter((language) => language !== fallback)];
  return async function languageMiddleware(ctx: Context, next: Next): Promise<void> {
    const chosen = ctx.get('Accept-Language') ? ctx.acceptsLanguages(candidates) : false;
    const language = (chosen || fallback) as Language;
    ctx.state.language = language;
    ctx.set('Content-Language', language);
    ctx.vary('Accept-Language');
    await next();
  };
}
