/**
 * The JSON subprotocols on the wire (`json.webpubsub.azure.v1`, `json.reliable.webpubsub.azure.v1`):
 * incoming text frames validated into typed messages, and server messages written out.
 *
 * A frame that does not match the message schema is a protocol violation (the connection is
 * closed with 1007); a well-formed request whose values the service refuses (a group name that is
 * too long, an unknown event name) is answered with a `BadRequest` ack by the session instead.
 */
import type { OutboundMessage } from '../hub/types.js';
import type { ClientMessage, ControlMessage, DataType, Metadata } from './messages.js';
import { readMetadata } from './metadata.js';
import { isProtobufAny } from './protobufData.js';

export type ParseResult = { readonly ok: true; readonly message: ClientMessage } | { readonly ok: false; readonly reason: string };

const DATA_TYPES: readonly DataType[] = ['json', 'text', 'binary', 'protobuf'];
export const MAX_TTL_SECONDS = 300;

class Violation extends Error {}

function fail(reason: string): never {
  throw new Violation(reason);
}

export function parseJsonClientMessage(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'The message is not valid JSON.' };
  }
  try {
    return { ok: true, message: toClientMessage(value) };
  } catch (error) {
    if (error instanceof Violation) return { ok: false, reason: error.message };
    throw error;
  }
}

function toClientMessage(value: unknown): ClientMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('The message must be a JSON object.');
  const frame = value as Record<string, unknown>;
  const type = frame.type;
  if (typeof type !== 'string') fail("The message has no string 'type'.");
  switch (type) {
    case 'joinGroup':
    case 'leaveGroup':
      return { type, group: requiredString(frame, 'group'), ...ackIdOf(frame) };
    case 'sendToGroup': {
      const ttlSeconds = frame.ttlSeconds;
      if (ttlSeconds !== undefined && !(Number.isInteger(ttlSeconds) && (ttlSeconds as number) >= 0 && (ttlSeconds as number) <= MAX_TTL_SECONDS)) {
        fail(`'ttlSeconds' must be an integer from 0 to ${MAX_TTL_SECONDS}.`);
      }
      const noEcho = frame.noEcho;
      if (noEcho !== undefined && typeof noEcho !== 'boolean') fail("'noEcho' must be a boolean.");
      return {
        type,
        group: requiredString(frame, 'group'),
        ...ackIdOf(frame),
        noEcho: noEcho === true,
        ...dataOf(frame),
        ...metadataOf(frame),
        ...(ttlSeconds === undefined ? {} : { ttlSeconds: ttlSeconds as number }),
      };
    }
    case 'event':
      return { type, event: requiredString(frame, 'event'), ...ackIdOf(frame), ...dataOf(frame), ...metadataOf(frame) };
    case 'sequenceAck': {
      const sequenceId = frame.sequenceId;
      if (!isUnsignedInteger(sequenceId)) fail("'sequenceId' must be a non-negative integer.");
      return { type, sequenceId };
    }
    case 'ping':
      return { type };
    default:
      return fail(`The message type '${type.slice(0, 64)}' is not supported.`);
  }
}

function requiredString(frame: Record<string, unknown>, name: string): string {
  const value = frame[name];
  if (typeof value !== 'string') fail(`'${name}' must be a string.`);
  return value;
}

function ackIdOf(frame: Record<string, unknown>): { ackId?: number } {
  const ackId = frame.ackId;
  if (ackId === undefined) return {};
  if (!isUnsignedInteger(ackId)) fail("'ackId' must be a non-negative integer.");
  return { ackId };
}

/** uint64 on the wire; JSON numbers are exact only up to 2^53, so larger ones are refused. */
function isUnsignedInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function dataOf(frame: Record<string, unknown>): { dataType: DataType; data: Buffer } {
  const rawType = frame.dataType ?? 'json';
  if (typeof rawType !== 'string' || !DATA_TYPES.includes(rawType as DataType)) fail("'dataType' must be one of json, text, binary, protobuf.");
  const dataType = rawType as DataType;
  if (!('data' in frame)) fail("The message has no 'data'.");
  const data = frame.data;
  switch (dataType) {
    case 'json':
      return { dataType, data: Buffer.from(JSON.stringify(data), 'utf8') };
    case 'text':
      if (typeof data !== 'string') fail("'data' must be a string when 'dataType' is text.");
      return { dataType, data: Buffer.from(data, 'utf8') };
    default: {
      if (typeof data !== 'string' || !isBase64(data)) fail(`'data' must be base64 when 'dataType' is ${dataType}.`);
      const bytes = Buffer.from(data, 'base64');
      // Protobuf clients receive it as a google.protobuf.Any field: it must be one.
      if (dataType === 'protobuf' && !isProtobufAny(bytes)) fail("'data' must be a base64 google.protobuf.Any when 'dataType' is protobuf.");
      return { dataType, data: bytes };
    }
  }
}

