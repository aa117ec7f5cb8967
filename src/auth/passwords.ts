/**
 * Password hashing: argon2id for new hashes; Django's `pbkdf2_sha256` and `argon2` hashes verify,
 * so users imported from the Django database keep their passwords, and are re-hashed on their next
 * successful login.
 *
 * @module
 */
import { pbkdf2, timingSafeEqual } from 'node:crypto';
import os from 'node:os';
import { promisify } from 'node:util';
import {
  hash as argon2Hash,
  parseOptions,
  verify as argon2Verify,
  type Algorithm,
  type Version,
} from '@node-rs/argon2';
import pLimit from 'p-limit';

const pbkdf2Async = promisify(pbkdf2);

/**
 * The password computations (argon2, pbkdf2) of this process, at most `concurrency` at once. Each
 * argon2 run holds 19 MiB; running more at once than the process has cores for adds memory and
 * latency, not throughput. The rest wait their turn (in order).
 */
const hashing = pLimit(os.availableParallelism());

/**
 * Sets how many password computations may run at once in this process: the server gives each of
 * its worker processes its share of the cores.
 *
 * @param concurrency - at least 1
 */
export function limitPasswordWork(concurrency: number): void {
  hashing.concurrency = Math.max(1, Math.floor(concurrency));
}

/** How many password computations are running and waiting now. */
export function passwordWork(): { running: number; waiting: number; limit: number } {
  return { running: hashing.activeCount, waiting: hashing.pendingCount, limit: hashing.concurrency };
}

// The values of @node-rs/argon2's `const enum`s, which isolated modules cannot read from its types.
const ARGON2ID = 2 as Algorithm;
const VERSION_0X13 = 1 as Version;

/** argon2id parameters: OWASP's recommended minimum (19 MiB, 2 iterations, 1 lane), version 0x13. */
export const ARGON2_PARAMS = Object.freeze({
  algorithm: ARGON2ID,
  version: VERSION_0X13,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
});

/**
 * Hashes a password with argon2id.
 *
 * @returns the PHC string, e.g. `$argon2id$v=19$m=19456,t=2,p=1$…`
 */
export function hashPassword(password: string): Promise<string> {
  return hashing(() => argon2Hash(password, ARGON2_PARAMS));
}

/** The outcome of {@link verifyPassword}. */
export interface PasswordCheck {
  /** The password matches the hash. */
  readonly valid: boolean;
  /** The hash is of an older scheme or weaker parameters; store a fresh one. */
  readonly needsRehash: boolean;
}

/**
 * Checks a password against a stored hash of any supported scheme.
 *
 * Unusable passwords (Django's `!…`) and unknown schemes never match.
 *
 * @param password - what the user typed
 * @param encoded - the stored hash
 */
export async function verifyPassword(password: string, encoded: string): Promise<PasswordCheck> {
  if (encoded.startsWith('$argon2')) {
    const valid = await verifyArgon2(password, encoded);
    return { valid, needsRehash: valid && !hasCurrentParams(encoded) };
  }
  if (encoded.startsWith('argon2$argon2')) {
    // Django's Argon2PasswordHasher stores the PHC string behind its own "argon2" prefix.
    const valid = await verifyArgon2(password, encoded.slice('argon2'.length));
    return { valid, needsRehash: valid };
  }
  if (encoded.startsWith('pbkdf2_sha256$')) {
    return { valid: await verifyDjangoPbkdf2(password, encoded), needsRehash: true };
  }
  return { valid: false, needsRehash: false };
}

/** A malformed PHC string is a mismatch, not an error. */
function verifyArgon2(password: string, phc: string): Promise<boolean> {
  return hashing(() => argon2Verify(phc, password)).catch(() => false);
}

/**
 * The hash is argon2id of the current version with exactly {@link ARGON2_PARAMS}' costs (the
 * parameters' order in the PHC string does not matter: the previous argon2 package wrote `m,p,t`).
 */
function hasCurrentParams(phc: string): boolean {
  const { algorithm, version, memoryCost, timeCost, parallelism } = parseOptions(phc);
  const want = ARGON2_PARAMS;
  return (
    algorithm === want.algorithm &&
    version === want.version &&
    memoryCost === want.memoryCost &&
    timeCost === want.timeCost &&
    parallelism === want.parallelism
  );
}

async function verifyDjangoPbkdf2(password: string, encoded: string): Promise<boolean> {
  const [, iterations, salt, hash] = encoded.split('$');
  const rounds = Number(iterations);
  if (!salt || !hash || !Number.isSafeInteger(rounds) || rounds < 1 || rounds > 10_000_000) return false;
  const expected = Buffer.from(hash, 'base64');
  if (expected.length !== 32) return false;
  const actual = await hashing(() => pbkdf2Async(password, salt, rounds, 32, 'sha256'));
  return timingSafeEqual(actual, expected);
}

let dummyHash: Promise<string> | null = null;

/**
 * Spends the time of one password check against a throw-away hash, so that a login for an unknown
 * user takes as long as one for a known user with a wrong password.
 */
export async function verifyDummyPassword(password: string): Promise<void> {
  dummyHash ??= hashPassword('dummy password for timing equality');
  await verifyPassword(password, await dummyHash);
}
