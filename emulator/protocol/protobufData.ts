/**
 * `MessageData`, the payload of protobuf requests and data messages, and `google.protobuf.Any`,
 * the type of its `protobuf_data`. The emulator never unpacks an Any; it only checks that bytes
 * claimed to be one really are, so every protobuf client can parse what it gets.
 */
import { WireError, WireReader, WireType, expectWireType, fieldOf, wireTypeOf } from './protobufWire.js';

/** `MessageData.data` members. */
export const MessageDataField = { Text: 1, Binary: 2, Protobuf: 3, Json: 4 } as const;

/** Whether `bytes` encode an Any: `type_url` (1) a UTF-8 string, `value` (2) bytes, unknown fields skipped. */
export function isProtobufAny(bytes: Buffer): boolean {
  try {
    const reader = new WireReader(bytes);
    while (!reader.done) {
      const key = reader.key();
      const field = fieldOf(key);
      if (field === 1) {
        expectWireType(key, WireType.LengthDelimited);
        reader.string();
      } else if (field === 2) {
        expectWireType(key, WireType.LengthDelimited);
        reader.lengthDelimited();
      } else {
        reader.skip(wireTypeOf(key));
      }
    }
    return true;
  } catch (error) {
    if (error instanceof WireError) return false;
    throw error;
  }
}
