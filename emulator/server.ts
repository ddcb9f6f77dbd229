/**
 * The composition root: one `node:http` (or, with TLS, `node:https`) server carrying the health
 * check, the REST API and the client WebSocket endpoint, wired to one hub registry and one
 * upstream dispatcher.
 */
import { createServer as createHttpServer, type IncomingMessage, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EmulatorConfig } from './config.js';
import { badRequest, notFound } from './errors.js';
import { createEventDispatcher } from './events/index.js';
import { createHubRegistry } from './hub/registry.js';
import type { HubRegistry } from './hub/types.js';
import { createConsoleLogger, type Logger } from './log.js';
import { rejectUpgrade, sendError } from './respond.js';
import { createRestHandler } from './rest/index.js';
import { loadTlsCredentials, type TlsCredentials } from './tls/credentials.js';
import { DEFAULT_RECOVERY_WINDOW_MS, createClientEndpoint } from './websocket/endpoint.js';

export interface EmulatorOptions {
  readonly log?: Logger;
  /** How long a dropped reliable session waits for its client to recover. */
  readonly recoveryWindowMs?: number;
}

export interface Listening {
  readonly port: number;
  /** `http(s)://host:port`: what connection strings should use. */
  readonly endpoint: string;
  /** With TLS: the certificate presented (and whether it is the generated one). */
  readonly tls: Pick<TlsCredentials, 'certFile' | 'selfSigned'> | undefined;
}

export interface Emulator {
  /** Loads the TLS certificate when configured, then binds the configured host and port. */
  listen(): Promise<Listening>;
  /** Closes every client (1001), stops the upstream side and the HTTP server. */
  close(): Promise<void>;
  readonly hubs: HubRegistry;
}


const HEALTH_PATH = '/api/health';

export function createEmulator(config: EmulatorConfig, options: EmulatorOptions = {}): Emulator {
  const log = options.log ?? createConsoleLogger();
  const hubs = createHubRegistry();
  let boundPort: number | undefined;
  const dispatcher = createEventDispatcher({ config, log, port: () => boundPort });
  const rest = createRestHandler({ config, hubs, log });
  const clients = createClientEndpoint({
    config,
    hubs,
    dispatcher,
    log,
    recoveryWindowMs: options.recoveryWindowMs ?? DEFAULT_RECOVERY_WINDOW_MS,
  });

  const scheme = config.tls === undefined ? 'http' : 'https';
  const serverOptions = { headersTimeout: 20_000, requestTimeout: 60_000 };
  const onRequest: RequestListener = (req, res) => {
    const url = parseRequestUrl(req, scheme);
    if (url === undefined) {
      sendError(res, badRequest('The request target is not a valid URL.'), log);
      return;
    }
    const path = url.pathname;
    if (path === HEALTH_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'Content-Length': 0 }).end();
    } else if (path.startsWith('/api/')) {
      rest(req, res, url);
    } else if (isClientPath(path)) {
      sendError(res, badRequest('This endpoint only accepts WebSocket connections (send an Upgrade request).'), log);
    } else {
      sendError(res, notFound(`Nothing is served at ${path}.`), log);
    }
  };
  // The HTTPS server gets its certificate in `listen`, which may have to generate it first.
  const httpsServer = config.tls === undefined ? undefined : createHttpsServer(serverOptions, onRequest);
  const server = httpsServer ?? createHttpServer(serverOptions, onRequest);

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = parseRequestUrl(req, scheme);
    if (url === undefined || !isClientPath(url.pathname)) {
      rejectUpgrade(socket, 404);
      return;
    }
    clients.handleUpgrade(req, socket, head, url);
  });

  let closing: Promise<void> | undefined;
  return {
    hubs,
    async listen() {
      let tls: TlsCredentials | undefined;
      if (config.tls !== undefined && httpsServer !== undefined) {
        tls = await loadTlsCredentials(config.tls);
        httpsServer.setSecureContext({ cert: tls.cert, key: tls.key });
      }
      const port = await new Promise<number>((resolve, reject) => {
        const onError = (error: Error): void => { reject(error); };
        server.once('error', onError);
        server.listen(config.port, config.host, () => {
          server.off('error', onError);
          resolve((server.address() as AddressInfo).port);
        });
      });
      boundPort = port;
      return {
        port,
        endpoint: `${scheme}://${displayHost(config.host)}:${port}`,
        tls: tls === undefined ? undefined : { certFile: tls.certFile, selfSigned: tls.selfSigned },
      };
    },
    close: () =>
      (closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => { resolve(); }));
        await clients.close();
        await dispatcher.close();
        server.closeAllConnections();
        await stopped;
      })()),
  };
}

/** `/client/hubs/{hub}` or `/client` (hub in the query); other shapes are unknown paths. */
function isClientPath(path: string): boolean {
  return path === '/client' || path.startsWith('/client/hubs/') || path === '/client/hubs';
}

/** The request target; the scheme matters: REST tokens are addressed to the URL the caller used. */
function parseRequestUrl(req: IncomingMessage, scheme: string): URL | undefined {
  try {
    return new URL(req.url ?? '/', `${scheme}://emulator.invalid`);
  } catch {
    return undefined;
  }
}

/** What clients should dial: wildcard and loopback binds are reachable as `localhost`. */
function displayHost(host: string): string {
  if (['0.0.0.0', '::', '127.0.0.1', '::1', 'localhost'].includes(host)) return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
