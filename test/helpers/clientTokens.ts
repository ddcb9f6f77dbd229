/**
 * Client access tokens written by hand, independently of the emulator's own JWT code, so tests can
 * forge every variant (wrong key, other audience, alg none, missing expiry...).
 */
import { createHmac } from 'node:crypto';

export interface TokenOptions {
  /** Defaults to the signing key's HS256; `none` writes an unsigned token. */
  alg?: string;
  /** The payload; `exp`, `iat` and `aud` are not added for you. */
  payload: Record<string, unknown>;
  key: string;
}

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

export function writeToken({ alg = 'HS256', payload, key }: TokenOptions): string {
  const body = `${segment({ alg, typ: 'JWT' })}.${segment(payload)}`;
  if (alg === 'none') return `${body}.`;
  return `${body}.${createHmac('sha256', Buffer.from(key, 'utf8')).update(body).digest('base64url')}`;
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A token like `getClientAccessToken` writes, valid for an hour unless overridden. */
export function clientToken(endpoint: string, hub: string, key: string, claims: Record<string, unknown> = {}): string {
  const now = nowSeconds();
  return writeToken({ key, payload: { iat: now, exp: now + 3600, aud: `${endpoint}/client/hubs/${hub}`, ...claims } });
}
