/** Client access tokens as Web PubSub issues them: HS256 over the UTF-8 bytes of the access key. */
import { createHmac } from 'node:crypto';

export const DEFAULT_ACCESS_KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';

export interface TokenOptions {
  /** `http://host:port/client/hubs/{hub}` */
  readonly audience: string;
  readonly userId?: string;
  readonly roles?: readonly string[];
  readonly groups?: readonly string[];
  readonly lifetimeSeconds?: number;
}

export function signClientToken(key: string, options: TokenOptions): string {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    iat: now,
    exp: now + (options.lifetimeSeconds ?? 3600),
    aud: options.audience,
  };
  if (options.userId !== undefined) payload.sub = options.userId;
  if (options.roles !== undefined && options.roles.length > 0) payload.role = options.roles;
  if (options.groups !== undefined && options.groups.length > 0) payload['webpubsub.group'] = options.groups;
  const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}`;
  const signature = createHmac('sha256', Buffer.from(key, 'utf8')).update(body).digest('base64url');
  return `${body}.${signature}`;
}
