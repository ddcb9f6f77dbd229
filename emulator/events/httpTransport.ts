/**
 * The edge of the upstream side: one HTTP exchange with an event handler over keep-alive agents.
 * It reports what came back (status, headers, body) or why nothing did; deciding what that means
 * (retry, reject, reply) happens in the caller.
 */
import http, { type ClientRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { UpstreamTarget } from './urlTemplate.js';

export interface UpstreamRequest {
  readonly method: 'POST' | 'OPTIONS' | 'GET';
  readonly target: UpstreamTarget;
  readonly headers: OutgoingHttpHeaders;
  readonly body?: Buffer;
}

export interface UpstreamResponse {
  readonly status: number;
  /** Every occurrence of each header, by lower-cased name. */
  readonly headers: NodeJS.Dict<string[]>;
  readonly body: Buffer;
}

export type TransportFailure =
  /** Refused, reset, DNS: worth another attempt. */
  | 'network'
  /** The handler's answer was not HTTP Node could parse (e.g. headers too large). */
  | 'invalid-response'
  | 'too-large'
  /** Node refused to build the request (a header it cannot write). */
  | 'invalid-request'
  /** The caller's signal fired; its reason says why. */
  | 'aborted';

export class TransportError extends Error {
  readonly failure: TransportFailure;
  /** A reused keep-alive socket that the server had already closed: safe to resend at once. */
  readonly staleSocket: boolean;

  constructor(failure: TransportFailure, message: string, staleSocket = false) {
    super(message);
    this.name = 'TransportError';
    this.failure = failure;
    this.staleSocket = staleSocket;
  }

  get retriable(): boolean {
    return this.failure === 'network';
  }
}

export interface Transport {
  /** Rejects only with TransportError. */
  send(request: UpstreamRequest, signal: AbortSignal, maxBodyBytes: number): Promise<UpstreamResponse>;
  /** Destroys pooled sockets; requests in flight fail. */
  close(): void;
}

/**
 * `maxConnections` caps the sockets per handler origin (Node agents pool by host and port); requests
 * beyond it queue in arrival order, and their signal still bounds the wait.
 */
export function createHttpTransport(maxConnections: number): Transport {
  // LIFO keeps the most recently used (warm) sockets busy and lets the rest idle out.
  const agentOptions = { keepAlive: true, scheduling: 'lifo', maxSockets: maxConnections } as const;
  const agents = {
    'http:': new http.Agent(agentOptions),
    'https:': new https.Agent(agentOptions),
  };

  const exchange = (request: UpstreamRequest, signal: AbortSignal, maxBodyBytes: number): Promise<UpstreamResponse> =>
    new Promise((resolve, reject) => {
      const { target } = request;
      let req: ClientRequest;
      try {
        req = (target.protocol === 'https:' ? https : http).request({
          method: request.method,
          hostname: target.hostname,
          port: target.port,
          path: target.path,
          auth: target.auth,
          headers: request.headers,
          agent: agents[target.protocol],
          signal,
        });
      } catch (error) {
        reject(new TransportError('invalid-request', messageOf(error)));
        return;
      }
      let responded = false;
      req.on('error', (error) => {
        reject(classify(error, signal, !responded && req.reusedSocket));
      });
      req.once('response', (res: IncomingMessage) => {
        responded = true;
        readBody(res, maxBodyBytes).then(
          (body) => {
            resolve({ status: res.statusCode ?? 0, headers: res.headersDistinct, body });
          },
          (error: unknown) => {
            reject(classify(error, signal, false));
          },
        );
      });
      req.end(request.body);
    });

  return {
    async send(request, signal, maxBodyBytes) {
      try {
        return await exchange(request, signal, maxBodyBytes);
      } catch (error) {
        if (error instanceof TransportError && error.staleSocket && !signal.aborted) {
          return exchange(request, signal, maxBodyBytes);
        }
        throw error;
      }
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

function readBody(res: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        res.destroy(new TransportError('too-large', `response body larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    res.once('end', () => {
      resolve(chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, size));
    });
    res.on('error', reject);
    // 'close' without 'end': the connection went away mid-body.
    res.once('close', () => {
      if (!res.complete) reject(new TransportError('network', 'connection closed before the response ended'));
    });
  });
}

function classify(error: unknown, signal: AbortSignal, maybeStale: boolean): TransportError {
  if (signal.aborted) return new TransportError('aborted', 'request aborted');
  if (error instanceof TransportError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code.startsWith('HPE_')) return new TransportError('invalid-response', `${code}: ${messageOf(error)}`);
  const stale = maybeStale && (code === 'ECONNRESET' || code === 'EPIPE');
  return new TransportError('network', code === '' ? messageOf(error) : `${code}: ${messageOf(error)}`, stale);
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
