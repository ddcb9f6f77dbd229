import { createHmac } from 'node:crypto';
import { secretsEqual } from './digest.js';

/** A real header holds one `sha256=<64 hex>` entry per access key (two at most); cap the work. */
const MAX_SIGNATURE_HEADER_LENGTH = 1024;

/** `sha256=<hex HMAC-SHA256 of the connection id, keyed with the UTF-8 bytes of the access key>`. */
export function computeSignature(connectionId: string, accessKey: string): string {
  return `sha256=${createHmac('sha256', accessKey).update(connectionId, 'utf8').digest('hex')}`;
}

/**
 * Verifies `ce-signature`: true when any comma-separated entry matches the signature of the
 * connection id under any of the access keys. Hex is compared case-insensitively; every
 * candidate is compared in constant time; garbage of any length is simply false.
 */
export function verifySignature(header: string | null, connectionId: string | null, accessKeys: readonly string[]): boolean {
  if (header === null || connectionId === null || header.length > MAX_SIGNATURE_HEADER_LENGTH) return false;
  const entries = header
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  let matched = false;
  for (const key of accessKeys) {
    const expected = computeSignature(connectionId, key);
    for (const entry of entries) {
      // No early exit: the time taken does not depend on which entry matched.
      matched = secretsEqual(entry, expected) || matched;
    }
  }
  return matched;
}
