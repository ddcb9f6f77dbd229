/**
 * The upstream side of the emulator: turns what the client endpoint reports (connect, connected,
 * disconnected, user events) into CloudEvents requests to the configured event handlers and their
 * answers into outcomes. Upstream failures never escape as exceptions; they become outcomes or
 * log lines.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { EmulatorConfig, SystemEvent } from '../config.js';
import type { Payload } from '../hub/types.js';
import type { Logger } from '../log.js';
import { createAbuseProtection } from './abuseProtection.js';
import {
  CONTENT_TYPE_BY_DATA_TYPE,
  Header,
  SYSTEM_EVENT_CONTENT_TYPE,
  SystemEventType,
  USER_EVENT_TYPE_PREFIX,
  VALIDATE_EVENT,
} from './cloudEvents.js';
import { createConnectionHeaderCache } from './connectionHeaders.js';
import { parseConnectResponse } from './connectResponse.js';
import { cookieHeader, storeCookies } from './cookies.js';
import { deliver, type AbortReason, type DeliveryResult } from './delivery.js';
import { createHandlerSelector, type SelectedHandler } from './handlerSelection.js';
import { isToken, isWritableHeaderValue, toHeaderValue } from './headerValue.js';
import { createHttpTransport, type UpstreamResponse } from './httpTransport.js';
import type { ConnectOutcome, ConnectRequest, EventDispatcher, MultiMap, UpstreamConnection, UserEventOutcome } from './types.js';
import { parseUserEventResponse } from './userEventResponse.js';

export interface EventDispatcherDeps {
  readonly config: EmulatorConfig;
  readonly log: Logger;
  /** The clock of `ce-time` and of the abuse-protection cache. */
  readonly now?: () => Date;
  /**
   * The port the emulator actually listens on (`config.port` may be 0), so a handler answering
   * `WebHook-Allowed-Origin: hostname:port` is recognised. Defaults to `config.port` when non-zero.
   */
  readonly port?: () => number | undefined;
}

export type ClosableEventDispatcher = EventDispatcher & {
  /** Aborts every pending request and validation, then releases the pooled sockets. */
  close(): Promise<void>;
};

/** Ceiling of the wait between failed validations of a URL (the official emulator's). */
const MAX_VALIDATION_BACKOFF_MS = 60_000;
const DEFAULT_VALIDATION_BACKOFF_MS = 1_000;
const MIN_VALIDATION_BACKOFF_MS = 10;

/** One event on its way: what goes out, and how the answer is read. */
interface OutgoingEvent {
  readonly eventName: string;
  /** `ce-type` of a system event; user events derive theirs from the (encoded) event name. */
  readonly systemType?: string;
  readonly eventId: number;
  readonly contentType: string;
  readonly body: Buffer;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

type SendResult = DeliveryResult | { readonly kind: 'refused'; readonly status: number; readonly reason: string };

/** Throws an Error naming the setting when an event handler URL template is unusable. */
export function createEventDispatcher(deps: EventDispatcherDeps): ClosableEventDispatcher {
  const { config, log } = deps;
  const now = deps.now ?? (() => new Date());
  const origin = originHostname(config.host);
  const selector = createHandlerSelector(config);
  const transport = createHttpTransport(config.upstream.maxConnections);
  const closing = new AbortController();
  const abuseProtection = createAbuseProtection({
    transport,
    hostname: origin,
    port: deps.port ?? (() => (config.port === 0 ? undefined : config.port)),
    timeoutMs: config.upstream.validationTimeoutMs,
    ttlMs: config.upstream.validationTtlMs,
    // Backoff after a refused validation starts at the first retry delay, so tests can shorten it;
    // never at 0, or a refusing handler would be asked again before every event.
    retryBaseMs: Math.max(config.upstream.retryDelaysMs[0] ?? DEFAULT_VALIDATION_BACKOFF_MS, MIN_VALIDATION_BACKOFF_MS),
    retryMaxMs: MAX_VALIDATION_BACKOFF_MS,
    closing: closing.signal,
    log,
  });
  const connectionHeaders = createConnectionHeaderCache({ accessKeys: config.accessKeys, origin });
  const deliveryOptions = {
    transport,
    timeoutMs: config.upstream.timeoutMs,
    retryDelaysMs: config.upstream.retryDelaysMs,
  };

  /** Blocking requests by connection id: `forget` aborts them, their answer has no one to go to. */
  const blocking = new Map<string, Set<AbortController>>();
  /** Every request in flight, for `close`. */
  const inFlight = new Set<Promise<unknown>>();
  const controllers = new Set<AbortController>();
  /** The last notification of each connection still in flight: `disconnected` never overtakes `connected`. */
  const notificationTails = new Map<string, Promise<void>>();

  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    const untrack = (): void => {
      inFlight.delete(work);
    };
    work.then(untrack, untrack);
    return work;
  };

