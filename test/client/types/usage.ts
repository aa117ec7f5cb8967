/**
 * Type-level tests of the client package: compiled (never run) by test/client/types.test.ts. Each
 * `@ts-expect-error` marks a misuse the generated types must refuse; when one stops being an
 * error, tsc reports the unused directive and the test fails. The lines without one must compile.
 */
import { createBackofficeClient, unwrap } from '../../../client/src/index.js';

const client = createBackofficeClient({ auth: 'cookie' });

/** Right usage: compiles. */
export async function rightUsage() {
  const page = await unwrap(
    client.api.GET('/api/users/', { params: { query: { search: 'ann', ordering: ['-username'], page_size: 50 } } }),
  );
  const names: string[] = page.results.map((user) => user.username);
  await client.api.POST('/api/users/', { body: { username: 'ann', password: 'correct-Horse-battery-9' } });
  await client.api.GET('/api/users/{id}/', { params: { path: { id: 1 } } });
  await client.login({ username: 'ann', password: 'secret' });
  return names;
}

/** Misuse: each line is refused. */
export async function misuse() {
  // @ts-expect-error a query parameter the operation does not declare (misspelt `search`)
  await client.api.GET('/api/users/', { params: { query: { serach: 'ann' } } });
  // @ts-expect-error `page_size` is a number
  await client.api.GET('/api/users/', { params: { query: { page_size: 'fifty' } } });
  // @ts-expect-error a body field the schema does not have (misspelt `email`)
  await client.api.POST('/api/users/', { body: { username: 'ann', password: 'x', emial: 'a@example.com' } });
  // @ts-expect-error `password` is required
  await client.api.POST('/api/users/', { body: { username: 'ann' } });
  // @ts-expect-error a path the API does not have
  await client.api.GET('/api/user/');
  // @ts-expect-error the path parameter is `id`
  await client.api.GET('/api/users/{id}/', { params: { path: { pk: '1' } } });
  // @ts-expect-error a method the path does not answer
  await client.api.DELETE('/api/users/me/');
  const me = await unwrap(client.api.GET('/api/users/me/'));
  // @ts-expect-error a response field the schema does not have (it is `username`)
  void me.userName;
  // @ts-expect-error login takes `username` and `password`
  await client.login({ user: 'ann', password: 'secret' });
}
