/**
 * Shared pieces of the REST black-box tests: an SDK client per hub, real WebSocket clients that
 * connect with SDK-made tokens, signed raw requests, and barrier checks that prove a message did
 * NOT arrive without sleeping.
 */
import assert from 'node:assert/strict';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { nowSeconds, writeToken } from '../helpers/clientTokens.js';
import type { StartedEmulator } from '../helpers/emulator.js';
import { openRawClient, type RawClient } from '../helpers/rawClient.js';

export const JSON_SUBPROTOCOL = 'json.webpubsub.azure.v1';

export function serviceClient(emulator: StartedEmulator, hub: string): WebPubSubServiceClient {
  return new WebPubSubServiceClient(emulator.connectionString, hub, { allowInsecureConnection: true });
}

export interface Connected {
  readonly client: RawClient;
  readonly connectionId: string;
}

export interface ConnectOptions {
  readonly userId?: string;
  readonly groups?: string[];
  readonly roles?: string[];
  /** Raw WebSocket (no subprotocol): frames arrive as sent. */
  readonly raw?: boolean;
}

/** A client connected with a token from `getClientAccessToken`, after its `connected` message. */
export async function connect(service: WebPubSubServiceClient, options: ConnectOptions = {}): Promise<Connected> {
  const { url } = await service.getClientAccessToken({
    ...(options.userId === undefined ? {} : { userId: options.userId }),
    ...(options.groups === undefined ? {} : { groups: options.groups }),
    ...(options.roles === undefined ? {} : { roles: options.roles }),
  });
  return connectUrl(url, options.raw === true);
}

export async function connectUrl(url: string, raw = false): Promise<Connected> {
  const client = await openRawClient(url, raw ? {} : { protocols: JSON_SUBPROTOCOL });
  if (raw) return { client, connectionId: '' };
  const connected = await client.next((m) => m.type === 'system' && m.event === 'connected', 'the connected message');
  return { client, connectionId: connected.connectionId as string };
}

/** The next data message whose `data` equals `data` (JSON subprotocol). */
export function message(client: RawClient, data: unknown, what = `message ${JSON.stringify(data)}`): Promise<any> {
  return client.next((m) => m.type === 'message' && JSON.stringify(m.data) === JSON.stringify(data), what);
}

/** Whether a data message with `data` was received (by a JSON client) so far. */
export function hasMessage(client: RawClient, data: unknown): boolean {
  return client.frames.received.some((frame) => frame.json?.type === 'message' && JSON.stringify(frame.json.data) === JSON.stringify(data));
}

let barriers = 0;

/**
 * Sends a unique text to each client directly, waits for it, then asserts `forbidden` was never
 * received: REST sends to one connection arrive in order, so anything sent before the barrier
 * that was going to arrive has arrived.
 */
export async function assertNotReceived(service: WebPubSubServiceClient, clients: readonly Connected[], forbidden: unknown): Promise<void> {
  const barrier = `barrier-${++barriers}`;
  for (const { client, connectionId } of clients) {
    await service.sendToConnection(connectionId, barrier, { contentType: 'text/plain' });
    await message(client, barrier);
    assert.equal(hasMessage(client, forbidden), false, `${connectionId} received ${JSON.stringify(forbidden)}`);
  }
}

/** A raw REST request signed with `key` for the exact URL, unless a token is given. */
export function rest(
  emulator: StartedEmulator,
  method: string,
  path: string,
  init: { body?: string | Uint8Array<ArrayBuffer>; headers?: Record<string, string>; token?: string | null } = {},
): Promise<Response> {
  const url = `${emulator.endpoint}${path}`;
  const now = nowSeconds();
  const token = init.token === undefined ? writeToken({ key: emulator.accessKey, payload: { iat: now, exp: now + 3600, aud: url } }) : init.token;
  return fetch(url, {
    method,
    headers: { ...(token === null ? {} : { Authorization: `Bearer ${token}` }), ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
  });
}

export async function closeAll(clients: readonly Connected[]): Promise<void> {
  await Promise.all(clients.map(async ({ client }) => {
    if (client.ws.readyState === client.ws.OPEN) await client.close();
  }));
}
