import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * HS256 JSON Web Tokens as Web PubSub uses them: signed with the UTF-8 bytes of the access key
 * string (not base64-decoded), no `kid`. Only HS256 is accepted, whatever the header claims.
 */

export type JwtPayload = Readonly<Record<string, unknown>>;

export interface VerifyOptions {
  /** Keys to try in order (primary, secondary). */
  readonly keys: readonly string[];
  /** Seconds since the epoch; defaults to the clock. */
  readonly now?: number;
  /** Tolerated clock difference for `exp`/`nbf`, seconds. */
  readonly clockSkewSeconds?: number;
  /** When true (the default) a token without `exp` is refused. */
  readonly requireExpiry?: boolean;
}

export type VerifyResult =
  | { readonly ok: true; readonly payload: JwtPayload; readonly keyIndex: number }
  | { readonly ok: false; readonly reason: string };

/** Tokens longer than this are refused before any parsing: nothing legitimate comes close. */
export const MAX_TOKEN_LENGTH = 16 * 1024;
export const DEFAULT_CLOCK_SKEW_SECONDS = 300;

const HEADER_SEGMENT = base64UrlJson({ alg: 'HS256', typ: 'JWT' });

export function signJwt(payload: JwtPayload, key: string): string {
  const body = `${HEADER_SEGMENT}.${base64UrlJson(payload)}`;
  return `${body}.${hmac(body, key).toString('base64url')}`;
}

export function verifyJwt(token: string, options: VerifyOptions): VerifyResult {
  if (token.length === 0) return { ok: false, reason: 'The token is empty.' };
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'The token is too long.' };
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'The token is not a JWT (expected three dot-separated parts).' };
  const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;

  const header = parseJsonSegment(headerPart);
  if (header === undefined || header.alg !== 'HS256') {
    return { ok: false, reason: 'The token must be signed with HS256.' };
  }
  const signature = Buffer.from(signaturePart, 'base64url');
  const signedPart = `${headerPart}.${payloadPart}`;
  const keyIndex = options.keys.findIndex((key) => equalDigests(hmac(signedPart, key), signature));
  if (keyIndex < 0) return { ok: false, reason: 'The token signature does not match any access key.' };

  const payload = parseJsonSegment(payloadPart);
  if (payload === undefined) return { ok: false, reason: 'The token payload is not a JSON object.' };
  const lifetimeProblem = checkLifetime(payload, options);
  return lifetimeProblem === undefined ? { ok: true, payload, keyIndex } : { ok: false, reason: lifetimeProblem };
}

export type UnverifiedResult = { readonly ok: true; readonly payload: JwtPayload } | { readonly ok: false; readonly reason: string };

/**
 * The claims of a well-formed JWT whose signature is NOT checked, whatever its algorithm, with
 * its lifetime checked as `verifyJwt` would. Only for tokens the emulator cannot verify (signed
 * by Microsoft Entra ID) in its opt-in development mode.
 */
export function readUnverifiedJwt(token: string, options: Omit<VerifyOptions, 'keys'> = {}): UnverifiedResult {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'The token is empty or too long.' };
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'The token is not a JWT (expected three dot-separated parts).' };
  const header = parseJsonSegment(parts[0] ?? '');
  if (header === undefined || typeof header.alg !== 'string') return { ok: false, reason: 'The token header is not a JSON object with an alg.' };
  const payload = parseJsonSegment(parts[1] ?? '');
  if (payload === undefined) return { ok: false, reason: 'The token payload is not a JSON object.' };
  const lifetimeProblem = checkLifetime(payload, options);
  return lifetimeProblem === undefined ? { ok: true, payload } : { ok: false, reason: lifetimeProblem };
}

/** Why `exp`/`nbf` make the token unusable now (with the clock skew), or undefined. */
function checkLifetime(payload: JwtPayload, options: Omit<VerifyOptions, 'keys'>): string | undefined {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const skew = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  const { exp, nbf } = payload;
  if (exp === undefined) {
    if (options.requireExpiry ?? true) return 'The token has no expiry (exp).';
  } else if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    return 'The token expiry (exp) is not a number.';
  } else if (exp + skew < now) {
    return 'The token has expired.';
  }
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf - skew > now)) return 'The token is not valid yet (nbf).';
  return undefined;
}

function hmac(data: string, key: string): Buffer {
  return createHmac('sha256', Buffer.from(key, 'utf8')).update(data).digest();
}

/** Constant-time comparison that does not throw on length mismatch. */
function equalDigests(expected: Buffer, actual: Buffer): boolean {
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function base64UrlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function parseJsonSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    // Claims are read by name only; a null prototype keeps `__proto__` keys inert.
    return Object.assign(Object.create(null) as Record<string, unknown>, value);
  } catch {
    return undefined;
  }
}
