/**
 * Reads a client upgrade request into a decision: refuse it (with an HTTP status), recover a
 * reliable session, or ask the upstream whether a new connection may open. Pure: no sockets.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { checkClientToken, type ClientIdentity } from '../auth/clientToken.js';
import { hubSettingsOf, type EmulatorConfig } from '../config.js';
import type { ConnectRequest, MultiMap } from '../events/types.js';
import { isValidHubName } from '../protocol/names.js';
import { parseOfferedSubprotocols } from '../protocol/subprotocols.js';
import { readRawMode, type RawSendToGroup } from './rawMode.js';

export type UpgradeDecision =
  | { readonly kind: 'reject'; readonly status: number; readonly reason: string }
  | {
      readonly kind: 'recover';
      readonly hub: string;
      readonly connectionId: string;
      readonly reconnectionToken: string;
      readonly offered: readonly string[];
    }
  | {
      readonly kind: 'connect';
      readonly hub: string;
      readonly identity: ClientIdentity;
      readonly offered: readonly string[];
      readonly request: ConnectRequest;
      /** Raw clients only: publish every frame to this group instead of sending events. */
      readonly rawSendToGroup: RawSendToGroup | undefined;
    };

const HUBS_PREFIX = '/client/hubs/';
const WEBSOCKET_KEY = /^[+/0-9A-Za-z]{22}==$/;
const ANONYMOUS: ClientIdentity = Object.freeze({ userId: undefined, roles: [], groups: [], claims: Object.freeze(Object.create(null) as Record<string, readonly string[]>) });

export function readUpgradeRequest(method: string | undefined, url: URL, headers: IncomingHttpHeaders, config: EmulatorConfig): UpgradeDecision {
  if (!isWebSocketHandshake(method, headers)) return reject(400, 'Not a valid WebSocket handshake.');
  const hub = hubOf(url);
  if (typeof hub !== 'string') return hub;
  const offered = parseOfferedSubprotocols(headers['sec-websocket-protocol']);

  // Recovery URLs still carry the original (maybe expired) access token: the connection id decides.
  const connectionId = url.searchParams.get('awps_connection_id');
  if (connectionId !== null) {
    return { kind: 'recover', hub, connectionId, reconnectionToken: url.searchParams.get('awps_reconnection_token') ?? '', offered };
  }

  const token = url.searchParams.get('access_token') ?? bearerOf(headers.authorization);
  let identity = ANONYMOUS;
  if (token === undefined || token === '') {
    if (hubSettingsOf(config, hub).anonymousConnectPolicy !== 'allow') {
      return reject(401, 'An access token is required (access_token query parameter or Authorization: Bearer).');
    }
  } else {
    const checked = checkClientToken(token, { keys: config.accessKeys, host: headers.host ?? '', hub });
    if (!checked.ok) return reject(checked.status, checked.reason);
    identity = checked.identity;
  }
  const rawMode = readRawMode(url.searchParams);
  if (!rawMode.ok) return reject(400, rawMode.reason);
  return {
    kind: 'connect',
    hub,
    identity,
    offered,
    request: { claims: identity.claims, query: queryOf(url), headers: headersOf(headers), subprotocols: offered },
    rawSendToGroup: rawMode.sendToGroup,
  };
}

function reject(status: number, reason: string): UpgradeDecision {
  return { kind: 'reject', status, reason };
}

/** The checks `ws` would make, done first so the upstream never hears of a handshake `ws` refuses. */
function isWebSocketHandshake(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  return (
    method === 'GET' &&
    headers.upgrade?.toLowerCase() === 'websocket' &&
    WEBSOCKET_KEY.test(headers['sec-websocket-key'] ?? '') &&
    (headers['sec-websocket-version'] === '13' || headers['sec-websocket-version'] === '8')
  );
}

/** The hub from `/client/hubs/{hub}` (one decoded segment) or `/client?hub=`. */
function hubOf(url: URL): string | UpgradeDecision {
  let hub: string | null;
  if (url.pathname.startsWith(HUBS_PREFIX)) {
    const segment = url.pathname.slice(HUBS_PREFIX.length);
    if (segment.includes('/')) return reject(404, 'Unknown client path.');
    try {
      hub = decodeURIComponent(segment);
    } catch {
      return reject(400, 'The hub name is not valid percent-encoding.');
    }
  } else if (url.pathname === '/client') {
    hub = url.searchParams.get('hub');
  } else {
    return reject(400, 'The hub is missing: use /client/hubs/{hub}.');
  }
  if (hub === null || hub === '') return reject(400, 'The hub is missing: use /client/hubs/{hub} or /client?hub={hub}.');
  if (!isValidHubName(hub)) return reject(400, 'The hub name is not valid: a letter, then up to 127 letters, digits or _ ` , . [ ].');
  return hub;
}

function bearerOf(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer +(\S+)$/i.exec(authorization.trim());
  return match?.[1];
}

/** The query as the `connect` event reports it, without the access token. */
function queryOf(url: URL): MultiMap {
  const query = Object.create(null) as Record<string, string[]>;
  for (const [name, value] of url.searchParams) {
    if (name === 'access_token') continue;
    (query[name] ??= []).push(value);
  }
  return query;
}

/** The request headers as the `connect` event reports them, without credentials. */
function headersOf(headers: IncomingHttpHeaders): MultiMap {
  const result = Object.create(null) as Record<string, string[]>;
  for (const [name, value] of Object.entries(headers)) {
    if (name === 'authorization' || value === undefined) continue;
    result[name] = Array.isArray(value) ? value : [value];
  }
  return result;
}
