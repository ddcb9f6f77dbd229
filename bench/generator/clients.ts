/**
 * The three systems' client protocols, spoken over the same minimal WebSocket client
 * (lean-socket.ts) so that every system is measured by the same cheap client code:
 *
 * - emulator: Web PubSub `json.webpubsub.azure.v1` or `json.reliable.webpubsub.azure.v1`
 *   (sequence acks, recovery with `awps_connection_id` + `awps_reconnection_token`, de-duplication by
 *   `sequenceId` as `@azure/web-pubsub-client` does);
 * - socketio: Engine.IO 4 / Socket.IO 5 packets on the WebSocket transport (`40` connect with
 *   `{pid, offset}` for connection state recovery, `2`/`3` heartbeat, `42` events, `43` acks);
 * - ws: the raw broadcast server's JSON frames (bench/servers/ws-server.ts).
 */
import { find, readSeq, readSequenceId, startsWith } from './frames.js';
import { LeanSocket, OPEN } from './lean-socket.js';
import { signClientToken } from '../lib/token.js';

export type SystemKind = 'emulator' | 'socketio' | 'ws';

export const RELIABLE_SUBPROTOCOL = 'json.reliable.webpubsub.azure.v1';
export const JSON_SUBPROTOCOL = 'json.webpubsub.azure.v1';
export const ROOM = 'bench';

export interface Endpoint {
  readonly kind: SystemKind;
  readonly host: string;
  readonly port: number;
  /** Emulator only. */
  readonly hub?: string;
  readonly accessKey?: string;
  readonly subprotocol?: string;
}

export interface ClientOptions {
  readonly endpoint: Endpoint;
  readonly userId: string;
  readonly localAddress?: string;
  /** Every room message, with the payload's message number `s`. */
  readonly onMessage: (seq: number) => void;
  /** The connection dropped without us asking (close code; 1006 when there was no close frame). */
  readonly onDrop?: (code: number) => void;
}

export interface ClientStats {
  /** Reliable protocol: replayed messages dropped because their sequenceId was already seen. */
  redelivered: number;
  /** Reliable protocol: a sequenceId skipped (a message the server never sent us). */
  sequenceGaps: number;
  /** Recovery refused by the server; a new session was started instead. */
  recoveryFailures: number;
  /** Acks with success false for requests nobody waited for (e.g. user events). */
  failedAcks: number;
}

export interface RoomClient {
  readonly stats: ClientStats;
  /** Opens the connection; resolves when the server has confirmed it. */
  connect(): Promise<void>;
  join(): Promise<void>;
  publish(payload: string): void;
  /** Destroys the TCP connection without a close frame: an abnormal drop for the server. */
  terminate(): void;
  close(): void;
  /** Opens a new connection, resuming the session where the protocol can; rejoins otherwise. */
  reconnect(): Promise<{ readonly recovered: boolean }>;
  /** Reliable protocol: sends a cumulative sequence ack when something new arrived. */
  flushAck(): void;
}

export function createClient(options: ClientOptions): RoomClient {
  switch (options.endpoint.kind) {
    case 'emulator':
      return new WebPubSubClient(options);
    case 'socketio':
      return new SocketIoClient(options);
    case 'ws':
      return new RawWsClient(options);
  }
}

const CONNECT_TIMEOUT_MS = 30_000;

interface Waiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

/** A socket and the bookkeeping every protocol shares: which socket is current, deliberate closes. */
abstract class BaseClient {
  readonly stats: ClientStats = { redelivered: 0, sequenceGaps: 0, recoveryFailures: 0, failedAcks: 0 };
  protected socket: LeanSocket | undefined;
  /** While a reconnect is under way its own failures are handled there, not reported as drops. */
  protected quiet = false;
  private pending: Waiter<unknown> | undefined;

  constructor(protected readonly options: ClientOptions) {}

  protected abstract onFrame(data: Buffer, start: number, end: number): void;

