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
  return ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((kind) => `  ${kind}_temp_path ${dir}/tmp/${kind === 'client_body' ? 'body' : kind};`)
    .join('\n');
}

/**
 * A whole nginx main configuration for a process in a scratch folder: its pid file, error log and
 * temporary files under `dir`, in the foreground, around the given http-level directives.
 *
 * @param dir - the scratch folder; `dir/logs` and `dir/tmp` must exist
 * @param options - `workers` and `connections` per worker, the error log's `errorLevel`, the
 *   `user` the workers run as (nginx's default when absent), and `http`: the directives and server
 *   blocks inside `http { }`
 * @example
 * mainConfig(dir, { workers: 1, connections: 128, errorLevel: 'warn', http: serverBlocks });
 */
export function mainConfig(
  dir: string,
  options: { workers: number; connections: number; errorLevel: string; user?: string; http: string },
): string {
  return `${options.user ? `user ${options.user};\n` : ''}worker_processes ${options.workers};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/logs/error.log ${options.errorLevel};
events { worker_connections ${options.connections}; }
http {
${scratchTempPaths(dir)}
${options.http}
}
`;
}
