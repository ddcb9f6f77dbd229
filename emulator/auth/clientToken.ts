/**
 * Client access tokens (`?access_token=` or `Authorization: Bearer`): HS256 with either access
 * key, a lifetime with 5 minutes of clock skew, and an audience of
 * `{scheme}://{host}/client/hubs/{hub}` compared leniently, as the service does.
 */
import { DEFAULT_CLOCK_SKEW_SECONDS, verifyJwt, type JwtPayload } from './jwt.js';

export interface ClientIdentity {
  /** `sub`; undefined for tokens without one. */
  readonly userId: string | undefined;
  readonly roles: readonly string[];
  readonly groups: readonly string[];
  /** Every claim as strings, as the `connect` event reports them (null prototype). */
  readonly claims: Readonly<Record<string, readonly string[]>>;
}

export type TokenCheck =
  | { readonly ok: true; readonly identity: ClientIdentity }
  | { readonly ok: false; readonly status: 400 | 401; readonly reason: string };

export interface ClientTokenOptions {
  readonly keys: readonly string[];
  /** The `Host` header of the request (host and port as the client dialled them). */
  readonly host: string;
  /** The hub as it appeared in the URL, decoded. */
  readonly hub: string;
  /** Seconds since the epoch; defaults to the clock. */
  readonly now?: number;
}

const ROLE_CLAIM = 'role';
const GROUP_CLAIM = 'webpubsub.group';
const MAX_TOKEN_GROUP_LENGTH = 1024;

export function checkClientToken(token: string, options: ClientTokenOptions): TokenCheck {
  const verified = verifyJwt(token, {
    keys: options.keys,
    clockSkewSeconds: DEFAULT_CLOCK_SKEW_SECONDS,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  if (!verified.ok) return { ok: false, status: 401, reason: verified.reason };
  const { payload } = verified;
  if (!audienceMatches(payload.aud, options.host, options.hub)) {
    return { ok: false, status: 401, reason: 'The token audience does not match this hub and host.' };
  }
  const sub = payload.sub;
  if (sub !== undefined && typeof sub !== 'string' && typeof sub !== 'number') {
    return { ok: false, status: 401, reason: "The token's 'sub' claim is not a string." };
  }
  const roles = stringsOf(payload[ROLE_CLAIM]);
  const groups = stringsOf(payload[GROUP_CLAIM]);
  if (roles === undefined) return { ok: false, status: 401, reason: "The token's 'role' claim is not a string or a list of strings." };
  if (groups === undefined) return { ok: false, status: 401, reason: "The token's 'webpubsub.group' claim is not a string or a list of strings." };
  if (groups.some((group) => group.trim() === '' || group.length > MAX_TOKEN_GROUP_LENGTH)) {
    return { ok: false, status: 400, reason: 'A group in the token is empty, only whitespace, or longer than 1024 characters.' };
  }
  return {
    ok: true,
    identity: { userId: sub === undefined ? undefined : String(sub), roles, groups, claims: claimsOf(payload) },
  };
}

/** A claim that may be one string or a list of them (JS tokens use lists, others may not). */
function stringsOf(value: unknown): string[] | undefined {
  if (value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  return undefined;
}

function claimsOf(payload: JwtPayload): Record<string, readonly string[]> {
  const claims = Object.create(null) as Record<string, readonly string[]>;
  for (const [name, value] of Object.entries(payload)) {
    const list: unknown[] = Array.isArray(value) ? value : [value];
    claims[name] = list.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
  }
  return claims;
}

const AUDIENCE_SCHEMES = ['http://', 'https://', 'ws://', 'wss://'];

/**
 * Lenient audience match: case-insensitive; the token may name the hub encoded or not, may be
 * percent-encoded once as a whole, may end with `/`, and may use http(s) or ws(s) (a proxy in
 * front of the emulator may terminate TLS). Host, port and path must otherwise agree.
 */
export function audienceMatches(aud: unknown, host: string, hub: string): boolean {
  const audiences = Array.isArray(aud) ? aud : [aud];
  const expected = new Set([`${host}/client/hubs/${hub}`, `${host}/client/hubs/${encodeURIComponent(hub)}`].map((value) => value.toLowerCase()));
  return audiences.some((candidate) => {
    if (typeof candidate !== 'string') return false;
    return [candidate, decodeOnce(candidate)].some((form) => {
      const lower = form.toLowerCase().replace(/\/$/, '');
      const scheme = AUDIENCE_SCHEMES.find((prefix) => lower.startsWith(prefix));
      return scheme !== undefined && expected.has(lower.slice(scheme.length));
    });
  });
}

function decodeOnce(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