  /**
   * Opens a socket. `opened` resolves on the handshake (rejects if refused); `closed` resolves
   * with the close code whenever the socket ends.
   */
  protected open(path: string, protocols: string[] = []): { opened: Promise<void>; closed: Promise<number> } {
    let resolveOpen: () => void = () => undefined;
    let rejectOpen: (error: Error) => void = () => undefined;
    let resolveClosed: (code: number) => void = () => undefined;
    const opened = new Promise<void>((resolve, reject) => {
      resolveOpen = resolve;
      rejectOpen = reject;
    });
    const closed = new Promise<number>((resolve) => (resolveClosed = resolve));
    opened.catch(() => undefined);
    let wasOpen = false;
    const timer = setTimeout(() => {
      rejectOpen(new Error('handshake timed out'));
      socket.terminate();
    }, CONNECT_TIMEOUT_MS);
    const socket: LeanSocket = new LeanSocket({
      host: this.options.endpoint.host,
      port: this.options.endpoint.port,
      path,
      protocols,
      ...(this.options.localAddress !== undefined ? { localAddress: this.options.localAddress } : {}),
      onOpen: () => {
        wasOpen = true;
        clearTimeout(timer);
        resolveOpen();
      },
      onMessage: (data, start, end) => {
        if (socket === this.socket) this.onFrame(data, start, end);
      },
      onError: (error) => {
        clearTimeout(timer);
        rejectOpen(error);
        if (socket === this.socket) this.fail(error);
      },
      onClose: (code) => {
        clearTimeout(timer);
        rejectOpen(new Error(`closed with ${code} during the handshake`));
        resolveClosed(code);
        if (socket !== this.socket) return;
        this.socket = undefined;
        this.fail(new Error(`closed with ${code} while waiting`));
        if (wasOpen && !this.quiet) this.options.onDrop?.(code);
      },
    });
    this.socket = socket;
    return { opened, closed };
  }

  /** Resolves with whatever `settle` is given next, or fails on close/error/timeout. */
  protected wait<T>(what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => { this.fail(new Error(`timed out waiting for ${what}`)); }, CONNECT_TIMEOUT_MS);
      this.pending = {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
    });
  }

  protected settle(value: unknown): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(value);
  }

  protected fail(error: Error): void {
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(error);
  }

  protected send(text: string): void {
    const socket = this.socket;
    if (socket !== undefined && socket.readyState === OPEN) socket.send(text);
  }

  terminate(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.terminate();
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000);
  }

  flushAck(): void {
    // Only the reliable protocol acknowledges.
  }
}

const WPS_MESSAGE = Buffer.from('"type":"message"');

export class WebPubSubClient extends BaseClient implements RoomClient {
  private readonly reliable: boolean;
  private readonly basePath: string;
  private readonly token: string;
  private connectionId: string | undefined;
  private reconnectionToken: string | undefined;
  private lastSequenceId = 0;
  private ackedSequenceId = 0;
  private nextAckId = 1;
  private readonly acks = new Map<number, Waiter<void>>();

  constructor(options: ClientOptions) {
    super(options);
    const { host, port, hub = 'bench', accessKey = '', subprotocol = JSON_SUBPROTOCOL } = options.endpoint;
    this.reliable = subprotocol === RELIABLE_SUBPROTOCOL;
    this.basePath = `/client/hubs/${hub}`;
    this.token = signClientToken(accessKey, {
      audience: `http://${host}:${port}/client/hubs/${hub}`,
      userId: options.userId,
      roles: ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'],
      lifetimeSeconds: 3 * 3600,
    });
  }

  private get subprotocol(): string {
    return this.options.endpoint.subprotocol ?? JSON_SUBPROTOCOL;
  }

  async connect(): Promise<void> {
    this.lastSequenceId = 0;
    this.ackedSequenceId = 0;
    const connected = this.wait<undefined>('the connected system message');
    const { opened } = this.open(`${this.basePath}?access_token=${this.token}`, [this.subprotocol]);
    await Promise.all([opened, connected]);
  }

  join(): Promise<void> {
    return this.joinGroup(ROOM);
  }

  joinGroup(group: string): Promise<void> {
    const ackId = this.nextAckId++;
    const done = new Promise<void>((resolve, reject) => this.acks.set(ackId, { resolve, reject }));
    this.send(`{"type":"joinGroup","group":${JSON.stringify(group)},"ackId":${ackId}}`);
    return withTimeout(done, `joinGroup ack ${ackId}`);
  }

  publish(payload: string): void {
    this.send(`{"type":"sendToGroup","group":"${ROOM}","dataType":"json","data":${payload}}`);
  }

