/**
 * The client endpoint's WebSocket edge: takes upgrade requests, asks the upstream `connect`
 * handler, completes the handshake with `ws`, and bridges each socket to its `Session`.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ClientIdentity } from '../auth/clientToken.js';
import { signJwt, verifyJwt } from '../auth/jwt.js';
import { hubSettingsOf, type EmulatorConfig } from '../config.js';
import type { ConnectOutcome, EventDispatcher } from '../events/types.js';
import type { LocalHubRegistry } from '../hub/registry.js';
import type { Logger } from '../log.js';
import { CloseCode, limitCloseReason } from '../protocol/closeCodes.js';
import { isValidGroupName, isValidUserId } from '../protocol/names.js';
import { canonicalSubprotocol, isSupportedSubprotocol } from '../protocol/subprotocols.js';
import { rejectUpgrade } from '../respond.js';
import { codecFor, type EncodedFrame } from './codecs.js';
import { createConnectionIdGenerator } from './connectionIds.js';
import { readUpgradeRequest, type UpgradeDecision } from './handshake.js';
import { KeepAlive } from './keepAlive.js';
import { DEFAULT_OUTBOX_MAX_BYTES, DEFAULT_OUTBOX_MAX_MESSAGES } from './outbox.js';
import { Session, type ClientSocket, type SessionLimits } from './session.js';
import { ConnectionUpstream } from './upstreamConnection.js';

/** The service keeps a dropped reliable session for 30 seconds. */
export const DEFAULT_RECOVERY_WINDOW_MS = 30_000;
/** The service's per-message limit; `ws` closes with 1009 above it. */
export const MAX_FRAME_BYTES = 1024 * 1024;
const RECONNECTION_TOKEN_LIFETIME_SECONDS = 7 * 24 * 60 * 60;
/** How long shutdown waits for clients to answer the close frame before dropping them. */
const SHUTDOWN_GRACE_MS = 1_000;
/** How long `ws` waits for the client's close frame after sending its own. */
const CLOSE_TIMEOUT_MS = 5_000;
const SHUTDOWN_REASON = 'The emulator is shutting down.';

export interface ClientEndpointDeps {
  readonly config: EmulatorConfig;
  readonly hubs: LocalHubRegistry;
  readonly dispatcher: EventDispatcher;
  readonly log: Logger;
  readonly recoveryWindowMs: number;
}

export interface ClientEndpoint {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void;
  /** Closes every client with 1001 and stops accepting new ones. */
  close(): Promise<void>;
}

// Send options are shared: `ws` copies them, so one object per shape is enough.
const TEXT = { binary: false } as const;
const BINARY = { binary: true } as const;
const TEXT_FIRST = { binary: false, fin: false } as const;
const BINARY_FIRST = { binary: true, fin: false } as const;

/** The session's view of a `ws` socket; methods live on the prototype, not in per-socket closures. */
class WsClientSocket implements ClientSocket {
  private readonly ws: WebSocket;
  /** The TCP (or TLS) socket under `ws`, corked to batch frames. */
  private readonly transport: Duplex;

  constructor(ws: WebSocket, transport: Duplex) {
    this.ws = ws;
    this.transport = transport;
  }

  batch(send: () => void): void {
    this.transport.cork();
    try {
      send();
    } finally {
      this.transport.uncork();
    }
  }

  send(frame: EncodedFrame, binary: boolean): void {
    const { ws } = this;
    if (ws.readyState !== ws.OPEN) return;
    if (Buffer.isBuffer(frame)) {
      ws.send(frame, binary ? BINARY : TEXT);
      return;
    }
    // Fragments of one message: `ws` sends the first with the frame type, the rest as continuations.
    const last = frame.length - 1;
    for (let i = 0; i < last; i++) ws.send(frame[i] as Buffer, binary ? BINARY_FIRST : TEXT_FIRST);
    ws.send(frame[last] as Buffer, binary ? BINARY : TEXT);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }
}

type Settled =
  | { readonly ok: true; readonly userId: string | undefined; readonly roles: readonly string[]; readonly groups: readonly string[]; readonly subprotocol: string | undefined }
  | { readonly ok: false; readonly reason: string };

