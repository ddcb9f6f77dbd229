/**
 * A logical client connection: what the hub and the upstream know as one connection id. It
 * outlives its socket for reliable clients (a dropped socket leaves the session waiting for a
 * recovery), and it decides everything the client protocol asks: permissions, acks, ackId
 * de-duplication, sequence numbers, replay, closing. It never touches `ws`; the endpoint hands it
 * a `ClientSocket`.
 */
import type { EventDispatcher } from '../events/types.js';
import type { HubClient } from '../hub/client.js';
import type { LocalHub } from '../hub/hub.js';
import type { OutgoingMessage } from '../hub/outgoing.js';
import type { OutboundMessage, Payload, SendOptions } from '../hub/types.js';
import type { Logger } from '../log.js';
import { CloseCode, limitCloseReason } from '../protocol/closeCodes.js';
import {
  duplicateAckMessage,
  type AckErrorName,
  type AckableMessage,
  type ClientMessage,
  type EventMessage,
} from '../protocol/messages.js';
import { isValidEventName, isValidGroupName } from '../protocol/names.js';
import { AckIdMemory } from './ackIds.js';
import type { Codec, EncodedFrame } from './codecs.js';
import { ReliableOutbox, type OutboxLimits } from './outbox.js';
import type { RawSendToGroup } from './rawMode.js';
import type { ConnectionUpstream } from './upstreamConnection.js';

/** What a session needs from the socket it is attached to. */
export interface ClientSocket {
  send(frame: EncodedFrame, binary: boolean): void;
  /** Sends a close frame; the socket reports back through `Session.socketClosed`. */
  close(code: number, reason: string): void;
  /** Drops the connection without a close frame. */
  terminate(): void;
  /** Bytes queued in the socket and not yet written. */
  readonly bufferedAmount: number;
  /** Frames sent during `send` leave together: one system call instead of one per frame. */
  batch(send: () => void): void;
}

export interface SessionLimits {
  /** How long a dropped reliable session waits for a recovery. */
  readonly recoveryWindowMs: number;
  readonly outbox: OutboxLimits;
  /** Requests waiting behind a slow upstream event before the client is cut off. */
  readonly maxQueuedRequests: number;
  /** Bytes queued in a socket beyond which the client is considered stuck and dropped. */
  readonly maxSocketBufferBytes: number;
}


export interface SessionInit {
  readonly hub: LocalHub;
  readonly dispatcher: EventDispatcher;
  readonly log: Logger;
  readonly upstream: ConnectionUpstream;
  /** Undefined for raw WebSocket clients. */
  readonly codec: Codec | undefined;
  /** The subprotocol as negotiated (may be a custom one for raw clients). */
  readonly subprotocol: string | undefined;
  readonly limits: SessionLimits;
  readonly onEnded: (session: Session) => void;
  /** Raw clients in `webpubsub_mode=sendToGroup`: frames are published to the group. */
  readonly rawSendToGroup?: RawSendToGroup | undefined;
}

export interface CloseInstruction {
  readonly code: number;
  /** Sent as the close frame's reason (cut to 123 bytes). */
  readonly reason: string;
  /** Subprotocol clients get a `disconnected` system message first. */
  readonly notify: boolean;
}

type Request = ClientMessage | { readonly type: 'raw'; readonly payload: Payload };

const INTERNAL_ERROR_REASON = 'Internal server error';

export class Session implements HubClient {
  readonly connectionId: string;
  readonly upstream: ConnectionUpstream;
  readonly hub: LocalHub;
  readonly codec: Codec | undefined;
  readonly protocol: string | undefined;
  private readonly dispatcher: EventDispatcher;
  private readonly log: Logger;
  private readonly limits: SessionLimits;
  private readonly onEnded: (session: Session) => void;
  private readonly rawSendToGroup: RawSendToGroup | undefined;

  private socket: ClientSocket | undefined;
  private ended = false;
  /** Set while a recovery handshake for this session is in progress. */
  private reserved = false;
  private recoveryTimer: NodeJS.Timeout | undefined;
  private readonly outbox: ReliableOutbox | undefined;
  private ackIds: AckIdMemory | undefined;
  /** Requests waiting while an upstream event is in flight: they run in arrival order. */
  private queue: Request[] | undefined;
  private busy = false;
  private noEchoOptions: SendOptions | undefined;

  constructor(init: SessionInit) {
    this.connectionId = init.upstream.connectionId;
    this.upstream = init.upstream;
    this.hub = init.hub;
    this.codec = init.codec;
    this.protocol = init.subprotocol;
    this.dispatcher = init.dispatcher;
    this.log = init.log;
    this.limits = init.limits;
    this.onEnded = init.onEnded;
    this.rawSendToGroup = init.codec === undefined ? init.rawSendToGroup : undefined;
    this.outbox = init.codec?.reliable === true ? new ReliableOutbox(init.limits.outbox) : undefined;
  }

