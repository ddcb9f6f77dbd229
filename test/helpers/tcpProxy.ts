/**
 * A loopback TCP proxy for fault injection: clients dial the proxy, which relays to the target.
 * `cut()` destroys every relayed connection on both sides at once, so the client sees its socket
 * die without a WebSocket close frame, as on a network failure.
 */
import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  /** Connections currently relayed. */
  readonly size: number;
  /** Drops every relayed connection without a goodbye. */
  cut(): void;
  /** While on, new connections are reset as soon as they arrive (the target looks unreachable). */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let refusing = false;
  const server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const cut = (): void => {
    for (const [client, upstream] of [...pairs]) {
      // resetAndDestroy sends RST where available: no FIN, no close frame.
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    }
    pairs.clear();
  };
  return {
    port: (server.address() as AddressInfo).port,
    get size() {
      return pairs.size;
    },
    cut,
    refuse(on) {
      refusing = on;
    },
    async close() {
      cut();
      server.close();
      await once(server, 'close');
    },
  };
}
