import { signJwt } from './jwt.js';

/**
 * Client access tokens as the service mints them for `POST /api/hubs/{hub}/:generateToken`, in
 * the shape the SDKs produce when they sign locally: claims `role` and `webpubsub.group` (arrays,
 * left out when empty), `iat`, `exp`, `aud`, then `sub` when there is a user; HS256 with the
 * primary access key, no `kid`.
 */

export type ClientType = 'Default' | 'MQTT';

export const DEFAULT_TOKEN_MINUTES = 60;

export interface ClientTokenOptions {
  /** `http(s)://host[:port]` the clients are told to use, without a trailing slash. */
  readonly endpoint: string;
  readonly hub: string;
  readonly userId?: string;
  readonly roles?: readonly string[];
  readonly groups?: readonly string[];
  readonly minutesToExpire?: number;
  readonly clientType?: ClientType;
  /** The access key that signs (the primary one). */
  readonly key: string;
  /** Seconds since the epoch; defaults to the clock. */
  readonly now?: number;
}

/**
 * The audience clients are checked against: the HTTP(S) form of the client URL even though
 * clients dial `ws(s)://`, with the hub as given (not encoded).
 */
export function clientAudience(endpoint: string, hub: string, clientType: ClientType = 'Default'): string {
  return `${endpoint}/${clientType === 'MQTT' ? 'clients/mqtt' : 'client'}/hubs/${hub}`;
}

export function generateClientToken(options: ClientTokenOptions): string {
  const iat = options.now ?? Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {};
  if (options.roles !== undefined && options.roles.length > 0) payload.role = [...options.roles];
  if (options.groups !== undefined && options.groups.length > 0) payload['webpubsub.group'] = [...options.groups];
  payload.iat = iat;
  payload.exp = iat + (options.minutesToExpire ?? DEFAULT_TOKEN_MINUTES) * 60;
  payload.aud = clientAudience(options.endpoint, options.hub, options.clientType);
  if (options.userId !== undefined && options.userId.length > 0) payload.sub = options.userId;
  return signJwt(payload, options.key);
}