  get userId(): string | undefined {
    return this.upstream.userId;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** True when the session can be recovered: reliable, alive, no socket, no recovery under way. */
  get isRecoverable(): boolean {
    return this.outbox !== undefined && !this.ended && this.socket === undefined && !this.reserved;
  }

  /**
   * Makes the session live: registers it in the hub, joins the token's groups, greets the client
   * and tells the upstream.
   */
  start(socket: ClientSocket, roles: readonly string[], groups: readonly string[], reconnectionToken: string | undefined): void {
    this.hub.addConnection(this, roles);
    for (const group of groups) this.hub.addConnectionToGroup(group, this.connectionId);
    this.socket = socket;
    if (this.codec !== undefined) {
      this.sendControl({
        type: 'system',
        event: 'connected',
        userId: this.userId ?? null,
        connectionId: this.connectionId,
        ...(reconnectionToken === undefined ? {} : { reconnectionToken }),
      });
    }
    this.dispatcher.connected(this.upstream);
  }

  /** Holds the session for a recovery handshake so no second attempt can take it. */
  reserve(): void {
    this.reserved = true;
    clearTimeout(this.recoveryTimer);
    this.recoveryTimer = undefined;
  }

  /** The recovery handshake failed after `reserve`: wait for another attempt. */
  release(): void {
    this.reserved = false;
    if (!this.ended && this.socket === undefined) this.startRecoveryTimer();
  }

  /** Attaches the recovered socket and replays every un-acked message with its original sequence id. */
  resume(socket: ClientSocket): void {
    this.reserved = false;
    if (this.ended || this.codec === undefined || this.outbox === undefined) {
      socket.close(CloseCode.PolicyViolation, 'The session has ended.');
      return;
    }
    this.socket = socket;
    const codec = this.codec;
    this.outbox.replay((frame, sequenceId) => { socket.send(codec.sequenced(frame, sequenceId), codec.binary); });
    this.log.debug(`connection ${this.connectionId} recovered, ${this.outbox.pending} message(s) replayed`);
  }

  /** A frame from the attached socket. */
  receive(socket: ClientSocket, data: Buffer, isBinary: boolean): void {
    if (socket !== this.socket || this.ended) return;
    if (this.codec === undefined) {
      const payload: Payload = { dataType: isBinary ? 'binary' : 'text', data };
      if (this.rawSendToGroup === undefined) this.enqueue({ type: 'raw', payload });
      else this.publishRawFrame(this.rawSendToGroup, payload);
      return;
    }
    const decoded = this.codec.decode(data, isBinary);
    if (!decoded.ok) {
      this.end(decoded.reason, { code: decoded.code, reason: decoded.reason, notify: false });
      return;
    }
    const message = decoded.message;
    // Pings and sequence acks bypass the queue: a slow event handler must not starve keep-alive.
    if (message.type === 'ping') this.socket.send(this.codec.pong, this.codec.binary);
    else if (message.type === 'sequenceAck') this.outbox?.ack(message.sequenceId);
    else if (!this.busy && message.type !== 'event') this.handleGroupRequest(message);
    else this.enqueue(message);
  }

  /**
   * The attached socket is gone. Reliable sessions wait for a recovery unless the client said
   * goodbye: 1000, or 1001 (a browser tab closing or navigating away). A close frame without a
   * code (1005) stays recoverable: the SDK sends one on `stop()` but also when its keep-alive
   * times out, and then it recovers.
   */
  socketClosed(socket: ClientSocket, code: number, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    if (this.ended) return;
    if (code === CloseCode.Normal || code === CloseCode.GoingAway) {
      this.end(reason === '' ? 'The client closed the connection.' : reason);
    } else if (this.outbox !== undefined) {
      this.log.debug(`connection ${this.connectionId} dropped (${code}); kept ${this.limits.recoveryWindowMs} ms for recovery`);
      this.startRecoveryTimer();
    } else {
      this.end(code === CloseCode.Abnormal ? 'The connection was closed abnormally.' : reason === '' ? `The client closed the connection (${code}).` : reason);
    }
  }

  /** The socket broke the WebSocket protocol (oversized or invalid frame); it is already closing. */
  socketFailed(socket: ClientSocket, reason: string): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.end(reason);
  }

  deliver(message: OutgoingMessage): void {
    if (this.ended) return;
    const codec = this.codec;
    if (codec === undefined) {
      const { dataType, data } = message.message;
      this.sendOrDrop(data, dataType === 'binary' || dataType === 'protobuf');
      return;
    }
    const frame = message.frame(codec.dataEncoder);
    if (this.outbox === undefined) {
      this.sendOrDrop(frame, codec.binary);
      return;
    }
    const sequenceId = this.outbox.push(frame);
    if (sequenceId === undefined) {
      const reason = 'The reliable message buffer is full (1,000 messages or 16 MB not acknowledged).';
      this.end(reason, { code: CloseCode.PolicyViolation, reason, notify: false });
      return;
    }
    if (this.socket !== undefined) this.sendOrDrop(codec.sequenced(frame, sequenceId), codec.binary);
  }

