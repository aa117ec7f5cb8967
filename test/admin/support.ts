/**
 * Logging into the admin panel in tests, and reading what its pages carry.
 */
import { expect } from 'chai';
import type supertest from 'supertest';
import { api, FRONTEND_ORIGIN, PASSWORD } from '../support/app.js';

/** The `Origin` of a browser on an allowed origin. */
export const ORIGIN = { Origin: FRONTEND_ORIGIN };

/** A logged-in admin session: a client of a fresh app, the cookies and the forms' CSRF token. */
export interface AdminSession {
  readonly client: ReturnType<typeof supertest>;
  readonly cookie: string;
  readonly csrf: string;
  /** GET with the session cookies. */
  get(path: string): supertest.Test;
  /** POST a form with the session cookies, the CSRF token and an allowed `Origin`, unless overridden. */
  post(
    path: string,
    form?: Record<string, string | string[]>,
    options?: { csrf?: string | null; origin?: string | null },
  ): supertest.Test;
}

/** The `name=value` pairs of a response's `Set-Cookie` headers, as a `Cookie` header. */
export function cookieHeader(res: { headers: Record<string, unknown> }): string {
  const raw = res.headers['set-cookie'];
  const lines = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
  return lines.map((l) => l.split(';')[0]).join('; ');
}

/** The CSRF token in a page's forms. */
export function csrfOf(html: string): string {
  const match = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('no CSRF token in the page');
  return match[1]!;
}

/** Encodes a form with repeated fields as a browser would. */
export function encodeForm(form: Record<string, string | string[]>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) for (const v of [value].flat()) params.append(key, v);
  return params.toString();
}

/**
 * Logs a staff user into the panel through its login form.
 *
 * @param client - the app to log into; a fresh one by default
 * @example
 * const admin = await adminLogin(await makeUser({ is_staff: true, is_superuser: true }));
 */
export async function adminLogin(
  user: { username: string },
  password = PASSWORD,
  client: ReturnType<typeof supertest> = api(),
): Promise<AdminSession> {
  const res = await client
    .post('/admin/login/')
    .set(ORIGIN)
    .type('form')
    .send(encodeForm({ username: user.username, password, next: '/admin/' }));
  expect(res.status, res.text).to.equal(302);
  const cookie = cookieHeader(res);
  const home = await client.get('/admin/').set('Cookie', cookie);
  expect(home.status).to.equal(200);
  const csrf = csrfOf(home.text);
  return {
    client,
    cookie,
    csrf,
    get: (path) => client.get(path).set('Cookie', cookie),
    post: (path, form = {}, options = {}) => {
      const token = options.csrf === undefined ? csrf : options.csrf;
      const origin = options.origin === undefined ? FRONTEND_ORIGIN : options.origin;
      const request = client.post(path).set('Cookie', cookie).type('form');
      if (origin !== null) request.set('Origin', origin);
      return request.send(encodeForm(token === null ? form : { ...form, csrfmiddlewaretoken: token }));
    },
  };
}
