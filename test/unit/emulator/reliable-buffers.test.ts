import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AckIdMemory } from '../../../emulator/websocket/ackIds.js';
import { ReliableOutbox } from '../../../emulator/websocket/outbox.js';

const frame = (size: number): Buffer => Buffer.alloc(size);

void describe('reliable outbox', () => {
  void it('numbers frames from 1 and replays the un-acked ones in order', () => {
    const outbox = new ReliableOutbox({ maxMessages: 10, maxBytes: 1000 });
    assert.deepEqual([outbox.push(frame(1)), outbox.push(frame(2)), outbox.push(frame(3))], [1, 2, 3]);
    outbox.ack(1);
    const replayed: [number, number][] = [];
    outbox.replay((buffer, sequenceId) => replayed.push([sequenceId, buffer.length]));
    assert.deepEqual(replayed, [[2, 2], [3, 3]]);
    assert.equal(outbox.push(frame(1)), 4);
  });

  void it('refuses the message beyond the count limit and the byte limit', () => {
    const byCount = new ReliableOutbox({ maxMessages: 2, maxBytes: 1000 });
    byCount.push(frame(1));
    byCount.push(frame(1));
    assert.equal(byCount.push(frame(1)), undefined);
    byCount.ack(1);
    assert.equal(byCount.push(frame(1)), 3);
    const byBytes = new ReliableOutbox({ maxMessages: 100, maxBytes: 10 });
    byBytes.push(frame(6));
    assert.equal(byBytes.push(frame(5)), undefined);
    assert.equal(byBytes.push(frame(4)), 2);
  });

  void it('ignores stale acks and treats acks beyond the last frame as acking everything', () => {
    const outbox = new ReliableOutbox({ maxMessages: 3, maxBytes: 1000 });
    for (let i = 0; i < 3; i++) outbox.push(frame(1));
    outbox.ack(2);
    outbox.ack(1);
    assert.equal(outbox.pending, 1);
    outbox.ack(Number.MAX_SAFE_INTEGER);
    assert.equal(outbox.pending, 0);
    assert.equal(outbox.push(frame(1)), 4);
  });

  void it('keeps numbering right across many compactions', () => {
    const outbox = new ReliableOutbox({ maxMessages: 3000, maxBytes: 1_000_000 });
    let last = 0;
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 1500; i++) last = outbox.push(frame(1)) ?? -1;
      outbox.ack(last - 10);
    }
    assert.equal(last, 15_000);
    const replayed: number[] = [];
    outbox.replay((_buffer, sequenceId) => replayed.push(sequenceId));
    assert.deepEqual(replayed, Array.from({ length: 10 }, (_, index) => 14_991 + index));
  });
});

void describe('ackId memory', () => {
  void it('remembers the most recent ackIds only', () => {
    const memory = new AckIdMemory(3);
    for (const ackId of [1, 2, 3]) memory.remember(ackId);
    assert.equal(memory.has(1), true);
    memory.remember(4);
    assert.deepEqual([1, 2, 3, 4].map((ackId) => memory.has(ackId)), [false, true, true, true]);
    memory.remember(4);
    memory.remember(5);
    assert.deepEqual([2, 3, 4, 5].map((ackId) => memory.has(ackId)), [false, true, true, true]);
  });
});
