/**
 * The request headers that stay the same for every event of a connection (identity, hub,
 * signature, origin). Built once per connection: the HMAC and the header encodings are the costly
 * part of a request and depend on nothing that changes per event.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import { CE_AWPS_VERSION, CE_SPEC_VERSION, Header, ceSource } from './cloudEvents.js';
import { toHeaderValue } from './headerValue.js';
import { signConnectionId } from './signature.js';
import type { UpstreamConnection } from './types.js';

export type ConnectionHeaders =
  | {
      readonly ok: true;
      /** Lower-cased hub name: `ce-hub`, `{hub}` and the handler lookup all use it. */
      readonly hubKey: string;
      readonly headers: Readonly<OutgoingHttpHeaders>;
    }
  /** A value (typically a client-chosen user id) that no header can carry faithfully. */
  | { readonly ok: false; readonly hubKey: string; readonly reason: string };

export interface ConnectionHeaderCache {
  of(connection: UpstreamConnection): ConnectionHeaders;
}

export function createConnectionHeaderCache(options: {
  readonly accessKeys: readonly string[];
  /** `WebHook-Request-Origin`. */
  readonly origin: string;
}): ConnectionHeaderCache {
  // Keyed by the connection object, so entries go when the connection does.
  const cache = new WeakMap<UpstreamConnection, { readonly userId: string | undefined; readonly subprotocol: string | undefined; readonly built: ConnectionHeaders }>();
  return {
    of(connection) {
      const cached = cache.get(connection);
      // userId and subprotocol are fixed per connection object today; compare anyway, it is cheap.
      if (cached !== undefined && cached.userId === connection.userId && cached.subprotocol === connection.subprotocol) {
        return cached.built;
      }
      const built = build(connection, options.accessKeys, options.origin);
      cache.set(connection, { userId: connection.userId, subprotocol: connection.subprotocol, built });
      return built;
    },
  };
}

function build(connection: UpstreamConnection, accessKeys: readonly string[], origin: string): ConnectionHeaders {
  const hubKey = connection.hub.toLowerCase();
  const hub = toHeaderValue(hubKey);
  const connectionId = toHeaderValue(connection.connectionId);
  if (hub === undefined) return { ok: false, hubKey, reason: 'the hub name cannot be sent in a header' };
  if (connectionId === undefined) return { ok: false, hubKey, reason: 'the connection id cannot be sent in a header' };
  const source = toHeaderValue(ceSource(hubKey, connection.connectionId)) ?? '';

  const headers: OutgoingHttpHeaders = {
    [Header.specVersion]: CE_SPEC_VERSION,
    [Header.awpsVersion]: CE_AWPS_VERSION,
    [Header.source]: source,
    [Header.hub]: hub,
    [Header.connectionId]: connectionId,
    [Header.signature]: signConnectionId(accessKeys, connection.connectionId),
    [Header.requestOrigin]: origin,
  };
  if (connection.userId !== undefined) {
    const userId = toHeaderValue(connection.userId);
    if (userId === undefined) return { ok: false, hubKey, reason: 'the user id cannot be sent in a header' };
    headers[Header.userId] = userId;
  }
  if (connection.subprotocol !== undefined) {
    const subprotocol = toHeaderValue(connection.subprotocol);
    if (subprotocol === undefined) return { ok: false, hubKey, reason: 'the subprotocol cannot be sent in a header' };
    headers[Header.subprotocol] = subprotocol;
  }
  return { ok: true, hubKey, headers };
}
