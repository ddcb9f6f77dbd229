import { readUnverifiedJwt, verifyJwt } from '../auth/jwt.js';
import { ServiceError } from '../errors.js';

/**
 * REST authentication: `Authorization: Bearer <JWT>`, HS256 with either access key, `exp`
 * required (5 minutes of clock skew), and an audience naming this very request.
 *
 * The audience check is lenient the way the service's is: case-insensitive, the full URL with
 * or without its query string, and either side may be percent-decoded once. SDKs sign the URL
 * they send (the JS SDK includes the query, older docs said to leave it out), and encodings of
 * the same URL differ between stacks (`'` vs `%27`), so exact byte equality would be fragile.
 *
 * Tokens from Microsoft Entra ID (what a `TokenCredential` sends) are addressed to the service
 * itself. Their signature can only be checked against Entra ID's published keys, which an
 * offline emulator cannot reach, so they are refused unless the development-only
 * `allowUnverifiedEntraTokens` mode is on; then audience and lifetime are checked, nothing else.
 */

/** What the request was addressed to, as the caller signed it. */
export interface RequestAddress {
  /** `http(s)://host:port`, from the scheme and the Host header. */
  readonly origin: string;
  /** The path exactly as sent (still percent-encoded). */
  readonly rawPath: string;
  /** The query string exactly as sent, without `?` (empty when absent). */
  readonly rawQuery: string;
}

export interface AuthenticationOptions {
  readonly keys: readonly string[];
  readonly allowUnverifiedEntraTokens: boolean;
}

/** The resource of Web PubSub in Entra ID: a credential asks for `{resource}/.default` and gets tokens for it. */
const ENTRA_RESOURCE = 'https://webpubsub.azure.com';
const ENTRA_AUDIENCES: ReadonlySet<string> = new Set([ENTRA_RESOURCE, `${ENTRA_RESOURCE}/`, `${ENTRA_RESOURCE}/.default`]);

/** Refusal carries no detail: an unauthenticated caller learns nothing. */
export const unauthenticated = (): ServiceError => new ServiceError(401, 'Error.Unauthorized', 'Unauthorized.');

export function authenticate(authorization: string | undefined, address: RequestAddress, options: AuthenticationOptions): void {
  const token = bearerToken(authorization);
  if (token === undefined) throw unauthenticated();
  if (claimsEntraAudience(token)) {
    if (!options.allowUnverifiedEntraTokens || !readUnverifiedJwt(token).ok) throw unauthenticated();
    return;
  }
  const result = verifyJwt(token, { keys: options.keys });
  if (!result.ok || !audienceMatches(result.payload.aud, address)) throw unauthenticated();
}

function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const space = authorization.indexOf(' ');
  if (space < 0 || authorization.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  const token = authorization.slice(space + 1).trim();
  return token.length > 0 ? token : undefined;
}

function audienceMatches(aud: unknown, address: RequestAddress): boolean {
  const audiences = Array.isArray(aud) ? aud : [aud];
  const withoutQuery = address.origin + address.rawPath;
  const candidates = address.rawQuery.length > 0 ? [`${withoutQuery}?${address.rawQuery}`, withoutQuery] : [withoutQuery];
  const accepted = new Set<string>();
  for (const candidate of candidates) {
    accepted.add(candidate.toLowerCase());
    accepted.add(decodeOnce(candidate).toLowerCase());
  }
  return audiences.some(
    (value) => typeof value === 'string' && (accepted.has(value.toLowerCase()) || accepted.has(decodeOnce(value).toLowerCase())),
  );
}

function decodeOnce(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * Whether a token is addressed to the service as an Entra ID resource. Reads the payload without
 * trusting it: the caller decides what, if anything, that grants.
 */
function claimsEntraAudience(token: string): boolean {
  const payload = token.split('.')[1];
  if (payload === undefined) return false;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null || !('aud' in claims)) return false;
    const audiences: unknown[] = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    return audiences.some((aud) => typeof aud === 'string' && ENTRA_AUDIENCES.has(aud.toLowerCase()));
  } catch {
    return false;
  }
}