/** Strict (padded) base64; `Buffer.from` alone would silently skip invalid characters. */
export function isBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  let padding = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x3d) {
      padding++;
      if (i < text.length - 2) return false;
      continue;
    }
    if (padding > 0) return false;
    const isAlphanumeric = (code >= 0x30 && code <= 0x39) || (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
    if (!isAlphanumeric && code !== 0x2b && code !== 0x2f) return false;
  }
  return true;
}

function metadataOf(frame: Record<string, unknown>): { metadata?: Metadata } {
  const value = frame.metadata;
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail("'metadata' must be an object of strings.");
  const read = readMetadata(Object.entries(value));
  if ('problem' in read) fail(read.problem);
  return read;
}

/** Control messages are per connection and small; plain `JSON.stringify` is the clearest writer. */
export function encodeJsonControlMessage(message: ControlMessage): Buffer {
  return Buffer.from(JSON.stringify(message), 'utf8');
}

export const JSON_PONG_FRAME: Buffer = encodeJsonControlMessage({ type: 'pong' });

/**
 * A complete `{"type":"message",...}` frame. JSON data is spliced in as bytes without re-parsing
 * the whole message; data that is not valid JSON (it never should be) is sent as text so the frame
 * stays parseable.
 */
export function encodeJsonDataMessage(message: OutboundMessage): Buffer {
  let dataType = message.dataType;
  let dataJson: Buffer | string;
  if (dataType === 'json') {
    const text = message.data.toString('utf8');
    if (isJson(text)) {
      dataJson = message.data;
    } else {
      dataType = 'text';
      dataJson = JSON.stringify(text);
    }
  } else if (dataType === 'text') {
    dataJson = JSON.stringify(message.data.toString('utf8'));
  } else {
    dataJson = `"${message.data.toString('base64')}"`;
  }
  let head = message.from === 'group' ? '{"type":"message","from":"group"' : '{"type":"message","from":"server"';
  if (message.group !== undefined) head += `,"group":${JSON.stringify(message.group)}`;
  if (message.from === 'group') head += `,"fromUserId":${message.fromUserId == null ? 'null' : JSON.stringify(message.fromUserId)}`;
  head += `,"dataType":"${dataType}","data":`;
  const tail = message.metadata === undefined ? '}' : `,"metadata":${JSON.stringify(message.metadata)}}`;
  if (typeof dataJson === 'string') return Buffer.from(head + dataJson + tail, 'utf8');
  const headBytes = Buffer.from(head, 'utf8');
  const frame = Buffer.allocUnsafe(headBytes.length + dataJson.length + Buffer.byteLength(tail));
  headBytes.copy(frame, 0);
  dataJson.copy(frame, headBytes.length);
  frame.write(tail, headBytes.length + dataJson.length, 'utf8');
  return frame;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The reliable form of a data frame: the same bytes with `,"sequenceId":N` before the closing
 * brace. Small frames are copied into one buffer; large ones are sent as two fragments of one
 * WebSocket message so the shared payload is never copied per recipient.
 */
export const FRAGMENT_THRESHOLD_BYTES = 16 * 1024;

export function sequencedJsonFrame(frame: Buffer, sequenceId: number): Buffer | readonly [Buffer, Buffer] {
  const suffix = `,"sequenceId":${sequenceId}}`;
  const bodyLength = frame.length - 1;
  if (frame.length > FRAGMENT_THRESHOLD_BYTES) return [frame.subarray(0, bodyLength), Buffer.from(suffix, 'latin1')];
  const sequenced = Buffer.allocUnsafe(bodyLength + suffix.length);
  frame.copy(sequenced, 0, 0, bodyLength);
  sequenced.write(suffix, bodyLength, 'latin1');
  return sequenced;
}
