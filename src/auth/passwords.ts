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
import argon2 from 'argon2';
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

/** argon2id parameters: OWASP's recommended minimum (19 MiB, 2 iterations, 1 lane). */
export const ARGON2_PARAMS = Object.freeze({ type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });

/**
 * Hashes a password with argon2id.
 *
 * @returns the PHC string, e.g. `$argon2id$v=19$m=19456,t=2,p=1$…`
 */
export function hashPassword(password: string): Promise<string> {
  return hashing(() => argon2.hash(password, ARGON2_PARAMS));
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
    const valid = await hashing(() => argon2.verify(encoded, password)).catch(() => false);
    return { valid, needsRehash: valid && argon2.needsRehash(encoded, ARGON2_PARAMS) };
  }
  if (encoded.startsWith('argon2$argon2')) {
    // Django's Argon2PasswordHasher stores the PHC string behind its own "argon2" prefix.
    const valid = await hashing(() => argon2.verify(encoded.slice('argon2'.length), password)).catch(() => false);
    return { valid, needsRehash: valid };
  }
  if (encoded.startsWith('pbkdf2_sha256$')) {
    return { valid: await verifyDjangoPbkdf2(password, encoded), needsRehash: true };
  }
  return { valid: false, needsRehash: false };
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
