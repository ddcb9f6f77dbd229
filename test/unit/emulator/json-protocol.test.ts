import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeJsonDataMessage, isBase64, parseJsonClientMessage, sequencedJsonFrame } from '../../../emulator/protocol/json.js';
import { limitCloseReason } from '../../../emulator/protocol/closeCodes.js';
import { parseOfferedSubprotocols } from '../../../emulator/protocol/subprotocols.js';

const parse = (text: string): any => {
  const result = parseJsonClientMessage(text);
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.message;
};

void describe('JSON subprotocol: client messages', () => {
  void it('reads every message the SDK writes', () => {
    assert.deepEqual(parse('{"type":"joinGroup","group":"g1","ackId":1}'), { type: 'joinGroup', group: 'g1', ackId: 1 });
    assert.deepEqual(parse('{"type":"leaveGroup","group":"g1"}'), { type: 'leaveGroup', group: 'g1' });
    assert.deepEqual(parse('{"type":"sequenceAck","sequenceId":17}'), { type: 'sequenceAck', sequenceId: 17 });
    assert.deepEqual(parse('{"type":"ping"}'), { type: 'ping' });
    const send = parse('{"type":"sendToGroup","group":"g1","ackId":3,"noEcho":true,"dataType":"text","data":"hi","ttlSeconds":300}');
    assert.equal(send.noEcho, true);
    assert.equal(send.ttlSeconds, 300);
    assert.equal(send.data.toString(), 'hi');
    const event = parse('{"type":"event","event":"message","ackId":4,"dataType":"json","data":{"a":1},"metadata":{"k":"v"}}');
    assert.equal(event.data.toString(), '{"a":1}');
    assert.deepEqual({ ...event.metadata }, { k: 'v' });
    assert.equal(Object.getPrototypeOf(event.metadata), null);
  });

  void it('defaults dataType to json and decodes binary data', () => {
    assert.equal(parse('{"type":"event","event":"e","data":null}').data.toString(), 'null');
    assert.deepEqual([...parse('{"type":"event","event":"e","dataType":"binary","data":"AAH/"}').data], [0, 1, 255]);
    assert.equal(parse('{"type":"sendToGroup","group":"g","data":1}').noEcho, false);
  });

  void it('accepts the largest safe ackId and refuses larger ones', () => {
    assert.equal(parse(`{"type":"joinGroup","group":"g","ackId":${Number.MAX_SAFE_INTEGER}}`).ackId, Number.MAX_SAFE_INTEGER);
    assert.equal(parseJsonClientMessage('{"type":"joinGroup","group":"g","ackId":18446744073709551615}').ok, false);
  });

  void it('names the problem of a malformed message', () => {
    const result = parseJsonClientMessage('{"type":"event","event":"e","dataType":"text","data":1}');
    assert.deepEqual(result, { ok: false, reason: "'data' must be a string when 'dataType' is text." });
  });

  void it('checks base64 strictly', () => {
    for (const valid of ['', 'AA==', 'AAA=', 'AAAA', 'ab+/']) assert.equal(isBase64(valid), true, valid);
    for (const invalid of ['A', 'AA=A', 'not base64!', 'AA=', '====', 'AA\n==']) assert.equal(isBase64(invalid), false, invalid);
  });
});

void describe('JSON subprotocol: server data messages', () => {
  const text = (message: Parameters<typeof encodeJsonDataMessage>[0]): any => JSON.parse(encodeJsonDataMessage(message).toString('utf8'));

  void it('writes group and server messages with each data type', () => {
    assert.deepEqual(text({ from: 'group', group: 'g', fromUserId: 'u', dataType: 'text', data: Buffer.from('a "b"') }), { type: 'message', from: 'group', group: 'g', fromUserId: 'u', dataType: 'text', data: 'a "b"' });
    assert.deepEqual(text({ from: 'group', group: 'g', dataType: 'json', data: Buffer.from('{"x":[1]}') }), { type: 'message', from: 'group', group: 'g', fromUserId: null, dataType: 'json', data: { x: [1] } });
    assert.deepEqual(text({ from: 'server', dataType: 'binary', data: Buffer.from([1, 2]) }), { type: 'message', from: 'server', dataType: 'binary', data: 'AQI=' });
    assert.deepEqual(text({ from: 'server', dataType: 'text', data: Buffer.from('m'), metadata: { k: 'v' } }), { type: 'message', from: 'server', dataType: 'text', data: 'm', metadata: { k: 'v' } });
  });

  void it('sends JSON data that does not parse as text, so the frame stays valid', () => {
    assert.deepEqual(text({ from: 'server', dataType: 'json', data: Buffer.from('{oops') }), { type: 'message', from: 'server', dataType: 'text', data: '{oops' });
  });

  void it('adds the sequence id in one buffer, or in two fragments for large frames', () => {
    const small = encodeJsonDataMessage({ from: 'server', dataType: 'text', data: Buffer.from('hi') });
    const sequenced = sequencedJsonFrame(small, 42);
    assert.ok(Buffer.isBuffer(sequenced));
    assert.equal(JSON.parse(sequenced.toString()).sequenceId, 42);
    const large = encodeJsonDataMessage({ from: 'server', dataType: 'text', data: Buffer.alloc(20_000, 0x61) });
    const parts = sequencedJsonFrame(large, 7);
    assert.ok(Array.isArray(parts));
    const [head, tail] = parts as readonly [Buffer, Buffer];
    assert.equal(head.buffer, large.buffer, 'the shared frame is not copied');
    assert.equal(JSON.parse(Buffer.concat([head, tail]).toString()).sequenceId, 7);
  });
});

void describe('protocol helpers', () => {
  void it('cuts close reasons to 123 bytes at a character boundary', () => {
    assert.equal(limitCloseReason('short'), 'short');
    const cut = limitCloseReason('é'.repeat(100));
    assert.ok(Buffer.byteLength(cut) <= 123);
    assert.ok(cut.endsWith('...'));
  });

  void it('splits offered subprotocols without a regular expression, even on hostile input', () => {
    assert.deepEqual(parseOfferedSubprotocols(' a, b ,,c '), ['a', 'b', 'c']);
    const started = process.hrtime.bigint();
    parseOfferedSubprotocols(`${' '.repeat(60_000)}\u0000,`);
    assert.ok(process.hrtime.bigint() - started < 50_000_000n);
  });
});
