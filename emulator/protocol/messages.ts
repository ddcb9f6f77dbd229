/**
 * The messages of the Web PubSub client subprotocols, named as in the spec
 * (`reference-json-webpubsub-subprotocol.md`, `webpubsub.client.proto`). Codecs turn frames into
 * these shapes and back; `data` is already decoded into bytes here, whatever the wire encoding.
 */
import type { DataType } from '../hub/types.js';

export type { DataType };

/** Per-message metadata: ASCII names and values (null prototype: keys come from clients). */
export type Metadata = Readonly<Record<string, string>>;

export interface JoinGroupMessage {
  readonly type: 'joinGroup';
  readonly group: string;
  readonly ackId?: number;
}

export interface LeaveGroupMessage {
  readonly type: 'leaveGroup';
  readonly group: string;
  readonly ackId?: number;
}

export interface SendToGroupMessage {
  readonly type: 'sendToGroup';
  readonly group: string;
  readonly ackId?: number;
  readonly noEcho: boolean;
  readonly dataType: DataType;
  readonly data: Buffer;
  readonly metadata?: Metadata;
  /** Validated (0-300) but expiry is not modelled. */
  readonly ttlSeconds?: number;
}

export interface EventMessage {
  readonly type: 'event';
  readonly event: string;
  readonly ackId?: number;
  readonly dataType: DataType;
  readonly data: Buffer;
  readonly metadata?: Metadata;
}

export interface SequenceAckMessage {
  readonly type: 'sequenceAck';
  readonly sequenceId: number;
}

export interface PingMessage {
  readonly type: 'ping';
}

export type ClientMessage =
  | JoinGroupMessage
  | LeaveGroupMessage
  | SendToGroupMessage
  | EventMessage
  | SequenceAckMessage
  | PingMessage;

/** The requests that may carry an `ackId` and are answered with an `ack`. */
export type AckableMessage = JoinGroupMessage | LeaveGroupMessage | SendToGroupMessage | EventMessage;

export type AckErrorName = 'Forbidden' | 'InternalServerError' | 'Duplicate' | 'BadRequest';

export interface AckMessage {
  readonly type: 'ack';
  readonly ackId: number;
  readonly success: boolean;
  readonly error?: { readonly name: AckErrorName; readonly message: string };
}

export interface ConnectedMessage {
  readonly type: 'system';
  readonly event: 'connected';
  readonly userId: string | null;
  readonly connectionId: string;
  /** Reliable subprotocols only. */
  readonly reconnectionToken?: string;
}

export interface DisconnectedMessage {
  readonly type: 'system';
  readonly event: 'disconnected';
  readonly message: string;
}

export interface PongMessage {
  readonly type: 'pong';
}

/** Server messages other than data (`type: "message"`), which the hub encodes once per fan-out. */
export type ControlMessage = AckMessage | ConnectedMessage | DisconnectedMessage | PongMessage;

/** The `Duplicate` ack text the service uses. */
export function duplicateAckMessage(ackId: number): string {
  return `Message with ack-id: ${ackId} has been processed`;
}
