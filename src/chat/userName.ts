import { codePointLength, invalid, valid, type Validation } from './validation.js';

export const MAX_USER_NAME_LENGTH = 32;

/**
 * Names nobody may pick: they would pass for the app itself in the message list (`system` is
 * the sender of notices) or for someone with authority.
 */
export const RESERVED_USER_NAMES: ReadonlySet<string> = new Set([
  'system',
  'server',
  'admin',
  'administrator',
  'root',
  'moderator',
  'mod',
  'support',
  'everyone',
  'all',
  'anonymous',
  'guest',
  'null',
  'undefined',
]);

/** Letters, marks and digits of any script, plus space, `.`, `_`, `-` and `'`. */
const NAME_CHARACTERS = /^[\p{L}\p{M}\p{N} ._'-]+$/u;

/**
 * Validates a nickname chosen by the user (negotiate `?id=` or a lazy-auth connect `?id=`).
 * Returns the name trimmed and NFC-normalized: the id the token and every message carry.
 */
export function validateUserName(input: unknown): Validation<string> {
  if (typeof input !== 'string' || input.trim() === '') {
    return invalid('name-missing', 'Choose a name (the id query parameter is missing or empty).');
  }
  // Bound the work before normalizing: no valid name is anywhere near this long.
  if (input.length > MAX_USER_NAME_LENGTH * 4) {
    return invalid('name-too-long', `Names are limited to ${MAX_USER_NAME_LENGTH} characters.`);
  }
  const name = input.normalize('NFC').trim();
  if (codePointLength(name) > MAX_USER_NAME_LENGTH) {
    return invalid('name-too-long', `Names are limited to ${MAX_USER_NAME_LENGTH} characters.`);
  }
  if (!NAME_CHARACTERS.test(name)) {
    return invalid('name-invalid-characters', "Names may use letters, digits, spaces and . _ - ' only.");
  }
  if (RESERVED_USER_NAMES.has(name.normalize('NFKC').toLowerCase())) {
    return invalid('name-reserved', `The name "${name}" is reserved; choose another one.`);
  }
  return valid(name);
}

export const MAX_PRINCIPAL_NAME_LENGTH = 128;

/**
 * Validates an identity vouched for by a trusted party (the platform's principal headers or a
 * token we signed). Those follow the identity provider's rules, not ours (e-mail addresses are
 * common), so only length and invisible/control characters are checked.
 */
export function validatePrincipalName(input: unknown): Validation<string> {
  if (typeof input !== 'string' || input.trim() === '') {
    return invalid('principal-missing', 'No signed-in user.');
  }
  const name = input.trim();
  if (name.length > MAX_PRINCIPAL_NAME_LENGTH) {
    return invalid('principal-too-long', `User ids are limited to ${MAX_PRINCIPAL_NAME_LENGTH} characters.`);
  }
  if (/[\p{Cc}\p{Cs}\u202A-\u202E\u2066-\u2069]/u.test(name)) {
    return invalid('principal-invalid-characters', 'The user id contains control characters.');
  }
  return valid(name);
}
