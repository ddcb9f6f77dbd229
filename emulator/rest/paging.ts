import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { badRequest } from '../errors.js';
import type { GroupMember } from '../hub/types.js';

/**
 * Paging of `listConnectionsInGroup`. Members are ordered by connection id (ordinal), and a
 * continuation token names the last id returned: the next page starts after it. So pages
 * neither repeat nor skip members that stay in the group while someone else joins or leaves,
 * and a token still works after its own connection is gone.
 *
 * Tokens are signed (HMAC with a per-process secret) and bound to the hub and group they came
 * from, so a caller cannot craft a cursor or replay one against another group.
 */

export const DEFAULT_PAGE_SIZE = 200;
export const MAX_PAGE_SIZE = 200;
/** Ids are bounded by what fits in a URL; tokens beyond this are not ours. */
const MAX_TOKEN_LENGTH = 4096;

export interface Page {
  readonly members: readonly GroupMember[];
  /** Whether members remain after this page. */
  readonly more: boolean;
}

/** The first `size` members whose id sorts after `after` (all members when undefined). */
export function selectPage(members: readonly GroupMember[], after: string | undefined, size: number): Page {
  const rest = after === undefined ? [...members] : members.filter((member) => member.connectionId > after);
  rest.sort((a, b) => (a.connectionId < b.connectionId ? -1 : a.connectionId > b.connectionId ? 1 : 0));
  return { members: rest.slice(0, size), more: rest.length > size };
}

export interface CursorCodec {
  /** A token meaning "after `connectionId`" within `scope`. */
  encode(scope: string, connectionId: string): string;
  /** The connection id of a token minted for `scope`; 400 for anything else. */
  decode(scope: string, token: string): string;
}

export function createCursorCodec(secret: Buffer = randomBytes(32)): CursorCodec {
  const sign = (scope: string, connectionId: string): Buffer =>
    createHmac('sha256', secret).update(scope).update('\0').update(connectionId).digest();
  return {
    encode(scope, connectionId) {
      return `${Buffer.from(connectionId, 'utf8').toString('base64url')}.${sign(scope, connectionId).toString('base64url')}`;
    },
    decode(scope, token) {
      const dot = token.indexOf('.');
      if (token.length <= MAX_TOKEN_LENGTH && dot > 0) {
        const connectionId = Buffer.from(token.slice(0, dot), 'base64url').toString('utf8');
        const signature = Buffer.from(token.slice(dot + 1), 'base64url');
        const expected = sign(scope, connectionId);
        if (signature.length === expected.length && timingSafeEqual(signature, expected)) return connectionId;
      }
      throw badRequest('The continuationToken is not valid for this hub and group.', 'continuationToken');
    },
  };
}
