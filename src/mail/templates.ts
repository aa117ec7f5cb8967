/**
 * The messages' bodies: eta templates in `templates/`, one `<name>.subject.eta`, `<name>.txt.eta`
 * and `<name>.html.eta` per message (Django's `*_subject.txt`, `*_email.html` layout). The HTML is
 * auto-escaped; the plain text and the subject are not (no markup to break).
 *
 * @module
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';

const views = path.join(path.dirname(fileURLToPath(import.meta.url)), 'templates');
const html = new Eta({ views, cache: true, autoEscape: true });
const plain = new Eta({ views, cache: true, autoEscape: false });

/** A rendered message: subject, plain text, and HTML when the template has one. */
export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

/**
 * Renders a message's templates with the same data.
 *
 * @param name - the templates' base name, e.g. `password-reset`
 * @param data - what the templates read as `it`
 * @returns the subject on one line (as Django joins the subject template's lines), the text and the HTML
 * @example
 * const { subject, text, html } = renderMail('password-reset', { username: 'alice', link });
 */
export function renderMail(name: string, data: Record<string, unknown>): RenderedMail {
  const subject = plain.render(`./${name}.subject.eta`, data).split(/\r?\n/).join('').trim();
  const text = plain.render(`./${name}.txt.eta`, data);
  const hasHtml = fs.existsSync(path.join(views, `${name}.html.eta`));
  return hasHtml ? { subject, text, html: html.render(`./${name}.html.eta`, data) } : { subject, text };
}
