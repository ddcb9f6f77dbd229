import { validatePrincipalName, validateUserName } from './userName.js';
import { invalid, type Validation } from './validation.js';

/**
 * The first value of `key` in a CloudEvents `string → string[]` map (claims, query). The map
 * arrives from the network, so only own properties count (never `__proto__` and friends).
 */
export function firstValue(map: unknown, key: string): string | undefined {
  if (typeof map !== 'object' || map === null || !Object.hasOwn(map, key)) return undefined;
  const entry: unknown = (map as Record<string, unknown>)[key];
  const first: unknown = Array.isArray(entry) ? entry[0] : entry;
  return typeof first === 'string' ? first : undefined;
}

export interface ConnectAttempt {
  /** `claims` of the connect event: those of the access token, if the client had one. */
  readonly claims: unknown;
  /** `query` of the connect event: the client URL's query string. */
  readonly query: unknown;
  /** App Service Authentication is on: only identities minted by negotiate are accepted. */
  readonly platformAuthEnabled: boolean;
}

/**
 * Decides who a connecting client is (lazy auth). A token from negotiate names the user in
 * `sub`, and that signed claim wins over anything in the query. Without a token (an anonymous
 * connect, like the tutorial's direct-connect page) the user is the `?id=` nickname, validated
 * like any nickname, unless App Service Authentication is on: then only signed-in users, who get
 * their token from negotiate, may connect.
 */
export function resolveConnectIdentity(attempt: ConnectAttempt): Validation<string> {
  const subject = firstValue(attempt.claims, 'sub');
  if (subject !== undefined) return validatePrincipalName(subject);
  if (attempt.platformAuthEnabled) {
    return invalid('sign-in-required', 'Sign in and connect with the URL from /negotiate.');
  }
  return validateUserName(firstValue(attempt.query, 'id'));
}
