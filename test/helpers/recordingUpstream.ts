/**
 * A tiny event handler on `node:http`: it passes the abuse-protection check, records every
 * CloudEvents request and answers with whatever the test sets, so tests can assert what the
 * emulator sends upstream and drive what it gets back.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inbox } from './waitFor.js';

export interface UpstreamRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** `ce-eventname` */
  readonly event: string;
  /** `ce-connectionid` */
  readonly connectionId: string;
}

export interface UpstreamReply {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
}

export type Responder = (request: UpstreamRequest) => UpstreamReply | Promise<UpstreamReply>;

export interface RecordingUpstream {
  /** For the emulator's `eventHandlers[].urlTemplate`. */
  readonly urlTemplate: string;
  /** Every POST, in arrival order. */
  readonly requests: Inbox<UpstreamRequest>;
  respondWith(responder: Responder): void;
  /** Requests of one event name (and connection, when given) received so far. */
  count(event: string, connectionId?: string): number;
  close(): Promise<void>;
}

/** 204 for `connect` (keep the token's identity), empty 200 for everything else. */
export const acceptEverything: Responder = (request) => ({ status: request.event === 'connect' ? 204 : 200 });

export async function startRecordingUpstream(responder: Responder = acceptEverything): Promise<RecordingUpstream> {
  let respond = responder;
  const requests = new Inbox<UpstreamRequest>();
  const server = createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(200, { 'WebHook-Allowed-Origin': '*' }).end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: UpstreamRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
        event: String(req.headers['ce-eventname'] ?? ''),
        connectionId: String(req.headers['ce-connectionid'] ?? ''),
      };
      requests.push(request);
      void Promise.resolve(respond(request)).then(
        (reply) => {
          res.writeHead(reply.status ?? 200, reply.headers ?? {}).end(reply.body);
        },
        () => {
          res.writeHead(500).end();
        },
      );
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    urlTemplate: `http://127.0.0.1:${port}/upstream/{event}`,
    requests,
    respondWith(next) {
      respond = next;
    },
    count: (event, connectionId) =>
      requests.received.filter((request) => request.event === event && (connectionId === undefined || request.connectionId === connectionId)).length,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