  /** `data` is JSON text: a string literal for `text`, any JSON for `json`. */
  sendToGroup(group: string, dataType: 'text' | 'json', data: string): void {
    this.send(`{"type":"sendToGroup","group":${JSON.stringify(group)},"dataType":"${dataType}","data":${data}}`);
  }

  /** A user event with an ackId, as @azure/web-pubsub-client sends it; the ack is not awaited. */
  sendEvent(event: string, dataType: 'text' | 'json', data: string): void {
    this.send(`{"type":"event","event":"${event}","ackId":${this.nextAckId++},"dataType":"${dataType}","data":${data}}`);
  }

  async reconnect(): Promise<{ readonly recovered: boolean }> {
    this.quiet = true;
    try {
      return await this.resume();
    } finally {
      this.quiet = false;
    }
  }

  private async resume(): Promise<{ readonly recovered: boolean }> {
    if (this.reliable && this.connectionId !== undefined && this.reconnectionToken !== undefined) {
      // As @azure/web-pubsub-client does: the recovery parameters are appended to the original URL.
      const path =
        `${this.basePath}?access_token=${this.token}` +
        `&awps_connection_id=${encodeURIComponent(this.connectionId)}` +
        `&awps_reconnection_token=${encodeURIComponent(this.reconnectionToken)}`;
      const { opened, closed } = this.open(path, [this.subprotocol]);
      const accepted = await opened.then(
        () => true,
        () => false,
      );
      if (accepted) {
        // A refused recovery is an accepted upgrade closed with 1008 right away.
        const early = await Promise.race([closed, sleepMs(100).then(() => undefined)]);
        if (early === undefined) return { recovered: true };
      }
      this.stats.recoveryFailures += 1;
    }
    await this.connect();
    await this.join();
    return { recovered: false };
  }

  override flushAck(): void {
    if (!this.reliable || this.lastSequenceId <= this.ackedSequenceId) return;
    this.ackedSequenceId = this.lastSequenceId;
    this.send(`{"type":"sequenceAck","sequenceId":${this.lastSequenceId}}`);
  }

  protected onFrame(data: Buffer, start: number, end: number): void {
    if (find(data, WPS_MESSAGE, start, end) >= 0) {
      if (this.reliable) {
        const sequenceId = readSequenceId(data, start, end);
        if (sequenceId > 0) {
          if (sequenceId <= this.lastSequenceId) {
            this.stats.redelivered += 1;
            return;
          }
          if (this.lastSequenceId > 0 && sequenceId !== this.lastSequenceId + 1) this.stats.sequenceGaps += 1;
          this.lastSequenceId = sequenceId;
          if (this.lastSequenceId - this.ackedSequenceId > 300) this.flushAck();
        }
      }
      this.options.onMessage(readSeq(data, start, end));
      return;
    }
    let message: { type?: string; event?: string; connectionId?: string; reconnectionToken?: string; ackId?: number; success?: boolean; error?: { name?: string; message?: string } };
    try {
      message = JSON.parse(data.toString('utf8', start, end)) as typeof message;
    } catch {
      return;
    }
    if (message.type === 'system' && message.event === 'connected') {
      this.connectionId = message.connectionId;
      if (message.reconnectionToken !== undefined) this.reconnectionToken = message.reconnectionToken;
      this.settle(undefined);
    } else if (message.type === 'ack' && typeof message.ackId === 'number') {
      const waiter = this.acks.get(message.ackId);
      this.acks.delete(message.ackId);
      if (waiter === undefined && message.success !== true && message.error?.name !== 'Duplicate') this.stats.failedAcks += 1;
      if (message.success === true || message.error?.name === 'Duplicate') waiter?.resolve();
      else waiter?.reject(new Error(`ack ${message.ackId}: ${message.error?.name ?? '?'} ${message.error?.message ?? ''}`));
    }
  }
}

const SIO_MESSAGE = Buffer.from('42["message",');
const SIO_PATH = '/socket.io/?EIO=4&transport=websocket';

class SocketIoClient extends BaseClient implements RoomClient {
  private pid: string | undefined;
  private lastOffset: string | undefined;
  private nextAckId = 1;
  private readonly acks = new Map<number, () => void>();

