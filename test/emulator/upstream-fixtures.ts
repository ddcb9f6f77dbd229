/**
 * An `@azure/web-pubsub-express` event handler mounted in an express app on port 0: the upstream a
 * real application would run, used as a black box.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebPubSubEventHandler, type WebPubSubEventHandlerOptions } from '@azure/web-pubsub-express';
import express from 'express';

export interface ExpressUpstream {
  /** The event handler URL for the emulator's settings (the middleware's default path). */
  readonly urlTemplate: string;
  readonly port: number;
  /** Requests that reached the app, by method (the middleware answers or passes them on). */
  readonly methods: string[];
  close(): Promise<void>;
}

export async function startExpressUpstream(hub: string, options: WebPubSubEventHandlerOptions): Promise<ExpressUpstream> {
  const handler = new WebPubSubEventHandler(hub, options);
  const methods: string[] = [];
  const app = express();
  app.use((req, _res, next) => {
    methods.push(req.method);
    next();
  });
  app.use(handler.getMiddleware());
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    urlTemplate: `http://127.0.0.1:${port}${handler.path}`,
    port,
    methods,
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
