import { verifyJwt } from '../auth/jwt.js';
import { notImplemented, ServiceError } from '../errors.js';

/**
 * REST authentication: `Authorization: Bearer <JWT>`, HS256 with either access key, `exp`
 * required (5 minutes of clock skew), and an audience naming this very request.
 *
 * The audience check is lenient the way the service's is: case-insensitive, the full URL with
 * or without its query string, and either side may be percent-decoded once. SDKs sign the URL
 * they send (the JS SDK includes the query, older docs said to leave it out), and encodings of
 * the same URL differ between stacks (`'` vs `%27`), so exact byte equality would be fragile.
 */

/** What the request was addressed to, as the caller signed it. */
export interface RequestAddress {
  /** `http://host:port`, from the scheme and the Host header. */
  readonly origin: string;
  /** The path exactly as sent (still percent-encoded). */
  readonly rawPath: string;
  /** The query string exactly as sent, without `?` (empty when absent). */
  readonly rawQuery: string;
}

/** Audience of tokens from Microsoft Entra ID (the SDKs' `TokenCredential` path). */
const ENTRA_AUDIENCE = 'https://webpubsub.azure.com';

/** Refusal carries no detail: an unauthenticated caller learns nothing. */
export const unauthenticated = (): ServiceError => new ServiceError(401, 'Error.Unauthorized', 'Unauthorized.');

export function authenticate(authorization: string | undefined, address: RequestAddress, keys: readonly string[]): void {
  const token = bearerToken(authorization);
  if (token === undefined) throw unauthenticated();
  const result = verifyJwt(token, { keys });
  if (!result.ok) {
    if (claimsEntraAudience(token)) {
      throw notImplemented('Microsoft Entra ID authentication (a TokenCredential); use the connection string with its AccessKey');
    }
    throw unauthenticated();
  }
  if (!audienceMatches(result.payload.aud, address)) throw unauthenticated();
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
 * Whether an (unverifiable) token was minted for the service by Entra ID: worth a 501 that says
 * so instead of a bare 401. Reads the payload without trusting it; grants nothing.
 */
function claimsEntraAudience(token: string): boolean {
  const payload = token.split('.')[1];
  if (payload === undefined) return false;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (typeof claims !== 'object' || claims === null || !('aud' in claims)) return false;
    const { aud } = claims;
    return aud === ENTRA_AUDIENCE || (Array.isArray(aud) && aud.includes(ENTRA_AUDIENCE));
  } catch {
    return false;
  }
}
