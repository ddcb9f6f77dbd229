/**
 * Builds CloudEvents requests the way Web PubSub sends them to the event handler (binary mode,
 * `ce-*` headers, `ce-signature` over the connection id), for tests that call the handler
 * directly. Every field can be overridden or removed (`null`) to forge requests.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { HttpRequest } from './functions.js';

export const TEST_ACCESS_KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
export const TEST_HUB = 'Sample_ChatApp';
export const TEST_ORIGIN = 'localhost';

export function sign(connectionId: string, key: string = TEST_ACCESS_KEY): string {
  return `sha256=${createHmac('sha256', key).update(connectionId).digest('hex')}`;
}

export interface CloudEventOptions {
  /** `connect`, `connected`, `disconnected` or a user event name. */
  event: string;
  connectionId?: string;
  userId?: string | null;
  /** Raw body; objects are sent as JSON. */
  body?: string | Uint8Array | object;
  contentType?: string | null;
  /** Header overrides; `null` removes a header. */
  headers?: Record<string, string | null>;
  /** Query string of the handler URL, e.g. `key=...`. */
  query?: string;
  /** Key for ce-signature; `null` sends none. */
  signingKey?: string | null;
  time?: Date;
  id?: string;
}

const SYSTEM_EVENTS = new Set(['connect', 'connected', 'disconnected']);

export function cloudEventHeaders(options: CloudEventOptions): Record<string, string> {
  const connectionId = options.connectionId ?? `conn-${randomUUID()}`;
  const system = SYSTEM_EVENTS.has(options.event);
  const headers: Record<string, string | null | undefined> = {
    'content-type': options.contentType === undefined ? (system || typeof options.body === 'object' ? 'application/json' : 'text/plain') : options.contentType,
    'webhook-request-origin': TEST_ORIGIN,
    'ce-specversion': '1.0',
    'ce-awpsversion': '1.0',
    'ce-type': `azure.webpubsub.${system ? 'sys' : 'user'}.${options.event}`,
    'ce-source': `/hubs/${TEST_HUB}/client/${connectionId}`,
    'ce-id': options.id ?? randomUUID(),
    'ce-time': (options.time ?? new Date()).toISOString(),
    'ce-hub': TEST_HUB,
    'ce-connectionid': connectionId,
    'ce-eventname': options.event,
    'ce-userid': options.userId ?? undefined,
    'ce-signature': options.signingKey === null ? undefined : sign(connectionId, options.signingKey ?? TEST_ACCESS_KEY),
    ...options.headers,
  };
  return Object.fromEntries(Object.entries(headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

export function bodyBytes(body: CloudEventOptions['body']): Uint8Array {
  if (body === undefined) return new Uint8Array(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return body;
  return Buffer.from(JSON.stringify(body), 'utf8');
}

export function cloudEventRequest(options: CloudEventOptions): InstanceType<typeof HttpRequest> {
  const bytes = bodyBytes(options.body ?? (SYSTEM_EVENTS.has(options.event) ? {} : undefined));
  return new HttpRequest({
    method: 'POST',
    url: `http://localhost:7071/eventhandler${options.query === undefined ? '' : `?${options.query}`}`,
    headers: cloudEventHeaders(options),
    ...(bytes.byteLength > 0 ? { body: { bytes } } : {}),
  });
}

export function preflightRequest(origin: string | null, query?: string): InstanceType<typeof HttpRequest> {
  return new HttpRequest({
    method: 'OPTIONS',
    url: `http://localhost:7071/eventhandler${query === undefined ? '' : `?${query}`}`,
    headers: { 'ce-awpsversion': '1.0', ...(origin === null ? {} : { 'webhook-request-origin': origin }) },
  });
}
