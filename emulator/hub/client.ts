import type { OutgoingMessage } from './outgoing.js';

/**
 * What the hub needs from a client connection. The client endpoint implements it; the hub never
 * sees sockets. A connection stays registered while its session lives, even while a reliable
 * client is between sockets.
 */
export interface HubClient {
  readonly connectionId: string;
  readonly userId: string | undefined;
  /** The negotiated subprotocol; undefined for raw WebSocket clients. */
  readonly protocol: string | undefined;
  /** Queues a data message for this client. Called once per recipient on every fan-out. */
  deliver(message: OutgoingMessage): void;
  /** Ends the connection from the service side (REST close); `reason` reaches the client. */
  close(reason: string): void;
}
