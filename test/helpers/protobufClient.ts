/**
 * A raw `ws` client speaking a protobuf subprotocol through the test-side message codec: what the
 * server sends is decoded as `DownstreamMessage`, what the test sends is encoded as `UpstreamMessage`.
 */
import { decodeDownstream, encodeUpstream, type ProtoObject } from './protobufMessages.js';
import { openRawClient, type Closed, type RawClient } from './rawClient.js';

export const PROTOBUF = 'protobuf.webpubsub.azure.v1';
export const PROTOBUF_RELIABLE = 'protobuf.reliable.webpubsub.azure.v1';

export interface ProtobufClient {
  readonly raw: RawClient;
  readonly protocol: string;
  /** Every binary frame received so far, decoded. */
  messages(): ProtoObject[];
  /** The first decoded message (received or future) matching `predicate`. */
  next(predicate: (message: ProtoObject) => boolean, what: string, ms?: number): Promise<ProtoObject>;
  send(message: ProtoObject): void;
  /** Sends bytes (or text) as they are, for malformed-frame tests. */
  sendRaw(frame: Buffer | string): void;
  readonly closed: Promise<Closed>;
  close(code?: number): Promise<Closed>;
}

export async function openProtobufClient(url: string, protocols: string | string[] = PROTOBUF): Promise<ProtobufClient> {
  const raw = await openRawClient(url, { protocols });
  return {
    raw,
    protocol: raw.protocol,
    messages: () => raw.frames.received.filter((frame) => frame.binary).map((frame) => decodeDownstream(frame.data)),
    next: async (predicate, what, ms) => decodeDownstream((await raw.frames.next((frame) => frame.binary && predicate(decodeDownstream(frame.data)), what, ms)).data),
    send: (message) => {
      raw.ws.send(encodeUpstream(message));
    },
    sendRaw: (frame) => {
      raw.ws.send(frame);
    },
    closed: raw.closed,
    close: (code) => raw.close(code),
  };
}

/** Predicates over decoded downstream messages. */
export const is = {
  connected: (message: ProtoObject): boolean => (message.system_message as ProtoObject | undefined)?.connected_message !== undefined,
  disconnected: (message: ProtoObject): boolean => (message.system_message as ProtoObject | undefined)?.disconnected_message !== undefined,
  pong: (message: ProtoObject): boolean => message.pong_message !== undefined,
  ack: (ackId: number) => (message: ProtoObject): boolean => (message.ack_message as ProtoObject | undefined)?.ack_id === ackId,
  data: (predicate: (data: ProtoObject) => boolean = () => true) => (message: ProtoObject): boolean =>
    message.data_message !== undefined && predicate(message.data_message as ProtoObject),
};
