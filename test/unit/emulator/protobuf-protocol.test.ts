import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseProtobufClientMessage } from '../../../emulator/protocol/protobufClientMessages.js';
import { isProtobufAny } from '../../../emulator/protocol/protobufData.js';
import { encodeProtobufControlMessage, encodeProtobufDataMessage, sequencedProtobufFrame } from '../../../emulator/protocol/protobufServerMessages.js';
import { WireReader, varintSize, writeVarint } from '../../../emulator/protocol/protobufWire.js';
import { decodeDownstream, encodeAny, encodeUpstream, wire } from '../../helpers/protobufMessages.js';

const parse = (frame: Buffer): any => {
  const result = parseProtobufClientMessage(frame);
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.message;
};

void describe('protobuf wire format', () => {
  void it('writes and reads varints at their boundaries', () => {
    for (const value of [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
      const bytes = Buffer.alloc(varintSize(value));
      assert.equal(writeVarint(bytes, 0, value), bytes.length);
      assert.deepEqual(bytes, wire.varint(value), `encoding of ${value}`);
      assert.equal(new WireReader(bytes).varint(), value);
    }
  });

  void it('reads the largest 64-bit varint and refuses anything larger', () => {
    assert.ok(new WireReader(wire.varint(2n ** 64n - 1n)).varint() > Number.MAX_SAFE_INTEGER);
    assert.throws(() => new WireReader(Buffer.from([...Array<number>(9).fill(0xff), 0x02])).varint(), /64 bits/);
  });
});

void describe('protobuf subprotocol: client messages', () => {
  void it('reads every request', () => {
    assert.deepEqual(parse(encodeUpstream({ join_group_message: { group: 'g1', ack_id: 1 } })), { type: 'joinGroup', group: 'g1', ackId: 1 });
    assert.deepEqual(parse(encodeUpstream({ leave_group_message: { group: 'g1' } })), { type: 'leaveGroup', group: 'g1' });
    assert.deepEqual(parse(encodeUpstream({ sequence_ack_message: { sequence_id: 17 } })), { type: 'sequenceAck', sequenceId: 17 });
    assert.deepEqual(parse(encodeUpstream({ sequence_ack_message: {} })), { type: 'sequenceAck', sequenceId: 0 });
    assert.deepEqual(parse(encodeUpstream({ ping_message: {} })), { type: 'ping' });
    const send = parse(encodeUpstream({ send_to_group_message: { group: 'g', ack_id: 0, no_echo: true, ttl_seconds: 300, data: { text_data: 'hi' }, metadata: { a: '1' } } }));
    assert.equal(send.ackId, 0);
    assert.equal(send.noEcho, true);
    assert.equal(send.ttlSeconds, 300);
    assert.equal(send.dataType, 'text');
    assert.equal(send.data.toString(), 'hi');
    assert.deepEqual({ ...send.metadata }, { a: '1' });
    const event = parse(encodeUpstream({ event_message: { event: 'e', data: { binary_data: Buffer.from([1, 2]) } } }));
    assert.deepEqual([event.type, event.event, event.dataType, [...event.data]], ['event', 'e', 'binary', [1, 2]]);
  });

  void it('keeps an Any as its bytes and reads metadata alone as empty text', () => {
    const any = encodeAny('type.googleapis.com/x.Y', Buffer.from([1]));
    const message = parse(encodeUpstream({ event_message: { event: 'e', data: { protobuf_data: { type_url: 'type.googleapis.com/x.Y', value: Buffer.from([1]) } } } }));
    assert.equal(message.dataType, 'protobuf');
    assert.deepEqual(message.data, any);
    const metadataOnly = parse(encodeUpstream({ event_message: { event: 'e', metadata: { k: 'v' } } }));
    assert.equal(metadataOnly.dataType, 'text');
    assert.equal(metadataOnly.data.length, 0);
  });

  void it('merges repeated occurrences of a message and lets the last oneof member win', () => {
    const first = encodeUpstream({ send_to_group_message: { group: 'a', ack_id: 1, data: { text_data: 'x' } } });
    const second = encodeUpstream({ send_to_group_message: { group: 'b' } });
    const merged = parse(Buffer.concat([first, second]));
    assert.deepEqual([merged.type, merged.group, merged.ackId, merged.data.toString()], ['sendToGroup', 'b', 1, 'x']);
    assert.equal(parse(Buffer.concat([first, encodeUpstream({ ping_message: {} })])).type, 'ping');
    const lastData = parse(encodeUpstream({ event_message: { event: 'e', data: { text_data: 'a', json_data: '1' } } }));
    assert.equal(lastData.dataType, 'json');
  });
});

void describe('protobuf subprotocol: server messages', () => {
  void it('writes acks, system messages and pongs as the .proto declares them', () => {
    assert.deepEqual(decodeDownstream(encodeProtobufControlMessage({ type: 'ack', ackId: 3, success: true })), { ack_message: { ack_id: 3, success: true } });
    assert.deepEqual(decodeDownstream(encodeProtobufControlMessage({ type: 'ack', ackId: 4, success: false, error: { name: 'Forbidden', message: 'no' } })), {
      ack_message: { ack_id: 4, error: { name: 'Forbidden', message: 'no' } },
    });
    assert.deepEqual(decodeDownstream(encodeProtobufControlMessage({ type: 'system', event: 'connected', userId: 'u', connectionId: 'c', reconnectionToken: 't' })), {
      system_message: { connected_message: { connection_id: 'c', user_id: 'u', reconnection_token: 't' } },
    });
    assert.deepEqual(decodeDownstream(encodeProtobufControlMessage({ type: 'system', event: 'disconnected', message: 'bye' })), {
      system_message: { disconnected_message: { reason: 'bye' } },
    });
    assert.deepEqual(decodeDownstream(encodeProtobufControlMessage({ type: 'pong' })), { pong_message: {} });
  });

  void it('writes data with metadata and falls back to binary for a payload that is not an Any', () => {
    const frame = encodeProtobufDataMessage({ from: 'group', group: 'g', fromUserId: 'u', dataType: 'json', data: Buffer.from('{"a":1}'), metadata: { k: 'v' } });
    assert.deepEqual(decodeDownstream(frame), { data_message: { from: 'group', group: 'g', data: { json_data: '{"a":1}' }, metadata: { k: 'v' } } });
    const notAny = encodeProtobufDataMessage({ from: 'server', dataType: 'protobuf', data: Buffer.from([0xff]) });
    assert.deepEqual(decodeDownstream(notAny), { data_message: { from: 'server', data: { binary_data: Buffer.from([0xff]) } } });
    assert.equal(isProtobufAny(Buffer.from([0xff])), false);
    assert.equal(isProtobufAny(Buffer.alloc(0)), true);
  });

  void it('appends the sequence id, in one buffer or as fragments of the same bytes', () => {
    for (const size of [10, 200, 40_000]) {
      const frame = encodeProtobufDataMessage({ from: 'server', dataType: 'text', data: Buffer.from('y'.repeat(size)) });
      for (const sequenceId of [1, 127, 128, 2 ** 40]) {
        const sequenced = sequencedProtobufFrame(frame, sequenceId);
        assert.equal(Buffer.isBuffer(sequenced), size < 16_000);
        const bytes = Buffer.isBuffer(sequenced) ? sequenced : Buffer.concat(sequenced);
        const decoded = decodeDownstream(bytes).data_message as any;
        assert.equal(decoded.sequence_id, sequenceId);
        assert.equal(decoded.data.text_data.length, size);
      }
    }
  });
});
