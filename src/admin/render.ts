/**
 * Rendering the admin pages: eta templates from `views/`, auto-escaped, with what every page needs
 * (the user, the CSRF token, a permission test), and the stylesheets served from `node_modules`.
 * Lookups keyed by request data use maps, never plain objects, whose prototype answers to
 * `constructor` or `toString`.
 *
 * @module
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { Context } from 'koa';
import { hasPermission } from '../permissions/policy.js';
import { text, word, type Language, type Message, type Wording } from '../i18n/translate.js';
import './navigation.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const eta = new Eta({ views: path.join(here, 'views'), cache: true, autoEscape: true });

/**
 * The admin's language: its templates are English, and so are the messages it shows (a domain
 * error's, a form's, a notice's), worded from the same catalogue as the API's.
 */
const ADMIN_LANGUAGE: Language = 'en';

/**
 * A message as the admin shows it.
 *
 * @example
 * adminWording(text('passwordMismatch')); // 'The two password fields didn’t match.'
 */
export function adminWording(wording: Wording): string {
  return word(wording, ADMIN_LANGUAGE);
}

/**
 * The stylesheets of the panel: Pico CSS from its npm package and the panel's few own rules. Read
 * once; no request leaves the machine.
 */
export const STYLESHEETS: ReadonlyMap<string, string> = new Map([
  ['pico.min.css', fs.readFileSync(createRequire(import.meta.url).resolve('@picocss/pico/css/pico.min.css'), 'utf8')],
  ['admin.css', fs.readFileSync(path.join(here, 'static/admin.css'), 'utf8')],
]);

/**
 * The admin pages' Content-Security-Policy: nothing but this origin's stylesheets and forms, no
 * scripts at all, no framing. Pico draws its checkmarks and arrows with `data:` SVG images.
 */
export const ADMIN_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * Fixed notices shown after a redirect (`?notice=`), so no text from the URL reaches the page. A
 * map, not an object: a name such as `constructor` must find nothing.
 */
const NOTICES: ReadonlyMap<string, Message> = new Map([
  ['created', text('noticeCreated')],
  ['saved', text('noticeSaved')],
  ['deleted', text('noticeDeleted')],
  ['password', text('noticePassword')],
  ['deactivated', text('noticeDeactivated')],
  ['logged-out', text('noticeLoggedOut')],
  ['blacklisted', text('noticeBlacklisted')],
  ['reset-sent', text('noticeResetSent')],
  ['reset-not-sent', text('noticeResetNotSent')],
  ['none-selected', text('noneSelected')],
]);

/**
 * Renders a page into the response.
 *
 * @param view - the template under `views/`, e.g. `users/list`
 * @param data - the page's own data; `user`, `csrf`, `can`, `notice`, `path` and the navigation's
 *   `adminSections` are added
 * @param status - the HTTP status (200 unless given)
 * @example
 * render(ctx, 'users/list', { page, filters });
 */
export function render(ctx: Context, view: string, data: Record<string, unknown> = {}, status = 200): void {
  const user = ctx.state.user;
  const kept = typeof ctx.query.notice === 'string' ? NOTICES.get(ctx.query.notice) : undefined;
  const notice = kept && adminWording(kept);
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = eta.render(`./${view}`, {
    user,
    csrf: ctx.state.csrfToken ?? '',
    can: (codename: string) => (user ? hasPermission(user, codename) : false),
    notice,
    path: ctx.path,
    query: ctx.query,
    adminSections: ctx.state.adminSections ?? [],
    ...data,
  });
}
