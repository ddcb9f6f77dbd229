import { Readable } from 'node:stream';
import type { HttpResponseInit } from '@azure/functions';

/**
 * Runs an Express-style middleware (here `WebPubSubEventHandler.getMiddleware()` from
 * `@azure/web-pubsub-express`) on a request that the Functions host has already read, and
 * captures what it answers as an `HttpResponseInit`.
 *
 * The fake request and response carry exactly what that package touches (checked in its
 * `dist/esm` code, version 1.1.0): on the request `method`, `baseUrl` + `path` (its path filter),
 * `headers` with lower-case names, and the body as a stream (`data`/`end`/`error` events); on the
 * response `statusCode`, `setHeader` and `end`.
 */

export interface MiddlewareRequest extends Readable {
  readonly method: string;
  readonly url: string;
  readonly originalUrl: string;
  readonly baseUrl: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface MiddlewareResponse {
  statusCode: number;
  setHeader(name: string, value: string | number | readonly string[]): void;
  getHeader(name: string): string | undefined;
  end(body?: string | Uint8Array | ArrayBuffer): void;
}

export type NextFunction = (error?: unknown) => void;
export type Middleware = (req: MiddlewareRequest, res: MiddlewareResponse, next: NextFunction) => unknown;

export interface ForwardedRequest {
  readonly method: string;
  /** Absolute URL as the Functions host saw it. */
  readonly url: string;
  readonly headers: Iterable<readonly [string, string]>;
  readonly body: Uint8Array;
}

export type MiddlewareOutcome =
  /** The middleware answered. */
  | { readonly kind: 'response'; readonly response: HttpResponseInit }
  /** The middleware passed the request on: not for it, or (with `error`) it failed. */
  | { readonly kind: 'next'; readonly error?: unknown };

export function createMiddlewareRequest(request: ForwardedRequest): MiddlewareRequest {
  const url = new URL(request.url);
  // Null prototype: header names come from the network and are used as keys.
  const headers = Object.create(null) as Record<string, string>;
  for (const [name, value] of request.headers) headers[name.toLowerCase()] = value;
  const body = Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength);
  const stream = Readable.from(body.byteLength > 0 ? [body] : []);
  const pathAndQuery = url.pathname + url.search;
  return Object.assign(stream, {
    method: request.method.toUpperCase(),
    url: pathAndQuery,
    originalUrl: pathAndQuery,
    baseUrl: '',
    path: url.pathname,
    headers,
  });
}

/** Collects what the middleware writes; `finished` settles when it calls `end`. */
export class CapturedResponse implements MiddlewareResponse {
  statusCode = 200;
  readonly finished: Promise<HttpResponseInit>;
  readonly #headers = new Map<string, string>();
  #finish: (response: HttpResponseInit) => void = () => undefined;
  #ended = false;

  constructor() {
    this.finished = new Promise((resolve) => {
      this.#finish = resolve;
    });
  }

  setHeader(name: string, value: string | number | readonly string[]): void {
    this.#headers.set(name, Array.isArray(value) ? value.join(', ') : String(value));
  }

  getHeader(name: string): string | undefined {
    const lower = name.toLowerCase();
    for (const [key, value] of this.#headers) if (key.toLowerCase() === lower) return value;
    return undefined;
  }

  end(body?: string | Uint8Array | ArrayBuffer): void {
    if (this.#ended) return;
    this.#ended = true;
    const bytes = body === undefined ? undefined : typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body instanceof ArrayBuffer ? new Uint8Array(body) : body);
    this.#finish({
      status: this.statusCode,
      headers: Object.fromEntries(this.#headers),
      ...(bytes !== undefined && bytes.byteLength > 0 ? { body: bytes } : {}),
    });
  }
}

/**
 * Runs the middleware and resolves with its answer or its hand-over to `next`. Blocking events
 * answer from a callback after the middleware's own promise has settled, so this waits for
 * whichever of `end` and `next` comes first.
 */
export async function runMiddleware(middleware: Middleware, request: ForwardedRequest): Promise<MiddlewareOutcome> {
  const req = createMiddlewareRequest(request);
  const res = new CapturedResponse();
  let passOn: (outcome: MiddlewareOutcome) => void = () => undefined;
  const passedOn = new Promise<MiddlewareOutcome>((resolve) => {
    passOn = resolve;
  });
  const next: NextFunction = (error) => {
    passOn(error === undefined ? { kind: 'next' } : { kind: 'next', error });
  };
  const answered = res.finished.then((response): MiddlewareOutcome => ({ kind: 'response', response }));
  try {
    await middleware(req, res, next);
  } catch (error) {
    next(error);
  }
  return Promise.race([answered, passedOn]);
}