  /** REST close: subprotocol clients get `disconnected`, then close 1000 with the reason. */
  close(reason: string): void {
    this.end(reason, { code: CloseCode.Normal, reason, notify: true });
  }

  /** The emulator is stopping. */
  shutdown(reason: string): void {
    this.end(reason, { code: CloseCode.GoingAway, reason, notify: true });
  }

  /** Ends the session for good: the hub forgets it and the upstream hears `disconnected` once. */
  end(reason: string, close?: CloseInstruction): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.recoveryTimer);
    this.recoveryTimer = undefined;
    this.queue = undefined;
    this.hub.removeConnection(this.connectionId);
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined && close !== undefined) {
      if (close.notify && this.codec !== undefined) this.sendControlTo(socket, { type: 'system', event: 'disconnected', message: reason });
      socket.close(close.code, limitCloseReason(close.reason));
    } else {
      socket?.terminate();
    }
    this.dispatcher.disconnected(this.upstream, reason);
    this.dispatcher.forget(this.connectionId);
    this.onEnded(this);
  }

  private startRecoveryTimer(): void {
    clearTimeout(this.recoveryTimer);
    this.recoveryTimer = setTimeout(() => {
      this.end('The connection was not recovered in time.');
    }, this.limits.recoveryWindowMs);
    this.recoveryTimer.unref();
  }

  private sendOrDrop(frame: EncodedFrame, binary: boolean): void {
    const socket = this.socket;
    if (socket === undefined) return;
    if (socket.bufferedAmount > this.limits.maxSocketBufferBytes) {
      // A client that stopped reading: cut it rather than buffer without bound. Reliable
      // sessions keep their outbox and may recover.
      this.log.warn(`connection ${this.connectionId} is not reading its messages; dropping the socket`);
      socket.terminate();
      return;
    }
    socket.send(frame, binary);
  }

  /** Runs `send` with the attached socket's frames batched (e.g. a message to the sender and its ack). */
  private batched(send: () => void): void {
    if (this.socket === undefined) send();
    else this.socket.batch(send);
  }

  private sendControl(message: Parameters<Codec['encodeControl']>[0]): void {
    if (this.socket !== undefined) this.sendControlTo(this.socket, message);
  }

  private sendControlTo(socket: ClientSocket, message: Parameters<Codec['encodeControl']>[0]): void {
    if (this.codec !== undefined) socket.send(this.codec.encodeControl(message), this.codec.binary);
  }

  private enqueue(request: Request): void {
    const queue = (this.queue ??= []);
    if (queue.length >= this.limits.maxQueuedRequests) {
      const reason = 'Too many messages are waiting for the event handler.';
      this.end(reason, { code: CloseCode.PolicyViolation, reason, notify: false });
      return;
    }
    queue.push(request);
    if (!this.busy) void this.drain();
  }

  /** Runs queued requests one at a time; never rejects (failures close the connection). */
  private async drain(): Promise<void> {
    this.busy = true;
    try {
      for (let request = this.queue?.shift(); request !== undefined && !this.ended; request = this.queue?.shift()) {
        if (request.type === 'raw') await this.handleRawFrame(request.payload);
        else if (request.type === 'event') await this.handleEvent(request);
        else if (request.type !== 'ping' && request.type !== 'sequenceAck') this.handleGroupRequest(request);
      }
    } catch (error) {
      this.log.error(`connection ${this.connectionId}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      this.end(INTERNAL_ERROR_REASON, { code: CloseCode.InternalError, reason: INTERNAL_ERROR_REASON, notify: false });
    } finally {
      this.busy = false;
    }
  }

  private handleGroupRequest(message: Exclude<AckableMessage, EventMessage>): void {
    if (this.isDuplicate(message.ackId)) return;
    const { group } = message;
    if (!isValidGroupName(group)) {
      this.ackFailure(message.ackId, 'BadRequest', 'The group name must be 1 to 1024 characters and not only whitespace.');
      return;
    }
    const permission = message.type === 'sendToGroup' ? 'sendToGroup' : 'joinLeaveGroup';
    if (!this.hub.hasPermission(this.connectionId, permission, group)) {
      this.ackFailure(message.ackId, 'Forbidden', `The connection has no permission to ${message.type === 'sendToGroup' ? 'send to' : message.type === 'joinGroup' ? 'join' : 'leave'} group '${group.slice(0, 128)}'.`);
      return;
    }
    if (message.type === 'joinGroup') {
      this.hub.addConnectionToGroup(group, this.connectionId);
    } else if (message.type === 'leaveGroup') {
      this.hub.removeConnectionFromGroup(group, this.connectionId);
    } else {
      const outbound: OutboundMessage = {
        from: 'group',
        group,
        fromUserId: this.userId ?? null,
        dataType: message.dataType,
        data: message.data,
        ...(message.metadata === undefined ? {} : { metadata: message.metadata }),
      };
      // A sender in the group gets its own message and the ack in one write.
      this.batched(() => {
        this.hub.sendToGroup(group, outbound, message.noEcho ? (this.noEchoOptions ??= { excluded: [this.connectionId] }) : undefined);
        this.ackSuccess(message.ackId);
      });
      return;
    }
    this.ackSuccess(message.ackId);
  }

  private async handleEvent(message: EventMessage): Promise<void> {
    if (this.isDuplicate(message.ackId)) return;
    if (!isValidEventName(message.event)) {
      this.ackFailure(message.ackId, 'BadRequest', 'The event name must start with a letter and use at most 128 letters, digits, _ . or -.');
      return;
    }
    const outcome = await this.dispatcher.userEvent(this.upstream, message.event, { dataType: message.dataType, data: message.data }, message.metadata);
    if (this.ended) return;
    if (outcome.kind === 'ok') {
      // The reply and the ack leave in one write.
      this.batched(() => {
        if (outcome.reply !== undefined) this.replyToSender(outcome.reply, outcome.metadata);
        this.ackSuccess(message.ackId);
      });
    } else {
      if (outcome.kind === 'failed') this.log.warn(`event '${message.event}' of connection ${this.connectionId} failed upstream: ${outcome.reason}`);
      this.ackFailure(message.ackId, 'InternalServerError', outcome.kind === 'no-handler' ? `No event handler is configured for event '${message.event}'.` : 'The event handler failed.');
    }
  }

  private async handleRawFrame(payload: Payload): Promise<void> {
    const outcome = await this.dispatcher.userEvent(this.upstream, 'message', payload);
    if (this.ended) return;
    if (outcome.kind === 'ok') {
      if (outcome.reply !== undefined) this.replyToSender(outcome.reply, outcome.metadata);
      return;
    }
    this.log.warn(`message of raw connection ${this.connectionId} ${outcome.kind === 'failed' ? `failed upstream: ${outcome.reason}` : 'has no event handler'}`);
    this.end(INTERNAL_ERROR_REASON, { code: CloseCode.InternalError, reason: INTERNAL_ERROR_REASON, notify: false });
  }

  /** A raw frame in sendToGroup mode. The permission is checked per frame, so runtime grants and revokes apply. */
  private publishRawFrame({ group, noEcho }: RawSendToGroup, payload: Payload): void {
    if (!this.hub.hasPermission(this.connectionId, 'sendToGroup', group)) {
      const reason = `The connection has no permission to send to group '${group.slice(0, 64)}'.`;
      this.end(reason, { code: CloseCode.PolicyViolation, reason, notify: false });
      return;
    }
    const outbound: OutboundMessage = { from: 'group', group, fromUserId: this.userId ?? null, dataType: payload.dataType, data: payload.data };
    this.hub.sendToGroup(group, outbound, noEcho ? (this.noEchoOptions ??= { excluded: [this.connectionId] }) : undefined);
  }

  /** The handler's answer goes to the sender alone, as a server message, before the ack. */
  private replyToSender(reply: Payload, metadata: Readonly<Record<string, string>> | undefined): void {
    this.hub.sendToConnection(this.connectionId, {
      from: 'server',
      dataType: reply.dataType,
      data: reply.data,
      ...(metadata === undefined ? {} : { metadata }),
    });
  }

  private isDuplicate(ackId: number | undefined): boolean {
    if (ackId === undefined || this.ackIds?.has(ackId) !== true) return false;
    this.sendAck(ackId, false, 'Duplicate', duplicateAckMessage(ackId));
    return true;
  }

  private ackSuccess(ackId: number | undefined): void {
    if (ackId === undefined) return;
    (this.ackIds ??= new AckIdMemory()).remember(ackId);
    this.sendAck(ackId, true);
  }

  /** Failed requests are not remembered, so the client may retry them with the same ackId. */
  private ackFailure(ackId: number | undefined, name: AckErrorName, message: string): void {
    if (ackId !== undefined) this.sendAck(ackId, false, name, message);
  }

  private sendAck(ackId: number, success: boolean, name?: AckErrorName, message?: string): void {
    this.sendControl(
      success || name === undefined
        ? { type: 'ack', ackId, success: true }
        : { type: 'ack', ackId, success: false, error: { name, message: message ?? name } },
    );
  }
}
