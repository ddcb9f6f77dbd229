/**
 * A request that answers its sender twice (a message to a group the sender is in, then the ack;
 * an event's reply, then the ack) sends both frames in one batch, so they leave in one write.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EventDispatcher, UserEventOutcome } from '../../../emulator/events/types.js';
import { createHub } from '../../../emulator/hub/hub.js';
import type { Logger } from '../../../emulator/log.js';
import { codecFor, type EncodedFrame } from '../../../emulator/websocket/codecs.js';
import { Session, type ClientSocket } from '../../../emulator/websocket/session.js';
import { ConnectionUpstream } from '../../../emulator/websocket/upstreamConnection.js';

const JSON_PROTOCOL = 'json.webpubsub.azure.v1';

/** Records each frame with the batch it was sent in (0: outside any batch). */
class RecordingSocket implements ClientSocket {
  readonly frames: { batch: number; message: { type: string } }[] = [];
  readonly bufferedAmount = 0;
  private batches = 0;
  private current = 0;

  send(frame: EncodedFrame): void {
    const text = Buffer.isBuffer(frame) ? frame.toString('utf8') : Buffer.concat(frame).toString('utf8');
    this.frames.push({ batch: this.current, message: JSON.parse(text) as { type: string } });
  }

  batch(send: () => void): void {
    this.current = ++this.batches;
    try {
      send();
    } finally {
      this.current = 0;
    }
  }

  close(): void {}
  terminate(): void {}

  batchesOf(types: readonly string[]): number[] {
    return this.frames.filter((frame) => types.includes(frame.message.type)).map((frame) => frame.batch);
  }
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function startSession(userEvent: () => Promise<UserEventOutcome>): { socket: RecordingSocket; session: Session } {
  const dispatcher: EventDispatcher = {
    connect: () => Promise.resolve({ kind: 'accepted' }),
    connected() {},
    disconnected() {},
    userEvent,
    forget() {},
  };
  const session = new Session({
    hub: createHub('chat'),
    dispatcher,
    log: silent,
    upstream: new ConnectionUpstream('chat', 'conn-1', 'alice'),
    codec: codecFor(JSON_PROTOCOL),
    subprotocol: JSON_PROTOCOL,
    limits: { recoveryWindowMs: 30_000, outbox: { maxMessages: 1_000, maxBytes: 16 * 1024 * 1024 }, maxQueuedRequests: 100, maxSocketBufferBytes: 1024 * 1024 },
    onEnded() {},
  });
  const socket = new RecordingSocket();
  session.start(socket, ['webpubsub.joinLeaveGroup', 'webpubsub.sendToGroup'], ['room'], undefined);
  return { socket, session };
}

const frame = (message: object): Buffer => Buffer.from(JSON.stringify(message));

void describe('session: frames to the sender leave together', () => {
  void it('a group message the sender receives and its ack share one batch', () => {
    const { socket, session } = startSession(() => Promise.resolve({ kind: 'no-handler' }));
    session.receive(socket, frame({ type: 'sendToGroup', group: 'room', dataType: 'text', data: 'hi', ackId: 1 }), false);
    const [message, ack] = socket.batchesOf(['message', 'ack']);
    assert.ok(message !== undefined && message > 0, 'the group message is sent inside a batch');
    assert.equal(ack, message);
  });

  void it("an event's reply and its ack share one batch", async () => {
    let answered: () => void = () => {};
    const replied = new Promise<void>((resolve) => {
      answered = resolve;
    });
    const { socket, session } = startSession(() => {
      answered();
      return Promise.resolve({ kind: 'ok', reply: { dataType: 'text', data: Buffer.from('pong') }, metadata: undefined });
    });
    session.receive(socket, frame({ type: 'event', event: 'ping', dataType: 'text', data: 'x', ackId: 7 }), false);
    await replied;
    // The session sends once the dispatcher's promise settles; the next macrotask is after that.
    await new Promise((resolve) => setImmediate(resolve));
    const [reply, ack] = socket.batchesOf(['message', 'ack']);
    assert.ok(reply !== undefined && reply > 0, 'the reply is sent inside a batch');
    assert.equal(ack, reply);
  });
});
