/**
 * Pieces of the nginx configurations the tests and the rehearsal write around a shipped server
 * block, to run nginx as an ordinary process in a scratch folder.
 */

/**
 * The http-level directives that keep nginx's temporary files in `dir/tmp` (instead of the
 * package's folders under /var/lib/nginx).
 *
 * @param dir - the scratch folder; `dir/tmp` must exist and be writable by the workers
 * @example
 * `http {\n${scratchTempPaths(dir)}\n${serverBlocks}\n}`
 */
export function scratchTempPaths(dir: string): string {
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `  ${kind}_temp_path ${dir}/tmp/${kind === 'client_body' ? 'body' : kind};`).join('\n');
}
