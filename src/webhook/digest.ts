import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets in constant time. Both sides are hashed first so their lengths are equal
 * (`timingSafeEqual` throws on unequal lengths) and the comparison time reveals nothing about
 * how long or how similar the candidate is.
 */
export function secretsEqual(candidate: string, expected: string): boolean {
  return timingSafeEqual(sha256(candidate), sha256(expected));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