  async connect(): Promise<void> {
    this.pid = undefined;
    this.lastOffset = undefined;
    await this.handshake();
  }

  private async handshake(): Promise<boolean> {
    const previousPid = this.pid;
    const connected = this.wait<{ sid?: string; pid?: string }>('the Socket.IO connect packet');
    const { opened } = this.open(SIO_PATH);
    const [, answer] = await Promise.all([opened, connected]);
    this.pid = answer.pid;
    return previousPid !== undefined && answer.pid === previousPid;
  }

  join(): Promise<void> {
    const ackId = this.nextAckId++;
    const done = new Promise<void>((resolve) => this.acks.set(ackId, resolve));
    this.send(`42${ackId}["join","${ROOM}"]`);
    return withTimeout(done, `join ack ${ackId}`);
  }

  publish(payload: string): void {
    this.send(`42["publish","${ROOM}",${payload}]`);
  }

  async reconnect(): Promise<{ readonly recovered: boolean }> {
    this.quiet = true;
    try {
      const hadSession = this.pid !== undefined && this.lastOffset !== undefined;
      const recovered = await this.handshake();
      if (!recovered) {
        if (hadSession) this.stats.recoveryFailures += 1;
        await this.join();
      }
      return { recovered };
    } finally {
      this.quiet = false;
    }
  }

  protected onFrame(data: Buffer, start: number, end: number): void {
    const kind = data[start];
    if (kind === 0x34 /* 4: message */) {
      const packet = data[start + 1];
      if (packet === 0x32 /* 2: event */) {
        if (!startsWith(data, start, end, SIO_MESSAGE)) return;
        this.options.onMessage(readSeq(data, start, end));
        // With recovery on, the server appends the packet's offset as a last string argument.
        if (this.pid !== undefined && data[end - 2] === 0x22) {
          const text = data.toString('utf8', start, end);
          const at = text.lastIndexOf(',"');
          if (at > 0) this.lastOffset = text.slice(at + 2, text.length - 2);
        }
      } else if (packet === 0x33 /* 3: ack */) {
        const text = data.toString('latin1', start, end);
        const ackId = Number.parseInt(text.slice(2, text.indexOf('[')), 10);
        const resolve = this.acks.get(ackId);
        this.acks.delete(ackId);
        resolve?.();
      } else if (packet === 0x30 /* 0: connect */) {
        this.settle(JSON.parse(data.toString('utf8', start + 2, end)) as unknown);
      } else if (packet === 0x34 /* 4: connect error */) {
        this.fail(new Error(`connect error ${data.toString('utf8', start, end)}`));
      }
    } else if (kind === 0x32 /* 2: ping */) {
      this.send('3');
    } else if (kind === 0x30 /* 0: open */) {
      const auth = this.pid !== undefined && this.lastOffset !== undefined ? JSON.stringify({ pid: this.pid, offset: this.lastOffset }) : '';
      this.send(`40${auth}`);
    }
  }
}

const WS_MESSAGE = Buffer.from('{"type":"message"');
const WS_JOINED = Buffer.from('{"type":"joined"');

class RawWsClient extends BaseClient implements RoomClient {
  async connect(): Promise<void> {
    await this.open('/').opened;
  }

  join(): Promise<void> {
    const joined = this.wait<undefined>('joined');
    this.send(`{"type":"join","room":"${ROOM}"}`);
    return joined.then(() => undefined);
  }

  publish(payload: string): void {
    this.send(`{"type":"publish","room":"${ROOM}","data":${payload}}`);
  }

  async reconnect(): Promise<{ readonly recovered: boolean }> {
    this.quiet = true;
    try {
      await this.connect();
      await this.join();
      return { recovered: false };
    } finally {
      this.quiet = false;
    }
  }

  protected onFrame(data: Buffer, start: number, end: number): void {
    if (startsWith(data, start, end, WS_MESSAGE)) this.options.onMessage(readSeq(data, start, end));
    else if (startsWith(data, start, end, WS_JOINED)) this.settle(undefined);
  }
}

function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function withTimeout<T>(promise: Promise<T>, what: string, ms = CONNECT_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`timed out waiting for ${what}`)); }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => { clearTimeout(timer); });
}
