// @ts-check
/**
 * TypeDoc plugin: resolves `{@link Name}` by a unique exported name anywhere in src/.
 *
 * TypeScript resolves a `{@link}` only to names in scope, so `@throws {@link ApiError}` in a module
 * that throws it through a helper (without importing it) would be a broken link. This plugin
 * gives such a link the one exported declaration of that name in the project. A name that exists
 * nowhere, or more than once, stays unresolved — and typedoc's invalidLink validation still fails
 * the build on it.
 */
import { Converter, ReflectionKind } from 'typedoc';

const IDENTIFIER = /^\s*([A-Za-z_$][\w$]*)\s*(?:\|.*)?$/s;

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(
    Converter.EVENT_RESOLVE_BEGIN,
    (context) => {
      const project = context.project;
      /** @type {Map<string, import('typedoc').Reflection[]>} */
      const byName = new Map();
      for (const reflection of project.getReflectionsByKind(ReflectionKind.SomeExport)) {
        if (!reflection.parent?.kindOf(ReflectionKind.Module | ReflectionKind.Project)) continue;
        byName.set(reflection.name, [...(byName.get(reflection.name) ?? []), reflection]);
      }

      /** @param {readonly import('typedoc').CommentDisplayPart[] | undefined} parts */
      const link = (parts) => {
        for (const part of parts ?? []) {
          if (part.kind !== 'inline-tag' || !part.tag.startsWith('@link') || part.target !== undefined) continue;
          const name = IDENTIFIER.exec(part.text)?.[1];
          const candidates = name ? byName.get(name) : undefined;
          if (candidates?.length === 1) part.target = candidates[0];
        }
      };
      /** @param {import('typedoc').Comment | undefined} comment */
      const linkComment = (comment) => {
        if (!comment) return;
        link(comment.summary);
        for (const tag of comment.blockTags) link(tag.content);
      };

      for (const reflection of Object.values(project.reflections)) {
        linkComment(reflection.comment);
        if ('readme' in reflection) link(/** @type {any} */ (reflection).readme);
      }
    },
    100,
  );
}
