/**
 * How a session speaks its subprotocol: decoding client frames into messages and encoding server
 * messages. Sessions only see this interface; JSON and protobuf are two implementations of it, so
 * acks, de-duplication, sequence ids, recovery and replay are the same code for both.
 */
import type { FrameEncoder } from '../hub/outgoing.js';
import { CloseCode } from '../protocol/closeCodes.js';
import {
  JSON_PONG_FRAME,
  encodeJsonControlMessage,
  encodeJsonDataMessage,
  parseJsonClientMessage,
  sequencedJsonFrame,
} from '../protocol/json.js';
import type { ClientMessage, ControlMessage } from '../protocol/messages.js';
import { parseProtobufClientMessage } from '../protocol/protobufClientMessages.js';
import {
  PROTOBUF_PONG_FRAME,
  encodeProtobufControlMessage,
  encodeProtobufDataMessage,
  sequencedProtobufFrame,
} from '../protocol/protobufServerMessages.js';
import { Subprotocol } from '../protocol/subprotocols.js';

/** One WebSocket message: a buffer, or fragments sent back to back (never copied together). */
export type EncodedFrame = Buffer | readonly Buffer[];

export type DecodeResult =
  | { readonly ok: true; readonly message: ClientMessage }
  | { readonly ok: false; readonly code: number; readonly reason: string };

export interface Codec {
  readonly subprotocol: string;
  readonly reliable: boolean;
  /** Whether frames go out as binary (protobuf) or text (JSON). */
  readonly binary: boolean;
  decode(data: Buffer, isBinary: boolean): DecodeResult;
  encodeControl(message: ControlMessage): Buffer;
  readonly pong: Buffer;
  /** Encodes a data message once per fan-out for every session of this codec family. */
  readonly dataEncoder: FrameEncoder<Buffer>;
  /** A data frame carrying `sequenceId` (reliable codecs). */
  sequenced(frame: Buffer, sequenceId: number): EncodedFrame;
}

/** Cache slots of `OutgoingMessage`: one per wire encoding. */
const JSON_DATA_SLOT = 0;
const PROTOBUF_DATA_SLOT = 1;

const jsonDataEncoder: FrameEncoder<Buffer> = { slot: JSON_DATA_SLOT, encode: encodeJsonDataMessage };
const protobufDataEncoder: FrameEncoder<Buffer> = { slot: PROTOBUF_DATA_SLOT, encode: encodeProtobufDataMessage };

function decodeJson(data: Buffer, isBinary: boolean): DecodeResult {
  if (isBinary) return { ok: false, code: CloseCode.UnsupportedData, reason: 'Binary frames are not supported by JSON subprotocols.' };
  const parsed = parseJsonClientMessage(data.toString('utf8'));
  return parsed.ok ? parsed : { ok: false, code: CloseCode.InvalidPayload, reason: parsed.reason };
}

function jsonCodec(subprotocol: string, reliable: boolean): Codec {
  return {
    subprotocol,
    reliable,
    binary: false,
    decode: decodeJson,
    encodeControl: encodeJsonControlMessage,
    pong: JSON_PONG_FRAME,
    dataEncoder: jsonDataEncoder,
    sequenced: sequencedJsonFrame,
  };
}

function decodeProtobuf(data: Buffer, isBinary: boolean): DecodeResult {
  if (!isBinary) return { ok: false, code: CloseCode.UnsupportedData, reason: 'Text frames are not supported by protobuf subprotocols.' };
  const parsed = parseProtobufClientMessage(data);
  return parsed.ok ? parsed : { ok: false, code: CloseCode.InvalidPayload, reason: parsed.reason };
}

function protobufCodec(subprotocol: string, reliable: boolean): Codec {
  return {
    subprotocol,
    reliable,
    binary: true,
    decode: decodeProtobuf,
    encodeControl: encodeProtobufControlMessage,
    pong: PROTOBUF_PONG_FRAME,
    dataEncoder: protobufDataEncoder,
    sequenced: sequencedProtobufFrame,
  };
}

const CODECS: ReadonlyMap<string, Codec> = new Map([
  [Subprotocol.Json, jsonCodec(Subprotocol.Json, false)],
  [Subprotocol.JsonReliable, jsonCodec(Subprotocol.JsonReliable, true)],
  [Subprotocol.Protobuf, protobufCodec(Subprotocol.Protobuf, false)],
  [Subprotocol.ProtobufReliable, protobufCodec(Subprotocol.ProtobufReliable, true)],
]);

/** The codec of a subprotocol; undefined means the client is a raw WebSocket client. */
export function codecFor(subprotocol: string | undefined): Codec | undefined {
  return subprotocol === undefined ? undefined : CODECS.get(subprotocol);
}

export function frameLength(frame: EncodedFrame): number {
  if (Buffer.isBuffer(frame)) return frame.length;
  let length = 0;
  for (const fragment of frame) length += fragment.length;
  return length;
}
