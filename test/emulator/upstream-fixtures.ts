/**
 * The upstream a real application would run (an `@azure/web-pubsub-express` event handler in an
 * express app on port 0), plus client helpers for the end-to-end tests: access URLs signed like
 * the SDK signs them, and raw WebSocket clients for exact frames and handshake statuses.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebPubSubServiceClient } from '@azure/web-pubsub';
import { WebPubSubEventHandler, type WebPubSubEventHandlerOptions } from '@azure/web-pubsub-express';
import express from 'express';
import { WebSocket } from 'ws';
import { waitUntil } from './events-fixtures.js';

export interface ExpressUpstream {
  /** The event handler URL for the emulator's settings (the middleware's default path). */
  readonly urlTemplate: string;
  readonly port: number;
  /** Requests that reached the app, by method (the middleware answers or passes them on). */
  readonly methods: string[];
  /** Swaps the handler's options (e.g. `allowedEndpoints` once the emulator's port is known). */
  use(options: WebPubSubEventHandlerOptions): void;
  close(): Promise<void>;
}

export async function startExpressUpstream(hub: string, options: WebPubSubEventHandlerOptions): Promise<ExpressUpstream> {
  let handler = new WebPubSubEventHandler(hub, options);
  let middleware = handler.getMiddleware();
  const methods: string[] = [];
  const app = express();
  app.use((req, res, next) => {
    methods.push(req.method);
    void middleware(req, res, next);
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    urlTemplate: `http://127.0.0.1:${port}${handler.path}`,
    port,
    methods,
    use(next) {
      handler = new WebPubSubEventHandler(hub, next);
      middleware = handler.getMiddleware();
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** What a Node handler reads from a header the service wrote as UTF-8 (Node decodes header bytes as Latin-1). */
export const utf8FromHeader = (value: string | undefined): string | undefined =>
  value === undefined ? undefined : Buffer.from(value, 'latin1').toString('utf8');

/** A client access URL for `hub`, signed with the emulator's key (no REST call). */
export async function clientAccessUrl(
  connectionString: string,
  hub: string,
  options: { userId?: string; roles?: string[]; groups?: string[] } = {},
): Promise<string> {
  const service = new WebPubSubServiceClient(connectionString, hub, { allowInsecureConnection: true });
  return (await service.getClientAccessToken(options)).url;
}

export interface RawClient {
  readonly socket: WebSocket;
  /** Frames received, in order. */
  readonly frames: { data: Buffer; binary: boolean }[];
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  nextFrame(timeoutMs?: number): Promise<{ data: Buffer; binary: boolean }>;
}

/** Opens a raw WebSocket; rejects with the handshake status when the server refuses it. */
export function openRawClient(url: string, protocols: string[] = []): Promise<RawClient> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, protocols);
    const frames: { data: Buffer; binary: boolean }[] = [];
    let read = 0;
    const closed = new Promise<{ code: number; reason: string }>((resolveClose) => {
      socket.once('close', (code, reason) => {
        resolveClose({ code, reason: reason.toString('utf8') });
      });
    });
    socket.on('message', (data: Buffer, binary) => frames.push({ data, binary }));
    socket.once('unexpected-response', (_req, res) => {
      reject(new HandshakeRefused(res.statusCode ?? 0));
      res.resume();
      socket.terminate();
    });
    socket.once('error', (error) => {
      reject(error);
    });
    socket.once('open', () => {
      resolve({
        socket,
        frames,
        closed,
        nextFrame: async (timeoutMs = 3_000) => {
          await waitUntil(() => frames.length > read || socket.readyState === WebSocket.CLOSED, 'a frame', timeoutMs);
          if (frames.length <= read) throw new Error('the socket closed before another frame arrived');
          return frames[read++]!;
        },
      });
    });
  });
}

export class HandshakeRefused extends Error {
  constructor(readonly status: number) {
    super(`handshake refused with ${status}`);
  }
}

/** The handshake status of `url` (101 when accepted; the socket is closed again). */
export async function handshakeStatus(url: string, protocols: string[] = []): Promise<number> {
  try {
    const client = await openRawClient(url, protocols);
    client.socket.close();
    await client.closed;
    return 101;
  } catch (error) {
    if (error instanceof HandshakeRefused) return error.status;
    throw error;
  }
}
