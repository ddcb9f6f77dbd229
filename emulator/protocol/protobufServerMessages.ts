/**
 * Server messages of the protobuf subprotocols: `DownstreamMessage` frames (acks, system
 * messages, pongs per connection; data messages once per fan-out, with the sequence id added per
 * recipient on reliable connections). Field numbers follow the service's `webpubsub.client.proto`.
 * JSON clients receive an Any as base64 with `dataType: "protobuf"` (see json.ts); here it stays
 * an Any.
 */
import { isUtf8 } from 'node:buffer';
import type { OutboundMessage, Payload } from '../hub/types.js';
import { FRAGMENT_THRESHOLD_BYTES } from './json.js';
import type { ControlMessage } from './messages.js';
import { MessageDataField as Data, isProtobufAny } from './protobufData.js';
import { WireType, WireWriter, lengthPrefix, varintSize, writeVarint } from './protobufWire.js';

/** `DownstreamMessage.message` members. */
const Downstream = { Ack: 1, Data: 2, System: 3, Pong: 4 } as const;

/** `DataMessage.sequence_id`, appended per recipient by `sequencedProtobufFrame`. */
const SEQUENCE_ID_KEY = 4 * 8 + WireType.Varint;
const DATA_MESSAGE_KEY = Downstream.Data * 8 + WireType.LengthDelimited;

/** Acks, system messages and pongs: per connection and small, built field by field. */
export function encodeProtobufControlMessage(message: ControlMessage): Buffer {
  const downstream = new WireWriter();
  switch (message.type) {
    case 'ack': {
      const ack = new WireWriter();
      if (message.ackId !== 0) ack.varint(1, message.ackId);
      if (message.success) ack.bool(2, true);
      if (message.error !== undefined) ack.message(3, new WireWriter().string(1, message.error.name).string(2, message.error.message));
      return downstream.message(Downstream.Ack, ack).finish();
    }
    case 'system': {
      const system = new WireWriter();
      if (message.event === 'connected') {
        const connected = new WireWriter().string(1, message.connectionId);
        // proto3 has no null: an anonymous connection has an empty user id, left out like any default.
        if (message.userId !== null && message.userId !== '') connected.string(2, message.userId);
        if (message.reconnectionToken !== undefined) connected.string(3, message.reconnectionToken);
        system.message(1, connected);
      } else {
        system.message(2, new WireWriter().string(2, message.message));
      }
      return downstream.message(Downstream.System, system).finish();
    }
    case 'pong':
      return downstream.message(Downstream.Pong, new WireWriter()).finish();
  }
}

export const PROTOBUF_PONG_FRAME: Buffer = encodeProtobufControlMessage({ type: 'pong' });

/**
 * A `DownstreamMessage` with a `DataMessage` (no sequence id), once per fan-out. Protobuf has no
 * `fromUserId`. Text and JSON that are not valid UTF-8 (they never should be) are re-encoded so
 * the string fields stay valid; a protobuf payload that is not an Any goes out as binary data.
 */
export function encodeProtobufDataMessage(message: OutboundMessage): Buffer {
  const data = new WireWriter().string(1, message.from);
  if (message.group !== undefined) data.string(2, message.group);
  data.message(3, messageData(message));
  if (message.metadata !== undefined) {
    for (const [name, value] of Object.entries(message.metadata)) data.message(5, new WireWriter().string(1, name).string(2, value));
  }
  return new WireWriter().message(Downstream.Data, data).finish();
}

function messageData({ dataType, data }: Payload): WireWriter {
  switch (dataType) {
    case 'text':
      return new WireWriter().bytes(Data.Text, utf8(data));
    case 'json':
      return new WireWriter().bytes(Data.Json, utf8(data));
    case 'protobuf':
      return new WireWriter().bytes(isProtobufAny(data) ? Data.Protobuf : Data.Binary, data);
    case 'binary':
      return new WireWriter().bytes(Data.Binary, data);
  }
}

function utf8(data: Buffer): Buffer {
  return isUtf8(data) ? data : Buffer.from(data.toString('utf8'), 'utf8');
}

/**
 * The reliable form of a data frame: `sequence_id` appended to the `DataMessage` (field order
 * does not matter in protobuf), whose length prefix grows accordingly. Small frames are copied
 * into one buffer; large ones go out as three fragments of one WebSocket message so the shared
 * body is never copied per recipient.
 */
export function sequencedProtobufFrame(frame: Buffer, sequenceId: number): Buffer | readonly Buffer[] {
  // The frame is this module's own encoding: key 0x12, a minimal varint length, the body.
  let length = 0;
  let scale = 1;
  let offset = 1;
  for (;;) {
    const byte = frame[offset++] as number;
    length += (byte & 0x7f) * scale;
    if (byte < 0x80) break;
    scale *= 128;
  }
  const suffixLength = 1 + varintSize(sequenceId);
  const newLength = length + suffixLength;
  if (frame.length > FRAGMENT_THRESHOLD_BYTES) {
    const suffix = Buffer.allocUnsafe(suffixLength);
    suffix[0] = SEQUENCE_ID_KEY;
    writeVarint(suffix, 1, sequenceId);
    return [lengthPrefix(Downstream.Data, newLength), frame.subarray(offset), suffix];
  }
  const sequenced = Buffer.allocUnsafe(1 + varintSize(newLength) + newLength);
  sequenced[0] = DATA_MESSAGE_KEY;
  let at = writeVarint(sequenced, 1, newLength);
  at += frame.copy(sequenced, at, offset);
  sequenced[at++] = SEQUENCE_ID_KEY;
  writeVarint(sequenced, at, sequenceId);
  return sequenced;
}
