import type { Hub } from '../../hub/types.js';
import type { RequestAddress } from '../auth.js';
import type { Metadata } from '../metadata.js';
import type { CursorCodec } from '../paging.js';
import type { QueryReader } from '../query.js';
import type { OperationId, PathParams } from '../routes.js';

/**
 * What an operation sees of an authenticated request: plain values, no sockets. The HTTP edge
 * (`rest/index.ts`) builds it and renders the result.
 */
export interface RestRequest {
  readonly operation: OperationId;
  /** The hub name as given in the path (validated); `hub` is its state. */
  readonly hubName: string;
  readonly hub: Hub;
  readonly params: PathParams;
  /** The validated `api-version` (the newest when the request has none). */
  readonly apiVersion: string;
  readonly query: QueryReader;
  readonly address: RequestAddress;
  /** The Content-Type's media type, lower-cased, without parameters. */
  readonly mediaType: string | undefined;
  /** The `X-WebPubSub-Metadata-*` headers of a send (validated when called). */
  readMetadata(): Metadata | undefined;
  /** Reads the body (once), bounded; call after validating everything else. */
  readBody(): Promise<Buffer>;
}

/** Success statuses are fixed per operation: the SDK rejects any other 2xx. */
export interface RestResult {
  readonly status: 200 | 202 | 204;
  /** Serialized as JSON when present. */
  readonly body?: unknown;
}

export interface OperationContext {
  /** Access keys; the primary signs generated client tokens. */
  readonly accessKeys: readonly string[];
  readonly cursors: CursorCodec;
  /** Seconds since the epoch. */
  readonly now: () => number;
}

export type Operation = (request: RestRequest, context: OperationContext) => RestResult | Promise<RestResult>;

export const ACCEPTED: RestResult = { status: 202 };
export const NO_CONTENT: RestResult = { status: 204 };
export const OK: RestResult = { status: 200 };
