/**
 * The per-connection cookie jar: handlers may set cookies (`Set-Cookie`) on any response, and every
 * later request of that connection carries them back (`Cookie`), like a browser would for a
 * session. Only name and value are kept; attributes other than expiry do not apply to one
 * connection talking to its handlers.
 */
import { isToken, isWritableHeaderValue } from './headerValue.js';

/** Bounds what a handler can make the emulator keep and resend. */
const MAX_COOKIES = 50;
const MAX_COOKIE_BYTES = 4096;

/** Applies `Set-Cookie` header values to `jar`. */
export function storeCookies(jar: Map<string, string>, setCookies: readonly string[] | undefined): void {
  if (setCookies === undefined) return;
  for (const line of setCookies) {
    const [pair = '', ...attributes] = line.split(';');
    const equals = pair.indexOf('=');
    if (equals <= 0) continue;
    const name = pair.slice(0, equals).trim();
    const value = pair.slice(equals + 1).trim();
    if (!isToken(name) || !isWritableHeaderValue(value) || value.includes(';') || name.length + value.length > MAX_COOKIE_BYTES) continue;
    if (expires(attributes)) {
      jar.delete(name);
    } else if (jar.has(name) || jar.size < MAX_COOKIES) {
      jar.set(name, value);
    }
  }
}

/** The `Cookie` header for `jar`, undefined when it is empty. */
export function cookieHeader(jar: ReadonlyMap<string, string>): string | undefined {
  if (jar.size === 0) return undefined;
  let header = '';
  for (const [name, value] of jar) header += header === '' ? `${name}=${value}` : `; ${name}=${value}`;
  return header;
}

/** `Max-Age` ≤ 0, or else an `Expires` in the past, deletes the cookie (Max-Age wins, as in RFC 6265). */
function expires(attributes: readonly string[]): boolean {
  let expiresAt: number | undefined;
  for (const attribute of attributes) {
    const equals = attribute.indexOf('=');
    if (equals === -1) continue;
    const name = attribute.slice(0, equals).trim().toLowerCase();
    const value = attribute.slice(equals + 1).trim();
    if (name === 'max-age' && /^-?\d+$/.test(value)) return Number(value) <= 0;
    if (name === 'expires') expiresAt = Date.parse(value);
  }
  return expiresAt !== undefined && !Number.isNaN(expiresAt) && expiresAt <= Date.now();
}
