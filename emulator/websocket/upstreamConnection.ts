import type { UpstreamConnection } from '../events/types.js';

/**
 * The upstream's view of one connection. The cookie jar is created on first use: most
 * connections never meet a handler that sets cookies, and an idle connection should cost little.
 */
export class ConnectionUpstream implements UpstreamConnection {
  readonly hub: string;
  readonly connectionId: string;
  /** Settled after the `connect` handler answers. */
  userId: string | undefined;
  subprotocol: string | undefined;
  connectionState: string | undefined;
  nextEventId = 0;
  private cookieJar: Map<string, string> | undefined;

  constructor(hub: string, connectionId: string, userId: string | undefined) {
    this.hub = hub;
    this.connectionId = connectionId;
    this.userId = userId;
  }

  get cookies(): Map<string, string> {
    return (this.cookieJar ??= new Map());
  }
}