  /** Sends one event of `connection` to `handler`; never rejects. */
  const send = (
    connection: UpstreamConnection,
    handler: SelectedHandler,
    event: OutgoingEvent,
    isBlocking: boolean,
  ): Promise<SendResult> =>
    sendOrThrow(connection, handler, event, isBlocking).catch((error: unknown) => {
      // A bug, not an upstream failure: report it loudly, still answer the caller.
      log.error(`${event.eventName} of connection ${connection.connectionId}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return { kind: 'failed', reason: 'internal error' } as const;
    });

  const sendOrThrow = async (
    connection: UpstreamConnection,
    handler: SelectedHandler,
    event: OutgoingEvent,
    isBlocking: boolean,
  ): Promise<SendResult> => {
    if (closing.signal.aborted) return { kind: 'failed', reason: 'the emulator is closing' };
    const fixed = connectionHeaders.of(connection);
    if (!fixed.ok) return { kind: 'refused', status: 400, reason: fixed.reason };
    const eventName = toHeaderValue(event.eventName);
    if (eventName === undefined) return { kind: 'refused', status: 400, reason: 'the event name cannot be sent in a header' };

    const headers: OutgoingHttpHeaders = {
      ...fixed.headers,
      [Header.type]: event.systemType ?? USER_EVENT_TYPE_PREFIX + eventName,
      [Header.eventName]: eventName,
      [Header.id]: String(event.eventId),
      'Content-Type': event.contentType,
      'Content-Length': event.body.length,
    };
    if (event.metadata !== undefined) {
      const problem = addMetadataHeaders(headers, event.metadata);
      if (problem !== undefined) return { kind: 'refused', status: 400, reason: problem };
    }

    const controller = new AbortController();
    controllers.add(controller);
    let group: Set<AbortController> | undefined;
    if (isBlocking) {
      group = blocking.get(connection.connectionId);
      if (group === undefined) {
        group = new Set();
        blocking.set(connection.connectionId, group);
      }
      group.add(controller);
    }
    try {
      const target = handler.url.expand(fixed.hubKey, event.eventName);
      const validateTarget = handler.url.expand(fixed.hubKey, VALIDATE_EVENT);
      const sentAt = now();
      if (!abuseProtection.isTrusted(validateTarget.url, sentAt.getTime())) {
        const refusal = await abuseProtection.validate(validateTarget, sentAt.getTime());
        if (refusal !== undefined) return { kind: 'failed', reason: `abuse protection failed: ${refusal}` };
        if (controller.signal.aborted) return { kind: 'failed', reason: 'the connection went away' };
      }
      headers[Header.time] = sentAt.toISOString();
      if (connection.connectionState !== undefined) headers[Header.connectionState] = connection.connectionState;
      const cookie = cookieHeader(connection.cookies);
      if (cookie !== undefined) headers.Cookie = cookie;

      const result = await deliver({ method: 'POST', target, headers, body: event.body }, controller, deliveryOptions);
      if (result.kind === 'response') storeCookies(connection.cookies, result.response.headers['set-cookie']);
      return result;
    } finally {
      controllers.delete(controller);
      if (group !== undefined) {
        group.delete(controller);
        if (group.size === 0 && blocking.get(connection.connectionId) === group) blocking.delete(connection.connectionId);
      }
    }
  };

  /** `ce-connectionState` of a blocking event's 2xx answer: present sets, empty clears, absent keeps. */
  const applyConnectionState = (connection: UpstreamConnection, response: UpstreamResponse): void => {
    const values = response.headers[Header.connectionState.toLowerCase()];
    if (values === undefined) return;
    // Several headers are not allowed; like the official emulator, the last one counts.
    const state = values.at(-1) ?? '';
    if (!isWritableHeaderValue(state)) {
      log.warn(`connection ${connection.connectionId}: ignored a ${Header.connectionState} that cannot be sent back`);
      return;
    }
    connection.connectionState = state === '' ? undefined : state;
  };

  const notify = (connection: UpstreamConnection, event: SystemEvent, body: Buffer): void => {
    if (closing.signal.aborted) return;
    const handler = selector.forSystemEvent(hubKeyOf(connection), event);
    if (handler === undefined) return;
    const outgoing: OutgoingEvent = {
      eventName: event,
      systemType: SystemEventType[event],
      eventId: takeEventId(connection),
      contentType: SYSTEM_EVENT_CONTENT_TYPE,
      body,
    };
    const { connectionId } = connection;
    const previous = notificationTails.get(connectionId);
    const run = async (): Promise<void> => {
      if (previous !== undefined) await previous;
      const result = await send(connection, handler, outgoing, false);
      const failure = describeFailure(result);
      if (failure !== undefined) log.warn(`${event} of connection ${connectionId} not delivered: ${failure}`);
    };
    const tail = track(run());
    notificationTails.set(connectionId, tail);
    void tail.then(() => {
      if (notificationTails.get(connectionId) === tail) notificationTails.delete(connectionId);
    });
  };

  return {
    async connect(connection: UpstreamConnection, request: ConnectRequest): Promise<ConnectOutcome> {
      const handler = selector.forSystemEvent(hubKeyOf(connection), 'connect');
      if (handler === undefined) return { kind: 'no-handler' };
      // `connect` is always event 0; later events count from 1.
      connection.nextEventId = Math.max(connection.nextEventId, 1);
      const body = Buffer.from(JSON.stringify(connectBody(request)), 'utf8');
      const result = await track(
        send(connection, handler, { eventName: 'connect', systemType: SystemEventType.connect, eventId: 0, contentType: SYSTEM_EVENT_CONTENT_TYPE, body }, true),
      );
      if (result.kind === 'refused') return { kind: 'rejected', status: result.status, reason: result.reason };
      if (result.kind === 'failed') {
        log.warn(`connect of connection ${connection.connectionId} failed: ${result.reason}`);
        return { kind: 'rejected', status: 500, reason: result.reason };
      }
      const { response } = result;
      if (!isSuccess(response.status)) {
        // Only error statuses make sense as a handshake answer; anything else is the handler's fault.
        const status = response.status >= 400 && response.status <= 599 ? response.status : 500;
        return { kind: 'rejected', status, reason: `the connect handler answered ${response.status}` };
      }
      applyConnectionState(connection, response);
      const outcome = parseConnectResponse(response.body);
      if (outcome.kind === 'rejected') log.warn(`connect of connection ${connection.connectionId}: ${outcome.reason}`);
      return outcome;
    },

    connected(connection) {
      notify(connection, 'connected', EMPTY_OBJECT_BODY);
    },

    disconnected(connection, reason) {
      const body = reason === undefined ? EMPTY_OBJECT_BODY : Buffer.from(JSON.stringify({ reason }), 'utf8');
      notify(connection, 'disconnected', body);
    },

    async userEvent(connection, eventName, payload: Payload, metadata): Promise<UserEventOutcome> {
      const handler = selector.forUserEvent(hubKeyOf(connection), eventName);
      if (handler === undefined) return { kind: 'no-handler' };
      const result = await track(
        send(
          connection,
          handler,
          {
            eventName,
            eventId: takeEventId(connection),
            contentType: CONTENT_TYPE_BY_DATA_TYPE[payload.dataType],
            body: payload.data,
            metadata,
          },
          true,
        ),
      );
      const failure = describeFailure(result);
      if (failure !== undefined || result.kind !== 'response') {
        const reason = failure ?? 'no answer';
        log.warn(`event "${eventName}" of connection ${connection.connectionId} failed: ${reason}`);
        return { kind: 'failed', reason };
      }
      applyConnectionState(connection, result.response);
      return parseUserEventResponse(result.response);
    },

    forget(connectionId) {
      const group = blocking.get(connectionId);
      if (group === undefined) return;
      blocking.delete(connectionId);
      for (const controller of group) controller.abort('forgotten' satisfies AbortReason);
    },

    async close() {
      closing.abort('closing' satisfies AbortReason);
      for (const controller of controllers) controller.abort('closing' satisfies AbortReason);
      await Promise.allSettled([...inFlight]);
      transport.close();
    },
  };
}

const EMPTY_OBJECT_BODY = Buffer.from('{}', 'utf8');

const isSuccess = (status: number): boolean => status >= 200 && status <= 299;

const hubKeyOf = (connection: UpstreamConnection): string => connection.hub.toLowerCase();

/** The next `ce-id` of a connection (never 0, which is `connect`'s). */
function takeEventId(connection: UpstreamConnection): number {
  const id = Math.max(connection.nextEventId, 1);
  connection.nextEventId = id + 1;
  return id;
}

/** Why a result is not a 2xx answer, or undefined when it is one. */
function describeFailure(result: SendResult): string | undefined {
  if (result.kind !== 'response') return result.reason;
  return isSuccess(result.response.status) ? undefined : `the handler answered ${result.response.status}`;
}

/** Adds `x-webpubsub-metadata-{key}` headers; returns why not when a key or value cannot be sent. */
function addMetadataHeaders(headers: OutgoingHttpHeaders, metadata: Readonly<Record<string, string>>): string | undefined {
  for (const [key, value] of Object.entries(metadata)) {
    if (!isToken(key)) return 'a metadata key cannot be sent in a header';
    const headerValue = toHeaderValue(value);
    if (headerValue === undefined) return `metadata "${key}" cannot be sent in a header`;
    headers[Header.metadataPrefix + key] = headerValue;
  }
  return undefined;
}

/** The `connect` body: what the client presented, minus its credentials. */
function connectBody(request: ConnectRequest): object {
  return {
    claims: request.claims,
    query: without(request.query, (name) => name === 'access_token'),
    headers: without(request.headers, (name) => name.toLowerCase() === 'authorization'),
    subprotocols: request.subprotocols,
    clientCertificates: [],
  };
}

/** A copy without the matching names; `Object.fromEntries` defines keys, so `__proto__` stays data. */
function without(map: MultiMap, drop: (name: string) => boolean): MultiMap {
  return Object.fromEntries(Object.entries(map).filter(([name]) => !drop(name)));
}

/**
 * The hostname handlers see in `WebHook-Request-Origin`: the host of the endpoint in the
 * connection string, which is what the Functions extension compares it with. Wildcard and
 * loopback binds are advertised as `localhost`.
 */
function originHostname(host: string): string {
  if (['', '0.0.0.0', '::', '[::]', '127.0.0.1', '::1', 'localhost'].includes(host)) return 'localhost';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
