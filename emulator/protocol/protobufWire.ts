/**
 * The protocol buffers wire format, as much of it as the Web PubSub messages use: varints,
 * length-delimited fields (strings, bytes, embedded messages, map entries) and skipping of
 * unknown fields. Hand-written because the messages are few and fixed, and a generated runtime
 * would be a dependency for a few hundred bytes of logic.
 *
 * Reading is strict: every length is checked against the bytes that remain, varints longer than
 * ten bytes or beyond 64 bits, field number 0, groups (wire types 3 and 4, unused by proto3) and
 * the undefined wire types 6 and 7 are errors, as is a string that is not UTF-8.
 */
import { isUtf8 } from 'node:buffer';

export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  Fixed32: 5,
} as const;

/** Bytes that are not a valid encoding of the expected message. */
export class WireError extends Error {}

const TWO_POW_32 = 2 ** 32;

/** A cursor over one encoded message; every read checks its bounds. */
export class WireReader {
  private readonly bytes: Buffer;
  private pos = 0;

  constructor(bytes: Buffer) {
    this.bytes = bytes;
  }

  get done(): boolean {
    return this.pos >= this.bytes.length;
  }

  /**
   * The next varint as a number. Values beyond 2^53 lose precision, which is fine: callers that
   * need exact integers (ack and sequence ids) refuse anything above `Number.MAX_SAFE_INTEGER`.
   */
  varint(): number {
    const { bytes } = this;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = bytes[this.pos];
      if (byte === undefined) throw new WireError('A varint is cut short.');
      this.pos++;
      // The tenth byte holds bit 63 only: anything more would not fit in 64 bits.
      if (i === 9 && byte > 1) throw new WireError('A varint exceeds 64 bits.');
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new WireError('A varint is longer than ten bytes.');
  }

  /** The next field's key; `fieldOf` and `wireTypeOf` take it apart. */
  key(): number {
    const key = this.varint();
    if (key >= TWO_POW_32 || fieldOf(key) === 0) throw new WireError('A field key is invalid.');
    return key;
  }

  /** A length-delimited value, as a view of the input (not a copy). */
  lengthDelimited(): Buffer {
    const length = this.varint();
    if (length > this.bytes.length - this.pos) throw new WireError('A length-delimited field runs past the end of the message.');
    const start = this.pos;
    this.pos += length;
    return this.bytes.subarray(start, this.pos);
  }

  string(): string {
    const bytes = this.lengthDelimited();
    if (!isUtf8(bytes)) throw new WireError('A string field is not valid UTF-8.');
    return bytes.toString('utf8');
  }

  /** Skips a field this reader does not know. */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.Fixed64:
        this.advance(8);
        return;
      case WireType.LengthDelimited:
        this.lengthDelimited();
        return;
      case WireType.Fixed32:
        this.advance(4);
        return;
      default:
        throw new WireError(`Wire type ${wireType} is not supported.`);
    }
  }

  private advance(count: number): void {
    if (count > this.bytes.length - this.pos) throw new WireError('A fixed-size field runs past the end of the message.');
    this.pos += count;
  }
}

export function fieldOf(key: number): number {
  return Math.floor(key / 8);
}

export function wireTypeOf(key: number): number {
  return key % 8;
}

/** Refuses a known field that arrives with another wire type than its declaration's. */
export function expectWireType(key: number, wireType: number): void {
  if (wireTypeOf(key) !== wireType) throw new WireError(`Field ${fieldOf(key)} has wire type ${wireTypeOf(key)}, expected ${wireType}.`);
}

export function varintSize(value: number): number {
  let size = 1;
  for (let rest = value; rest >= 128; rest = Math.floor(rest / 128)) size++;
  return size;
}

/** Writes `value` (a non-negative integer) as a varint at `offset`; returns the offset after it. */
export function writeVarint(target: Buffer, offset: number, value: number): number {
  let rest = value;
  let at = offset;
  while (rest >= 128) {
    target[at++] = (rest % 128) | 0x80;
    rest = Math.floor(rest / 128);
  }
  target[at++] = rest;
  return at;
}

/**
 * Builds one message from its fields, in the order written. Embedded messages are other writers,
 * so their lengths are known before their bytes are joined; nothing is copied until `finish`.
 */
export class WireWriter {
  private readonly parts: Buffer[] = [];
  private size = 0;

  get length(): number {
    return this.size;
  }

  varint(field: number, value: number): this {
    const head = Buffer.allocUnsafe(varintSize(field * 8) + varintSize(value));
    writeVarint(head, writeVarint(head, 0, field * 8 + WireType.Varint), value);
    return this.push(head);
  }

  bool(field: number, value: boolean): this {
    return this.varint(field, value ? 1 : 0);
  }

  bytes(field: number, value: Buffer): this {
    this.push(lengthPrefix(field, value.length));
    return value.length === 0 ? this : this.push(value);
  }

  string(field: number, value: string): this {
    return this.bytes(field, Buffer.from(value, 'utf8'));
  }

  message(field: number, inner: WireWriter): this {
    this.push(lengthPrefix(field, inner.size));
    for (const part of inner.parts) this.push(part);
    return this;
  }

  finish(): Buffer {
    return this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.size);
  }

  private push(part: Buffer): this {
    this.parts.push(part);
    this.size += part.length;
    return this;
  }
}

/** The key and length of a length-delimited field. */
export function lengthPrefix(field: number, length: number): Buffer {
  const key = field * 8 + WireType.LengthDelimited;
  const head = Buffer.allocUnsafe(varintSize(key) + varintSize(length));
  writeVarint(head, writeVarint(head, 0, key), length);
  return head;
}
