/**
 * Django's four default password validators, with Django's messages to the letter:
 * similarity to the user's attributes, minimum length 8, the common-password list, not all digits.
 *
 * @module
 */
import fs from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { text, type Message } from '../i18n/translate.js';
import type { MessageKey } from '../i18n/en.js';

/** The user attributes a password must not resemble, with Django's verbose names. */
const SIMILARITY_ATTRIBUTES = [
  ['username', 'passwordSimilarUsername'],
  ['first_name', 'passwordSimilarFirstName'],
  ['last_name', 'passwordSimilarLastName'],
  ['email', 'passwordSimilarEmail'],
] as const;

const MAX_SIMILARITY = 0.7;
const MIN_LENGTH = 8;

/** What the similarity check compares the password with. */
export type PasswordUserAttributes = Partial<Record<(typeof SIMILARITY_ATTRIBUTES)[number][0], string | null>>;

let commonPasswords: Set<string> | null = null;

/**
 * Django's own list (`common-passwords.txt.gz`, 19,727 passwords; its license is in
 * `common-passwords.LICENSE`), read once, on first use, as Django's `CommonPasswordValidator` reads it.
 */
function loadCommonPasswords(): Set<string> {
  if (!commonPasswords) {
    const list = gunzipSync(fs.readFileSync(new URL('./common-passwords.txt.gz', import.meta.url))).toString('utf8');
    commonPasswords = new Set(
      list
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean),
    );
  }
  return commonPasswords;
}

/**
 * Runs every validator and returns all failures together, as Django's `validate_password` does.
 *
 * @param password - the candidate password
 * @param user - the attributes it must not resemble (the user being created or changed)
 * @returns the messages, empty when the password is acceptable
 * @example
 * validatePassword('alice123', { username: 'alice' });
 * // ['The password is too similar to the username.']
 */
export function validatePassword(password: string, user: PasswordUserAttributes = {}): Message[] {
  const errors: Message[] = [];
  const similar = similarAttribute(password, user);
  if (similar) errors.push(text(similar));
  if ([...password].length < MIN_LENGTH) {
    errors.push(text('passwordTooShort', { min_length: MIN_LENGTH }));
  }
  if (loadCommonPasswords().has(password.toLowerCase().trim())) errors.push(text('passwordTooCommon'));
  if (/^\d+$/.test(password)) errors.push(text('passwordEntirelyNumeric'));
  return errors;
}

function similarAttribute(password: string, user: PasswordUserAttributes): MessageKey | null {
  const lower = password.toLowerCase();
  for (const [attribute, verboseName] of SIMILARITY_ATTRIBUTES) {
    const value = user[attribute];
    if (!value) continue;
    const valueLower = value.toLowerCase();
    for (const part of [...valueLower.split(/\W+/), valueLower]) {
      if (!part || exceedsMaximumLengthRatio(lower, part)) continue;
      if (similarityRatio(lower, part) >= MAX_SIMILARITY) return verboseName;
    }
  }
  return null;
}

/** Django's shortcut: a much longer password cannot be too similar to a short attribute. */
function exceedsMaximumLengthRatio(password: string, value: string): boolean {
  return password.length >= 10 * value.length && value.length < (MAX_SIMILARITY / 2) * password.length;
}

/**
 * Python's `difflib.SequenceMatcher(a=a, b=b).ratio()`: twice the matched characters over the total
 * length, matching blocks found by Ratcliff/Obershelp (longest common block, then recursively on
 * each side).
 *
 * @example
 * similarityRatio('abcd', 'bcde'); // 0.75
 */
export function similarityRatio(a: string, b: string): number {
  const total = a.length + b.length;
  return total === 0 ? 1 : (2 * matchedCharacters(a, 0, a.length, b, 0, b.length)) / total;
}

function matchedCharacters(a: string, aLo: number, aHi: number, b: string, bLo: number, bHi: number): number {
  let bestI = aLo;
  let bestJ = bLo;
  let bestSize = 0;
  // Longest common substring; the first (leftmost in a, then in b) wins ties, as in difflib.
  let previous = new Map<number, number>();
  for (let i = aLo; i < aHi; i++) {
    const current = new Map<number, number>();
    for (let j = bLo; j < bHi; j++) {
      if (a[i] !== b[j]) continue;
      const size = (previous.get(j - 1) ?? 0) + 1;
      current.set(j, size);
      if (size > bestSize) {
        bestI = i - size + 1;
        bestJ = j - size + 1;
        bestSize = size;
      }
    }
    previous = current;
  }
  if (bestSize === 0) return 0;
  return (
    bestSize +
    matchedCharacters(a, aLo, bestI, b, bLo, bestJ) +
    matchedCharacters(a, bestI + bestSize, aHi, b, bestJ + bestSize, bHi)
  );
}
