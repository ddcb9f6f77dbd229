/**
 * The Web PubSub protobuf messages for tests, written from the `.proto` description
 * (`webpubsub.client.proto`: UpstreamMessage, DownstreamMessage, MessageData, google.protobuf.Any)
 * and deliberately sharing no code with the emulator: a table of field numbers and types drives
 * one generic encoder and one generic decoder, with varints as bigints. Objects use the proto's
 * own field names; a oneof is whichever of its fields is set.
 */

type Scalar = 'string' | 'bytes' | 'uint64' | 'uint32' | 'bool';
interface Field {
  readonly name: string;
  readonly no: number;
  readonly type: Scalar | 'map' | Schema;
}
type Schema = readonly Field[];

const ANY: Schema = [
  { name: 'type_url', no: 1, type: 'string' },
  { name: 'value', no: 2, type: 'bytes' },
];
const MESSAGE_DATA: Schema = [
  { name: 'text_data', no: 1, type: 'string' },
  { name: 'binary_data', no: 2, type: 'bytes' },
  { name: 'protobuf_data', no: 3, type: ANY },
  { name: 'json_data', no: 4, type: 'string' },
];
const STREAM_START: Schema = [
  { name: 'stream_id', no: 1, type: 'string' },
  { name: 'idle_timeout_ms', no: 2, type: 'uint32' },
];
const GROUP_REQUEST: Schema = [
  { name: 'group', no: 1, type: 'string' },
  { name: 'ack_id', no: 2, type: 'uint64' },
];
const UPSTREAM: Schema = [
  {
    name: 'send_to_group_message',
    no: 1,
    type: [
      { name: 'group', no: 1, type: 'string' },
      { name: 'ack_id', no: 2, type: 'uint64' },
      { name: 'data', no: 3, type: MESSAGE_DATA },
      { name: 'no_echo', no: 4, type: 'bool' },
      { name: 'ttl_seconds', no: 5, type: 'uint32' },
      { name: 'metadata', no: 6, type: 'map' },
      { name: 'stream', no: 7, type: STREAM_START },
    ],
  },
  {
    name: 'event_message',
    no: 5,
    type: [
      { name: 'event', no: 1, type: 'string' },
      { name: 'data', no: 2, type: MESSAGE_DATA },
      { name: 'ack_id', no: 3, type: 'uint64' },
      { name: 'metadata', no: 4, type: 'map' },
      { name: 'stream', no: 5, type: STREAM_START },
    ],
  },
  { name: 'join_group_message', no: 6, type: GROUP_REQUEST },
  { name: 'leave_group_message', no: 7, type: GROUP_REQUEST },
  { name: 'sequence_ack_message', no: 8, type: [{ name: 'sequence_id', no: 1, type: 'uint64' }] },
  { name: 'ping_message', no: 9, type: [] },
  {
    name: 'invoke_event_message',
    no: 10,
    type: [
      { name: 'event', no: 1, type: 'string' },
      { name: 'invocation_id', no: 2, type: 'string' },
    ],
  },
];
const DOWNSTREAM: Schema = [
  {
    name: 'ack_message',
    no: 1,
    type: [
      { name: 'ack_id', no: 1, type: 'uint64' },
      { name: 'success', no: 2, type: 'bool' },
      {
        name: 'error',
        no: 3,
        type: [
          { name: 'name', no: 1, type: 'string' },
          { name: 'message', no: 2, type: 'string' },
        ],
      },
    ],
  },
  {
    name: 'data_message',
    no: 2,
    type: [
      { name: 'from', no: 1, type: 'string' },
      { name: 'group', no: 2, type: 'string' },
      { name: 'data', no: 3, type: MESSAGE_DATA },
      { name: 'sequence_id', no: 4, type: 'uint64' },
      { name: 'metadata', no: 5, type: 'map' },
    ],
  },
  {
    name: 'system_message',
    no: 3,
    type: [
      {
        name: 'connected_message',
        no: 1,
        type: [
          { name: 'connection_id', no: 1, type: 'string' },
          { name: 'user_id', no: 2, type: 'string' },
          { name: 'reconnection_token', no: 3, type: 'string' },
        ],
      },
      { name: 'disconnected_message', no: 2, type: [{ name: 'reason', no: 2, type: 'string' }] },
    ],
  },
  { name: 'pong_message', no: 4, type: [] },
];

