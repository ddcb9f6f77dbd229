/**
 * Stand-ins for Microsoft Entra ID access tokens: JWTs shaped like the ones a `TokenCredential`
 * returns for Web PubSub, but with a signature nobody can verify. Only the emulator's
 * development-only `allowUnverifiedEntraTokens` mode accepts them.
 */
import { randomBytes } from 'node:crypto';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity';

export const ENTRA_AUDIENCE = 'https://webpubsub.azure.com';

const segment = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** An RS256-looking token with random bytes for a signature. */
export function fakeEntraToken(claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = { aud: ENTRA_AUDIENCE, iss: 'https://sts.windows.net/00000000-0000-0000-0000-000000000000/', iat: now, nbf: now, exp: now + 3600, oid: 'test-identity', ...claims };
  return `${segment({ alg: 'RS256', typ: 'JWT', kid: 'test' })}.${segment(payload)}.${randomBytes(64).toString('base64url')}`;
}

/** A credential that mints such tokens and remembers the scopes it was asked for. */
export function fakeEntraCredential(claims: Record<string, unknown> = {}): TokenCredential & { readonly scopes: string[] } {
  const scopes: string[] = [];
  return {
    scopes,
    getToken(requested: string | string[], _options?: GetTokenOptions): Promise<AccessToken> {
      scopes.push(...(Array.isArray(requested) ? requested : [requested]));
      return Promise.resolve({ token: fakeEntraToken(claims), expiresOnTimestamp: Date.now() + 3_600_000 });
    },
  };
}
