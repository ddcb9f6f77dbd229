/**
 * Client messages of the protobuf subprotocols (`protobuf.webpubsub.azure.v1`,
 * `protobuf.reliable.webpubsub.azure.v1`): binary frames holding an `UpstreamMessage`, read into
 * the same typed messages the JSON codec produces. Field numbers follow the service's
 * `webpubsub.client.proto` (section 1.7 of the protocol notes).
 *
 * As with JSON, bytes that do not form a valid message, requests the emulator does not support
 * (invocations, streams, group state) and out-of-range values are protocol violations (the
 * connection is closed with 1007), while a well-formed request with a refused group or event name
 * gets a `BadRequest` ack from the session. Unknown fields are skipped, as protobuf readers do.
 * A `protobuf_data` payload is kept as the bytes of its `google.protobuf.Any`.
 */
import { isUtf8 } from 'node:buffer';
import type { Payload } from '../hub/types.js';
import { MAX_TTL_SECONDS, type ParseResult } from './json.js';
import type { ClientMessage, Metadata } from './messages.js';
import { readMetadata } from './metadata.js';
import { MessageDataField as Data, isProtobufAny } from './protobufData.js';
import { WireError, WireReader, WireType, expectWireType, fieldOf, wireTypeOf } from './protobufWire.js';

/** `UpstreamMessage.message` members. */
const Upstream = {
  SendToGroup: 1,
  Event: 5,
  JoinGroup: 6,
  LeaveGroup: 7,
  SequenceAck: 8,
  Ping: 9,
} as const;

/** Newer members of the oneof (invoke, cancel invocation, stream data/end, group state): recognised, refused. */
const UNSUPPORTED_REQUESTS: ReadonlySet<number> = new Set([10, 11, 13, 14, 15, 16, 17]);
const REQUESTS: ReadonlySet<number> = new Set([...Object.values(Upstream), ...UNSUPPORTED_REQUESTS]);

const EMPTY = Buffer.alloc(0);

function fail(reason: string): never {
  throw new WireError(reason);
}

export function parseProtobufClientMessage(frame: Buffer): ParseResult {
  try {
    return { ok: true, message: readUpstream(frame) };
  } catch (error) {
    if (error instanceof WireError) return { ok: false, reason: error.message };
    throw error;
  }
}

/**
 * Occurrences of one embedded message field. Protobuf merges repeated occurrences of a singular
 * message, and the concatenation of two encodings is the encoding of their merge.
 */
class MessageField {
  field = 0;
  private parts: Buffer[] = [];

  /** Adds an occurrence of `field`; another member of the same oneof replaces what was there. */
  add(field: number, body: Buffer): void {
    if (field !== this.field) {
      this.field = field;
      this.parts = [];
    }
    this.parts.push(body);
  }

  /** An occurrence of a string or bytes member: it replaces whatever came before. */
  set(field: number, body: Buffer): void {
    this.field = field;
    this.parts = [body];
  }

  get present(): boolean {
    return this.field !== 0;
  }

  bytes(): Buffer {
    return this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts);
  }
}

function readUpstream(frame: Buffer): ClientMessage {
  const reader = new WireReader(frame);
  const request = new MessageField();
  while (!reader.done) {
    const key = reader.key();
    const field = fieldOf(key);
    if (!REQUESTS.has(field)) {
      reader.skip(wireTypeOf(key));
      continue;
    }
    expectWireType(key, WireType.LengthDelimited);
    request.add(field, reader.lengthDelimited());
  }
  if (!request.present) fail('The message holds no request.');
  const body = request.bytes();
  switch (request.field) {
    case Upstream.SendToGroup:
      return readSendToGroup(body);
    case Upstream.Event:
      return readEvent(body);
    case Upstream.JoinGroup:
      return { type: 'joinGroup', ...readGroupRequest(body) };
    case Upstream.LeaveGroup:
      return { type: 'leaveGroup', ...readGroupRequest(body) };
    case Upstream.SequenceAck:
      return readSequenceAck(body);
    case Upstream.Ping:
      skipAll(body);
      return { type: 'ping' };
    default:
      return fail(`Request ${request.field} (invocations, streams and group state) is not supported.`);
  }
}

function readSendToGroup(body: Buffer): ClientMessage {
  const reader = new WireReader(body);
  let group = '';
  let ackId: number | undefined;
  let noEcho = false;
  let ttlSeconds: number | undefined;
  const data = new MessageField();
  const metadata: [string, string][] = [];
  while (!reader.done) {
    const key = reader.key();
    switch (fieldOf(key)) {
      case 1:
        expectWireType(key, WireType.LengthDelimited);
        group = reader.string();
        break;
      case 2:
        ackId = readUnsigned(reader, key, 'ack_id');
        break;
      case 3:
        expectWireType(key, WireType.LengthDelimited);
        data.add(3, reader.lengthDelimited());
        break;
      case 4:
        expectWireType(key, WireType.Varint);
        noEcho = reader.varint() !== 0;
        break;
      case 5:
        expectWireType(key, WireType.Varint);
        ttlSeconds = reader.varint();
        break;
      case 6:
        expectWireType(key, WireType.LengthDelimited);
        metadata.push(readMapEntry(reader.lengthDelimited()));
        break;
      case 7:
        return fail('Streaming is not supported.');
      default:
        reader.skip(wireTypeOf(key));
    }
  }
  if (ttlSeconds !== undefined && ttlSeconds > MAX_TTL_SECONDS) fail(`'ttl_seconds' must be from 0 to ${MAX_TTL_SECONDS}.`);
  return {
    type: 'sendToGroup',
    group,
    ...(ackId === undefined ? {} : { ackId }),
    noEcho,
    ...readPayload(data, metadata),
    ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
  };
}

