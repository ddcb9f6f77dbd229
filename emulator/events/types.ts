/**
 * The contract between the client endpoint and the upstream (event handler) side: what the
 * endpoint tells the dispatcher and what it gets back. Delivery details (HTTP, CloudEvents
 * headers, abuse protection, retries, signatures) stay behind this interface.
 */
import type { Payload } from '../hub/types.js';

/** String-to-strings maps, as the `connect` event body carries them. */
export type MultiMap = Readonly<Record<string, readonly string[]>>;

/** Per-connection facts every upstream request is built from. Owned by the client endpoint. */
export interface UpstreamConnection {
  readonly hub: string;
  readonly connectionId: string;
  /** Undefined until known (anonymous connections may get one from `connect`). */
  readonly userId: string | undefined;
  readonly subprotocol: string | undefined;
  /** `ce-connectionState`: opaque, set by handler responses; the dispatcher updates it. */
  connectionState: string | undefined;
  /** Cookies set by handler responses, replayed on later requests of this connection. */
  readonly cookies: Map<string, string>;
  /** Next `ce-id`; the dispatcher increments it. `connect` uses 0. */
  nextEventId: number;
}

export interface ConnectRequest {
  readonly claims: MultiMap;
  readonly query: MultiMap;
  readonly headers: MultiMap;
  readonly subprotocols: readonly string[];
}

export type ConnectOutcome =
  /** No `connect` handler is configured: keep what the token says. */
  | { readonly kind: 'no-handler' }
  | {
      readonly kind: 'accepted';
      /** Present when the handler set it (even to ""); null/absent keeps the token's user. */
      readonly userId?: string;
      /** Replaces the token's groups only when non-empty. */
      readonly groups?: readonly string[];
      /** Replaces the token's roles when present (an empty array removes them). */
      readonly roles?: readonly string[];
      readonly subprotocol?: string;
    }
  /** The handler refused (its status is returned to the client) or failed (500). */
  | { readonly kind: 'rejected'; readonly status: number; readonly reason: string };

export type UserEventOutcome =
  /** The handler answered 2xx; `reply` is its body when non-empty. */
  | { readonly kind: 'ok'; readonly reply?: Payload; readonly metadata?: Readonly<Record<string, string>> }
  /** No handler matches the event. */
  | { readonly kind: 'no-handler' }
  /** Non-2xx, timeout, network error, validation failure, unsupported reply type. */
  | { readonly kind: 'failed'; readonly reason: string };

export interface EventDispatcher {
  /** Blocking: decides whether the handshake succeeds. */
  connect(connection: UpstreamConnection, request: ConnectRequest): Promise<ConnectOutcome>;
  /** Fire-and-forget notifications; failures are logged, never thrown. */
  connected(connection: UpstreamConnection): void;
  disconnected(connection: UpstreamConnection, reason: string | undefined): void;
  /** Blocking: a user event (`message` for raw frames). */
  userEvent(
    connection: UpstreamConnection,
    eventName: string,
    payload: Payload,
    metadata?: Readonly<Record<string, string>>,
  ): Promise<UserEventOutcome>;
  /** Cancels pending requests of a connection that went away (timers, sockets). */
  forget(connectionId: string): void;
}