/** A decoded or to-be-encoded message: proto field names; uint64 as number; bytes as Buffer. */
export type ProtoObject = { [field: string]: ProtoValue };
export type ProtoValue = string | number | bigint | boolean | Buffer | ProtoObject | Record<string, string> | undefined;

function varint(value: bigint): Buffer {
  const out: number[] = [];
  let rest = value;
  do {
    let byte = Number(rest & 0x7fn);
    rest >>= 7n;
    if (rest > 0n) byte |= 0x80;
    out.push(byte);
  } while (rest > 0n);
  return Buffer.from(out);
}

function key(no: number, wireType: number): Buffer {
  return varint(BigInt((no << 3) | wireType));
}

function delimited(no: number, body: Buffer): Buffer {
  return Buffer.concat([key(no, 2), varint(BigInt(body.length)), body]);
}

function encodeWith(schema: Schema, object: ProtoObject): Buffer {
  const out: Buffer[] = [];
  for (const field of schema) {
    const value = object[field.name];
    if (value === undefined) continue;
    if (field.type === 'string') out.push(delimited(field.no, Buffer.from(value as string, 'utf8')));
    else if (field.type === 'bytes') out.push(delimited(field.no, value as Buffer));
    else if (field.type === 'uint64' || field.type === 'uint32') out.push(key(field.no, 0), varint(BigInt(value as number | bigint)));
    else if (field.type === 'bool') out.push(key(field.no, 0), varint(value === true ? 1n : 0n));
    else if (field.type === 'map') {
      for (const [name, entry] of Object.entries(value as Record<string, string>)) {
        out.push(delimited(field.no, Buffer.concat([delimited(1, Buffer.from(name)), delimited(2, Buffer.from(entry))])));
      }
    } else out.push(delimited(field.no, encodeWith(field.type, value as ProtoObject)));
  }
  return Buffer.concat(out);
}

function decodeWith(schema: Schema, bytes: Buffer): ProtoObject {
  const object: ProtoObject = {};
  let at = 0;
  const readVarint = (): bigint => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      if (at >= bytes.length) throw new Error('truncated varint');
      const byte = bytes[at++]!;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
  };
  while (at < bytes.length) {
    const tag = readVarint();
    const no = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    let raw: bigint | Buffer;
    if (wireType === 0) raw = readVarint();
    else if (wireType === 2) {
      const length = Number(readVarint());
      if (at + length > bytes.length) throw new Error('truncated field');
      raw = bytes.subarray(at, at + length);
      at += length;
    } else if (wireType === 1 || wireType === 5) {
      at += wireType === 1 ? 8 : 4;
      continue;
    } else throw new Error(`wire type ${wireType}`);
    const field = schema.find((candidate) => candidate.no === no);
    if (field === undefined) continue;
    if (field.type === 'string') object[field.name] = (raw as Buffer).toString('utf8');
    else if (field.type === 'bytes') object[field.name] = Buffer.from(raw as Buffer);
    else if (field.type === 'uint64' || field.type === 'uint32') object[field.name] = Number(raw);
    else if (field.type === 'bool') object[field.name] = (raw as bigint) !== 0n;
    else if (field.type === 'map') {
      const entry = decodeWith([{ name: 'key', no: 1, type: 'string' }, { name: 'value', no: 2, type: 'string' }], raw as Buffer);
      const map = (object[field.name] ??= {}) as Record<string, string>;
      map[(entry.key as string | undefined) ?? ''] = (entry.value as string | undefined) ?? '';
    } else object[field.name] = decodeWith(field.type, raw as Buffer);
  }
  return object;
}

export function encodeUpstream(message: ProtoObject): Buffer {
  return encodeWith(UPSTREAM, message);
}

export function decodeDownstream(bytes: Buffer): ProtoObject {
  return decodeWith(DOWNSTREAM, bytes);
}

/** A `google.protobuf.Any` as its bytes. */
export function encodeAny(typeUrl: string, value: Buffer): Buffer {
  return encodeWith(ANY, { type_url: typeUrl, value });
}

/** Low-level pieces for hand-made (and deliberately broken) frames. */
export const wire = { varint: (value: number | bigint): Buffer => varint(BigInt(value)), key, delimited };
