/**
 * The commands of the runbooks, taken from the Markdown itself: a fenced block right after an
 * HTML comment `<!-- rehearse: NAME -->` is the block the rehearsal runs as NAME. The docs site
 * shows the block as it is (the comment is invisible), so what the operator reads is what runs.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/processes.js';

/** The text of the block NAME of a runbook (docs/md/runbooks/FILE). */
export function runbookBlock(file: string, name: string): string {
  const text = readFileSync(path.join(ROOT, 'docs/md/runbooks', file), 'utf8');
  const pattern = new RegExp(`<!-- rehearse: ${name} -->\\s*\\n\`\`\`[a-z]*\\n([\\s\\S]*?)\\n\`\`\``, 'g');
  const found = [...text.matchAll(pattern)];
  if (found.length !== 1)
    throw new Error(`docs/md/runbooks/${file}: expected one block marked "rehearse: ${name}", found ${found.length}`);
  return found[0]![1]!;
}

/** Every block name marked in a runbook, for the check that each one is rehearsed. */
export function runbookBlockNames(file: string): string[] {
  const text = readFileSync(path.join(ROOT, 'docs/md/runbooks', file), 'utf8');
  return [...text.matchAll(/^<!-- rehearse: ([\w-]+) -->$/gm)].map((m) => m[1]!);
}
