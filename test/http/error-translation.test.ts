import { expect } from 'chai';
import { cliFailure } from '../../src/commands/exit-codes.js';
import { domainErrorOfDatabase } from '../../src/db/classify-error.js';
import {
  ConflictError,
  UnavailableError,
  authenticationFailed,
  fieldError,
  invalidAccessToken,
  invalidToken,
  notFound,
  permissionDenied,
  serviceUnavailable,
  throttled,
  validationError,
} from '../../src/errors.js';
import { toHttpError } from '../../src/http/error-writer.js';
import { ObjectTooLargeError, StorageUnavailableError } from '../../src/storage/storage.js';

// The domain errors as each edge answers them, without a server: the HTTP writer's table and the CLI's.

const challenge = { 'WWW-Authenticate': 'Bearer realm="api"' };

describe('domain errors over HTTP (toHttpError)', () => {
  const table: Array<[string, Error, number, Record<string, unknown>, Record<string, string>]> = [
    [
      'validation failed',
      validationError({ username: ['This field is required.'] }),
      400,
      { username: ['This field is required.'] },
      {},
    ],
    ['one field error', fieldError('old_password', 'Wrong.'), 400, { old_password: ['Wrong.'] }, {}],
    [
      'wrong credentials (DRF: no code)',
      authenticationFailed('No active account found with the given credentials'),
      401,
      { detail: 'No active account found with the given credentials' },
      challenge,
    ],
    [
      'inactive user (simplejwt: a code)',
      authenticationFailed('User is inactive', 'user_inactive'),
      401,
      { detail: 'User is inactive', code: 'user_inactive' },
      challenge,
    ],
    [
      'bad token on a token endpoint',
      invalidToken(),
      401,
      { detail: 'Token is invalid or expired', code: 'token_not_valid' },
      challenge,
    ],
    [
      'bad access token on a protected endpoint',
      invalidAccessToken('Token is blacklisted'),
      401,
      {
        detail: 'Given token not valid for any token type',
        code: 'token_not_valid',
        messages: [{ token_class: 'AccessToken', token_type: 'access', message: 'Token is blacklisted' }],
      },
      challenge,
    ],
    [
      'permission denied',
      permissionDenied(),
      403,
      { detail: 'You do not have permission to perform this action.' },
      {},
    ],
    ['not found', notFound(), 404, { detail: 'Not found.' }, {}],
    ['conflict', new ConflictError('In use.'), 409, { detail: 'In use.' }, {}],
    [
      'an upload over the limit',
      new ObjectTooLargeError(10),
      413,
      { detail: 'The file exceeds the upload limit of 10 bytes.' },
      {},
    ],
    [
      'throttled, 1 second',
      throttled(0.2),
      429,
      { detail: 'Request was throttled. Expected available in 1 second.' },
      { 'Retry-After': '1' },
    ],
    [
      'throttled, 3 seconds',
      throttled(2.5),
      429,
      { detail: 'Request was throttled. Expected available in 3 seconds.' },
      { 'Retry-After': '3' },
    ],
    ['unavailable', serviceUnavailable(), 503, { detail: 'Service temporarily unavailable.' }, {}],
    [
      'the object store down',
      new StorageUnavailableError('S3 request failed: connect ECONNREFUSED'),
      503,
      { detail: 'Service temporarily unavailable.' },
      {},
    ],
  ];
  for (const [name, error, status, body, headers] of table) {
    it(`${name}: ${status}`, () => {
      const answer = toHttpError(error as never);
      expect(answer.status).to.equal(status);
      expect(JSON.parse(JSON.stringify(answer.body)), 'the body as sent in English').to.deep.equal(body);
      expect(answer.headers).to.deep.equal(headers);
    });
  }

  it('recognises an unreachable database as "unavailable", and nothing else', () => {
    const down = domainErrorOfDatabase(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    );
    expect(down).to.be.instanceOf(UnavailableError);
    expect((down as UnavailableError).service).to.equal('database');
    expect(domainErrorOfDatabase(new Error('syntax error at or near "SELEC"'))).to.equal(undefined);
  });
});

describe('domain errors on the command line (cliFailure)', () => {
  it('prints every field of a validation failure on one line', () => {
    expect(
      cliFailure(
        validationError({
          username: ['A user with that username already exists.'],
          password: ['Too short.', 'Too common.'],
        }),
      ),
    ).to.deep.equal({
      line: 'error: username: A user with that username already exists.; password: Too short. Too common.',
      status: 1,
    });
  });

  it('prints a conflict as its message alone', () => {
    expect(cliFailure(new ConflictError('The embedded database is in use.'))).to.deep.equal({
      line: 'The embedded database is in use.',
      status: 1,
    });
  });

  it('prints what failed for other refusals and for anything unexpected', () => {
    expect(cliFailure(new StorageUnavailableError('media folder data/media is not usable'))).to.deep.equal({
      line: 'error: media folder data/media is not usable',
      status: 1,
    });
    expect(cliFailure(new Error('boom'))).to.deep.equal({ line: 'error: boom', status: 1 });
  });
});