function readEvent(body: Buffer): ClientMessage {
  const reader = new WireReader(body);
  let event = '';
  let ackId: number | undefined;
  const data = new MessageField();
  const metadata: [string, string][] = [];
  while (!reader.done) {
    const key = reader.key();
    switch (fieldOf(key)) {
      case 1:
        expectWireType(key, WireType.LengthDelimited);
        event = reader.string();
        break;
      case 2:
        expectWireType(key, WireType.LengthDelimited);
        data.add(2, reader.lengthDelimited());
        break;
      case 3:
        ackId = readUnsigned(reader, key, 'ack_id');
        break;
      case 4:
        expectWireType(key, WireType.LengthDelimited);
        metadata.push(readMapEntry(reader.lengthDelimited()));
        break;
      case 5:
        return fail('Streaming is not supported.');
      default:
        reader.skip(wireTypeOf(key));
    }
  }
  return { type: 'event', event, ...(ackId === undefined ? {} : { ackId }), ...readPayload(data, metadata) };
}

function readGroupRequest(body: Buffer): { group: string; ackId?: number } {
  const reader = new WireReader(body);
  let group = '';
  let ackId: number | undefined;
  while (!reader.done) {
    const key = reader.key();
    const field = fieldOf(key);
    if (field === 1) {
      expectWireType(key, WireType.LengthDelimited);
      group = reader.string();
    } else if (field === 2) {
      ackId = readUnsigned(reader, key, 'ack_id');
    } else {
      reader.skip(wireTypeOf(key));
    }
  }
  return ackId === undefined ? { group } : { group, ackId };
}

function readSequenceAck(body: Buffer): ClientMessage {
  const reader = new WireReader(body);
  let sequenceId = 0;
  while (!reader.done) {
    const key = reader.key();
    if (fieldOf(key) === 1) sequenceId = readUnsigned(reader, key, 'sequence_id');
    else reader.skip(wireTypeOf(key));
  }
  return { type: 'sequenceAck', sequenceId };
}

/** uint64 on the wire; the session keeps ids as numbers, exact only up to 2^53 - 1. */
function readUnsigned(reader: WireReader, key: number, name: string): number {
  expectWireType(key, WireType.Varint);
  const value = reader.varint();
  if (value > Number.MAX_SAFE_INTEGER) fail(`'${name}' must not exceed 2^53 - 1.`);
  return value;
}

/** A `map<string, string>` entry: key 1, value 2, both empty when absent. */
function readMapEntry(body: Buffer): [string, string] {
  const reader = new WireReader(body);
  let name = '';
  let value = '';
  while (!reader.done) {
    const key = reader.key();
    const field = fieldOf(key);
    if (field === 1 || field === 2) {
      expectWireType(key, WireType.LengthDelimited);
      if (field === 1) name = reader.string();
      else value = reader.string();
    } else {
      reader.skip(wireTypeOf(key));
    }
  }
  return [name, value];
}

function readPayload(data: MessageField, entries: readonly [string, string][]): Payload & { metadata?: Metadata } {
  let metadata: Metadata | undefined;
  if (entries.length > 0) {
    const read = readMetadata(entries);
    if ('problem' in read) fail(read.problem);
    metadata = read.metadata;
  }
  let payload: Payload;
  if (data.present) payload = readMessageData(data.bytes());
  // Metadata alone is a message with empty text, as the service's own emulator reads it.
  else if (metadata !== undefined) payload = { dataType: 'text', data: EMPTY };
  else fail('The request has no data (text_data, binary_data, protobuf_data or json_data).');
  return metadata === undefined ? payload : { ...payload, metadata };
}

function readMessageData(body: Buffer): Payload {
  const reader = new WireReader(body);
  const member = new MessageField();
  while (!reader.done) {
    const key = reader.key();
    const field = fieldOf(key);
    if (field >= Data.Text && field <= Data.Json) {
      expectWireType(key, WireType.LengthDelimited);
      const value = reader.lengthDelimited();
      // Strings and bytes: the last occurrence wins. An Any is a message: occurrences merge.
      if (field === Data.Protobuf) member.add(field, value);
      else member.set(field, value);
    } else {
      reader.skip(wireTypeOf(key));
    }
  }
  if (!member.present) fail('The data holds none of text_data, binary_data, protobuf_data or json_data.');
  const bytes = Buffer.from(member.bytes());
  switch (member.field) {
    case Data.Text:
      if (!isUtf8(bytes)) fail("'text_data' is not valid UTF-8.");
      return { dataType: 'text', data: bytes };
    case Data.Json:
      if (!isUtf8(bytes) || !isJson(bytes)) fail("'json_data' is not valid JSON text.");
      return { dataType: 'json', data: bytes };
    case Data.Protobuf:
      if (!isProtobufAny(bytes)) fail("'protobuf_data' is not a google.protobuf.Any.");
      return { dataType: 'protobuf', data: bytes };
    default:
      return { dataType: 'binary', data: bytes };
  }
}

function skipAll(body: Buffer): void {
  const reader = new WireReader(body);
  while (!reader.done) reader.skip(wireTypeOf(reader.key()));
}

function isJson(bytes: Buffer): boolean {
  try {
    JSON.parse(bytes.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
