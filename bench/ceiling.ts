/**
 * The ceiling of the benchmark: a bare `node:http` server with the app's worker count (node:cluster)
 * answering `GET /api/users/me/` with the same JSON from memory. Nothing the app does per request
 * (routing, auth, a query, logging) happens here, so its rate bounds what the app could reach on
 * this machine, with this load generator, in this run.
 *
 * Environment: `PORT`, `WEB_CONCURRENCY`, `CEILING_BODY` (the JSON to answer).
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8100);
const workers = Number(process.env.WEB_CONCURRENCY ?? 2);
const body = Buffer.from(process.env.CEILING_BODY ?? '{}');

if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const server = createServer((req, res) => {
    if (req.url === '/api/users/me/' || req.url === '/api/health/') {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length });
      res.end(body);
    } else {
      res.writeHead(404).end();
    }
  });
  server.keepAliveTimeout = 5_000;
  server.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
