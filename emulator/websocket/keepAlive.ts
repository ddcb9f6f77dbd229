/**
 * Service-side WebSocket pings. Sockets with the same interval share one timer; a socket that has
 * sent nothing (no pong, no frame) since the previous ping is dropped without a close frame, which
 * a reliable session treats as an abnormal drop it may recover from.
 */

export interface KeepAliveSocket {
  ping(): void;
  terminate(): void;
}

/** Returned by `track`; the owner sets `alive` whenever the socket shows a sign of life. */
export interface KeepAliveHandle {
  alive: boolean;
}

interface Tracked extends KeepAliveHandle {
  readonly socket: KeepAliveSocket;
  readonly intervalMs: number;
}

export class KeepAlive {
  private readonly tickers = new Map<number, { readonly timer: NodeJS.Timeout; readonly tracked: Set<Tracked> }>();

  track(socket: KeepAliveSocket, intervalMs: number): KeepAliveHandle {
    let ticker = this.tickers.get(intervalMs);
    if (ticker === undefined) {
      const tracked = new Set<Tracked>();
      const timer = setInterval(() => {
        for (const entry of tracked) {
          if (!entry.alive) {
            entry.socket.terminate();
            continue;
          }
          entry.alive = false;
          entry.socket.ping();
        }
      }, intervalMs);
      timer.unref();
      ticker = { timer, tracked };
      this.tickers.set(intervalMs, ticker);
    }
    const entry: Tracked = { socket, intervalMs, alive: true };
    ticker.tracked.add(entry);
    return entry;
  }

  untrack(handle: KeepAliveHandle): void {
    const entry = handle as Tracked;
    const ticker = this.tickers.get(entry.intervalMs);
    if (ticker === undefined || !ticker.tracked.delete(entry)) return;
    if (ticker.tracked.size === 0) {
      clearInterval(ticker.timer);
      this.tickers.delete(entry.intervalMs);
    }
  }

  stop(): void {
    for (const ticker of this.tickers.values()) clearInterval(ticker.timer);
    this.tickers.clear();
  }
}
