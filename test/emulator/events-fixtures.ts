/**
 * What the upstream tests share: a config builder, connection objects, a capturing logger, a raw
 * `node:http` upstream that records every request exactly, and condition waits (never sleeps).
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { EmulatorConfig, EventHandlerSettings, SystemEvent, UpstreamSettings } from '../../emulator/config.js';
import type { ConnectRequest, UpstreamConnection } from '../../emulator/events/types.js';
import type { Logger } from '../../emulator/log.js';

export const PRIMARY_KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
export const SECONDARY_KEY = 'secondary-key-0123456789-abcdefghijklmnopqrstuvwxyz';
export const ALL_SYSTEM_EVENTS: SystemEvent[] = ['connect', 'connected', 'disconnected'];

/** Short timings: retries after 20/40/60 ms, 2 s per event. */
export const FAST_UPSTREAM: UpstreamSettings = {
  timeoutMs: 2_000,
  retryDelaysMs: [20, 40, 60],
  validationTimeoutMs: 1_000,
  validationTtlMs: 60_000,
  maxConnections: 64,
};

export function handler(urlTemplate: string, userEventPattern = '*', systemEvents: SystemEvent[] = ALL_SYSTEM_EVENTS): EventHandlerSettings {
  return { urlTemplate, userEventPattern, systemEvents };
}

export function testConfig(options: {
  hubs?: Record<string, EventHandlerSettings[]>;
  defaultHandlers?: EventHandlerSettings[];
  upstream?: Partial<UpstreamSettings>;
  accessKeys?: string[];
  host?: string;
  port?: number;
}): EmulatorConfig {
  const hubSettings = (eventHandlers: EventHandlerSettings[]) => ({ eventHandlers, anonymousConnectPolicy: 'deny' as const, keepAliveIntervalSeconds: 20 });
  return {
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 8080,
    accessKeys: options.accessKeys ?? [PRIMARY_KEY],
    hubs: Object.fromEntries(Object.entries(options.hubs ?? {}).map(([name, handlers]) => [name, hubSettings(handlers)])),
    defaultHub: hubSettings(options.defaultHandlers ?? []),
    upstream: { ...FAST_UPSTREAM, ...options.upstream },
    tls: undefined,
    allowUnverifiedEntraTokens: false,
  };
}

let connectionCounter = 0;

export function connection(overrides: Partial<Omit<UpstreamConnection, 'cookies'>> = {}): UpstreamConnection {
  connectionCounter++;
  return {
    hub: 'Chat',
    connectionId: `conn-${connectionCounter}-${process.pid}`,
    userId: 'alice',
    subprotocol: 'json.webpubsub.azure.v1',
    connectionState: undefined,
    nextEventId: 0,
    ...overrides,
    cookies: new Map(),
  };
}

export function connectRequest(overrides: Partial<ConnectRequest> = {}): ConnectRequest {
  return {
    claims: { sub: ['alice'], role: ['webpubsub.joinLeaveGroup'] },
    query: { access_token: ['secret-token'], room: ['lobby'] },
    headers: { 'User-Agent': ['test'], Authorization: ['Bearer secret'], Cookie: ['a=b'] },
    subprotocols: ['json.webpubsub.azure.v1'],
    ...overrides,
  };
}

export interface CapturingLogger extends Logger {
  readonly lines: string[];
}

export function capturingLogger(): CapturingLogger {
  const lines: string[] = [];
  const add = (level: string) => (message: string): void => {
    lines.push(`${level} ${message}`);
  };
  return { lines, debug: add('debug'), info: add('info'), warn: add('warn'), error: add('error') };
}

/** Resolves once `condition()` holds (checked every few milliseconds); fails after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, description: string, timeoutMs = 3_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** Header names exactly as sent, with values, in order. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export type Responder = (request: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface RecordingUpstream {
  /** `http://127.0.0.1:PORT` */
  readonly base: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  readonly posts: () => RecordedRequest[];
  /** Replaces how requests are answered. */
  respond: Responder;
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** Answers validation with `WebHook-Allowed-Origin: *` and every POST with 200 and no body. */
export const acceptAll = (request: RecordedRequest, res: ServerResponse): void => {
  if (request.method === 'OPTIONS') res.setHeader('WebHook-Allowed-Origin', '*');
  res.end();
};

export async function startRecordingUpstream(respond: Responder = acceptAll): Promise<RecordingUpstream> {
  const requests: RecordedRequest[] = [];
  const upstream: RecordingUpstream = {
    base: '',
    port: 0,
    requests,
    posts: () => requests.filter((request) => request.method === 'POST'),
    respond,
    waitForRequests: (count, timeoutMs) => waitUntil(() => requests.length >= count, `${count} upstream requests`, timeoutMs),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
      };
      requests.push(recorded);
      Promise.resolve(upstream.respond(recorded, res)).catch((error: unknown) => {
        res.destroy(error as Error);
      });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return Object.assign(upstream, { base: `http://127.0.0.1:${port}`, port });
}

/** A port with nothing listening: bound, then released. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** The header value as sent, by exact name (case-sensitive), or undefined. */
export function rawHeader(request: RecordedRequest, name: string): string | undefined {
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    if (request.rawHeaders[i] === name) return request.rawHeaders[i + 1];
  }
  return undefined;
}
