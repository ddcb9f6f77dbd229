/**
 * The edge of the upstream side: one HTTP exchange with an event handler over a keep-alive
 * connection pool per handler origin (undici: about half the CPU per request of `http.request`,
 * which matters because every user event is one). It reports what came back (status, headers,
 * body) or why nothing did; deciding what that means (retry, reject, reply) happens in the caller.
 */
import { Pool, type Dispatcher } from 'undici';
import type { UpstreamTarget } from './urlTemplate.js';

/** Header values as sent; the pool adds `Host` and `Content-Length`. */
export type UpstreamHeaders = Record<string, string>;

export interface UpstreamRequest {
  readonly method: 'POST' | 'OPTIONS' | 'GET';
  readonly target: UpstreamTarget;
  readonly headers: Readonly<UpstreamHeaders>;
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
  /** The handler's answer was not HTTP the client could parse (e.g. headers too large). */
  | 'invalid-response'
  | 'too-large'
  /** A request that cannot be written (a header value it refuses). */
  | 'invalid-request'
  /** The caller's signal fired; its reason says why. */
  | 'aborted';

export class TransportError extends Error {
  readonly failure: TransportFailure;

  constructor(failure: TransportFailure, message: string) {
    super(message);
    this.name = 'TransportError';
    this.failure = failure;
  }

  get retriable(): boolean {
    return this.failure === 'network';
  }
}

export interface Transport {
  /** Rejects only with TransportError. */
  send(request: UpstreamRequest, signal: AbortSignal, maxBodyBytes: number): Promise<UpstreamResponse>;
  /** Destroys pooled connections; requests in flight fail. */
  close(): void;
}

/**
 * `maxConnections` caps the connections per handler origin; requests beyond it queue in arrival
 * order, and their signal still bounds the wait.
 */
export function createHttpTransport(maxConnections: number): Transport {
  const pools = new Map<string, Pool>();
  const poolFor = (target: UpstreamTarget): Pool => {
    let pool = pools.get(target.origin);
    if (pool === undefined) {
      // The caller's signal is the only deadline (timeoutMs may be minutes), so the pool's own
      // header and body timeouts are off.
      pool = new Pool(target.origin, { connections: maxConnections, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
      pools.set(target.origin, pool);
    }
    return pool;
  };

  return {
    send: (request, signal, maxBodyBytes) =>
      new Promise((resolve, reject) => {
        if (signal.aborted) {
          reject(new TransportError('aborted', 'request aborted'));
          return;
        }
        const { target } = request;
        const headers = target.auth === undefined
          ? request.headers
          : { ...request.headers, Authorization: `Basic ${Buffer.from(target.auth).toString('base64')}` };
        const exchange = new Exchange(maxBodyBytes, resolve, reject);
        const onAbort = (): void => {
          exchange.fail(new TransportError('aborted', 'request aborted'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        exchange.onSettled = () => {
          signal.removeEventListener('abort', onAbort);
        };
        poolFor(target).dispatch({ method: request.method, path: target.path, headers, body: request.body ?? null }, exchange);
      }),
    close() {
      for (const pool of pools.values()) void pool.destroy();
      pools.clear();
    },
  };
}

/** One request's response, collected through undici's handler callbacks. */
class Exchange implements Dispatcher.DispatchHandler {
  onSettled: (() => void) | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private settled = false;
  private status = 0;
  private headers: NodeJS.Dict<string[]> = {};
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(
    private readonly maxBodyBytes: number,
    private readonly resolve: (response: UpstreamResponse) => void,
    private readonly reject: (error: TransportError) => void,
  ) {}

  /** Settles with `error` and stops the request, even one still queued for a connection. */
  fail(error: TransportError): void {
    if (this.settle()) this.reject(error);
    this.controller?.abort(error);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.settled) controller.abort(new TransportError('aborted', 'request aborted'));
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    // 1xx answers are interim; the final one follows on the same request.
    if (statusCode < 200) return;
    this.status = statusCode;
    this.headers = distinct(headers);
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.size += chunk.length;
    if (this.size > this.maxBodyBytes) {
      this.fail(new TransportError('too-large', `response body larger than ${this.maxBodyBytes} bytes`));
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (!this.settle()) return;
    const body = this.chunks.length === 1 && this.chunks[0] !== undefined ? this.chunks[0] : Buffer.concat(this.chunks, this.size);
    this.resolve({ status: this.status, headers: this.headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.settle()) this.reject(classify(error));
  }

  /** True the first time only. */
  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.onSettled?.();
    return true;
  }
}

/** Every occurrence of each header as its own entry, as `IncomingMessage.headersDistinct` has them. */
function distinct(headers: Record<string, string | string[] | undefined>): NodeJS.Dict<string[]> {
  const result: NodeJS.Dict<string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) result[name] = Array.isArray(value) ? value : [value];
  }
  return result;
}

/** Codes of answers that are not HTTP the client can read. */
const INVALID_RESPONSE_CODES = new Set(['UND_ERR_HEADERS_OVERFLOW', 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'UND_ERR_INFO']);

function classify(error: Error): TransportError {
  if (error instanceof TransportError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code.startsWith('HPE_') || INVALID_RESPONSE_CODES.has(code)) return new TransportError('invalid-response', `${code}: ${error.message}`);
  if (code === 'UND_ERR_INVALID_ARG') return new TransportError('invalid-request', error.message);
  return new TransportError('network', code === '' ? error.message : `${code}: ${error.message}`);
}