export function createClientEndpoint(deps: ClientEndpointDeps): ClientEndpoint {
  const { config, hubs, dispatcher, log } = deps;
  const sessions = new Map<string, Session>();
  const sockets = new Set<WebSocket>();
  /** Raw sockets waiting on the upstream `connect` answer. */
  const pending = new Set<Duplex>();
  const keepAlive = new KeepAlive();
  const nextConnectionId = createConnectionIdGenerator();
  const chosenSubprotocol = new WeakMap<IncomingMessage, string | false>();
  const limits: SessionLimits = {
    recoveryWindowMs: deps.recoveryWindowMs,
    outbox: { maxMessages: DEFAULT_OUTBOX_MAX_MESSAGES, maxBytes: DEFAULT_OUTBOX_MAX_BYTES },
    maxQueuedRequests: 1_000,
    maxSocketBufferBytes: 16 * 1024 * 1024,
  };
  let closing = false;
  /** Shared by every session: a per-session closure would pin its handshake's scope in memory. */
  const forgetSession = (ended: Session): void => {
    sessions.delete(ended.connectionId);
  };
  /** Until `ws` takes the socket over, a reset during the handshake must not go unhandled. */
  const onHandshakeSocketError = (error: Error): void => {
    log.debug(`client socket error during the handshake: ${error.message}`);
  };

  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: MAX_FRAME_BYTES,
    // The chosen subprotocol is always echoed: clients that offered one fail without it.
    handleProtocols: (_offered, req) => chosenSubprotocol.get(req) ?? false,
    // `closeTimeout` exists since ws 8.19; @types/ws 8.18 does not know it yet.
    ...({ closeTimeout: CLOSE_TIMEOUT_MS } as object),
  });

  function complete(req: IncomingMessage, socket: Duplex, head: Buffer, subprotocol: string | undefined, onOpen: (ws: WebSocket) => void): void {
    chosenSubprotocol.set(req, subprotocol ?? false);
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      onOpen(ws);
    });
  }

  /** Connects a `ws` socket to a session through the `ClientSocket` the session knows. */
  function bridge(ws: WebSocket, transport: Duplex, session: Session, keepAliveSeconds: number): ClientSocket {
    const socket = new WsClientSocket(ws, transport);
    const liveness = keepAlive.track(ws, keepAliveSeconds * 1000);
    ws.on('message', (data, isBinary) => {
      liveness.alive = true;
      session.receive(socket, data as Buffer, isBinary);
    });
    ws.on('pong', () => {
      liveness.alive = true;
    });
    ws.on('error', (error) => {
      // Frame-level violations (too big, bad UTF-8, bad opcode): `ws` is already closing the socket.
      log.debug(`connection ${session.connectionId}: ${error.message}`);
      session.socketFailed(socket, error.message);
    });
    ws.on('close', (code, reason) => {
      sockets.delete(ws);
      keepAlive.untrack(liveness);
      session.socketClosed(socket, code, reason.toString('utf8'));
    });
    return socket;
  }

  function reconnectionTokenFor(connectionId: string): string {
    const now = Math.floor(Date.now() / 1000);
    return signJwt({ aud: connectionId, iat: now, exp: now + RECONNECTION_TOKEN_LIFETIME_SECONDS }, config.accessKeys[0] ?? '');
  }

  function recover(req: IncomingMessage, socket: Duplex, head: Buffer, decision: Extract<UpgradeDecision, { kind: 'recover' }>): void {
    const session = sessions.get(decision.connectionId);
    let failure: string | undefined;
    if (session === undefined || session.hub.name !== decision.hub.toLowerCase()) {
      failure = 'The connection cannot be recovered: the session does not exist or has ended.';
    } else if (!session.isRecoverable) {
      failure = 'The connection cannot be recovered: it is still connected.';
    } else {
      const verified = verifyJwt(decision.reconnectionToken, { keys: config.accessKeys });
      if (!verified.ok || verified.payload.aud !== decision.connectionId) failure = 'The connection cannot be recovered: the reconnection token is not valid.';
    }
    if (session === undefined || failure !== undefined) {
      // The SDK stops retrying only on a 1008 close, so the handshake succeeds and then closes.
      log.debug(`recovery of ${decision.connectionId} refused: ${failure ?? ''}`);
      const echo = decision.offered.find(isSupportedSubprotocol) ?? decision.offered[0];
      complete(req, socket, head, echo, (ws) => {
        ws.once('close', () => sockets.delete(ws));
        ws.close(CloseCode.PolicyViolation, limitCloseReason(failure ?? ''));
      });
      return;
    }
    session.reserve();
    const onEarlyClose = (): void => {
      session.release();
    };
    socket.once('close', onEarlyClose);
    complete(req, socket, head, session.protocol, (ws) => {
      socket.off('close', onEarlyClose);
      socket.off('error', onHandshakeSocketError);
      session.resume(bridge(ws, socket, session, hubSettingsOf(config, session.hub.name).keepAliveIntervalSeconds));
    });
  }

  async function connect(req: IncomingMessage, socket: Duplex, head: Buffer, decision: Extract<UpgradeDecision, { kind: 'connect' }>): Promise<void> {
    const { identity } = decision;
    if (identity.userId !== undefined && !isValidUserId(identity.userId)) {
      rejectUpgrade(socket, 400, 'The user id in the token contains control characters or is too long.');
      return;
    }
    const hub = hubs.get(decision.hub);
    const upstream = new ConnectionUpstream(hub.name, nextConnectionId(), identity.userId);

    let gone = false;
    const onGone = (): void => {
      gone = true;
      // Nobody is left to answer: cancel the pending request.
      dispatcher.forget(upstream.connectionId);
    };
    socket.once('close', onGone);
    pending.add(socket);
    let outcome: ConnectOutcome;
    try {
      outcome = await dispatcher.connect(upstream, decision.request);
    } catch (error) {
      log.error(`connect of ${upstream.connectionId} failed: ${error instanceof Error ? error.message : String(error)}`);
      outcome = { kind: 'rejected', status: 500, reason: 'The connect handler failed.' };
    } finally {
      pending.delete(socket);
      socket.off('close', onGone);
    }
    if (outcome.kind === 'rejected') {
      log.debug(`connect of ${upstream.connectionId} refused upstream: ${outcome.status} ${outcome.reason}`);
      rejectUpgrade(socket, outcome.status >= 400 && outcome.status <= 599 ? outcome.status : 500);
      return;
    }
    // A handler that accepted the connection hears `disconnected` for it whatever happens next;
    // without a `connect` handler nobody upstream knows of a connection that never opened.
    const accepted = outcome.kind === 'accepted';
    if (gone || closing) {
      socket.destroy();
      if (accepted) dispatcher.disconnected(upstream, 'The client went away before the connection opened.');
      return;
    }
    const settled = settle(identity, outcome, decision.offered);
    if (!settled.ok) {
      // Refused like any other bad `connect` answer: no `connected`, no `disconnected`.
      log.warn(`connect of ${upstream.connectionId}: ${settled.reason}`);
      rejectUpgrade(socket, 500);
      return;
    }
    upstream.userId = settled.userId;
    upstream.subprotocol = settled.subprotocol;
    const codec = codecFor(settled.subprotocol);

    const onEarlyClose = (): void => {
      if (accepted) dispatcher.disconnected(upstream, 'The client went away before the connection opened.');
    };
    // Read here, not in the callback: a closure naming `decision` would keep its request headers
    // and query alive as long as the connection.
    const { rawSendToGroup } = decision;
    socket.once('close', onEarlyClose);
    complete(req, socket, head, settled.subprotocol, (ws) => {
      socket.off('close', onEarlyClose);
      socket.off('error', onHandshakeSocketError);
      if (closing) {
        ws.once('close', () => sockets.delete(ws));
        ws.close(CloseCode.GoingAway, SHUTDOWN_REASON);
        dispatcher.disconnected(upstream, SHUTDOWN_REASON);
        return;
      }
      const session = new Session({
        hub,
        dispatcher,
        log,
        upstream,
        codec,
        subprotocol: settled.subprotocol,
        limits,
        onEnded: forgetSession,
        rawSendToGroup,
      });
      sessions.set(session.connectionId, session);
      const clientSocket = bridge(ws, socket, session, hubSettingsOf(config, hub.name).keepAliveIntervalSeconds);
      session.start(clientSocket, settled.roles, settled.groups, codec?.reliable === true ? reconnectionTokenFor(session.connectionId) : undefined);
      log.debug(`connection ${session.connectionId} opened on hub ${hub.name} (${settled.subprotocol ?? 'raw'}, user ${settled.userId ?? 'none'})`);
    });
  }

  return {
    handleUpgrade(req, socket, head, url) {
      socket.on('error', onHandshakeSocketError);
      if (closing) {
        rejectUpgrade(socket, 503, SHUTDOWN_REASON);
        return;
      }
      const decision = readUpgradeRequest(req.method, url, req.headers, config);
      if (decision.kind === 'reject') {
        log.debug(`upgrade refused (${decision.status}): ${decision.reason}`);
        rejectUpgrade(socket, decision.status, decision.reason);
      } else if (decision.kind === 'recover') {
        recover(req, socket, head, decision);
      } else {
        connect(req, socket, head, decision).catch((error: unknown) => {
          log.error(`upgrade failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
          socket.destroy();
        });
      }
    },

    async close() {
      closing = true;
      for (const socket of pending) socket.destroy();
      for (const session of [...sessions.values()]) session.shutdown(SHUTDOWN_REASON);
      await new Promise<void>((resolve) => {
        if (sockets.size === 0) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          for (const ws of sockets) ws.terminate();
          resolve();
        }, SHUTDOWN_GRACE_MS);
        for (const ws of sockets) {
          ws.once('close', () => {
            if (sockets.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          });
        }
      });
      keepAlive.stop();
      wss.close();
    },
  };
}

/** Applies the `connect` handler's answer over what the token said, and picks the subprotocol. */
function settle(identity: ClientIdentity, outcome: Exclude<ConnectOutcome, { kind: 'rejected' }>, offered: readonly string[]): Settled {
  const accepted = outcome.kind === 'accepted' ? outcome : undefined;
  const userId = accepted?.userId ?? identity.userId;
  if (accepted?.userId !== undefined && !isValidUserId(accepted.userId)) {
    return { ok: false, reason: 'The connect handler returned a user id with control characters or over 1024 characters.' };
  }
  const groups = accepted?.groups !== undefined && accepted.groups.length > 0 ? accepted.groups : identity.groups;
  if (!groups.every(isValidGroupName)) return { ok: false, reason: 'The connect handler returned an invalid group name.' };
  return {
    ok: true,
    userId,
    roles: accepted?.roles ?? identity.roles,
    groups,
    subprotocol: accepted?.subprotocol ?? canonicalSubprotocol(offered.find(isSupportedSubprotocol)),
  };
}
