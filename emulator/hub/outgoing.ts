import type { OutboundMessage } from './types.js';

/**
 * Turns a message into the bytes one kind of client receives. Encoders are few and long-lived;
 * each owns a distinct `slot` so an `OutgoingMessage` can cache its result.
 */
export interface FrameEncoder<Frame> {
  readonly slot: number;
  encode(message: OutboundMessage): Frame;
}

/**
 * One message on its way to many recipients. Each encoder runs at most once per message, however
 * many connections speak its protocol, so a broadcast to 1,000 JSON clients serializes once.
 */
export class OutgoingMessage {
  readonly message: OutboundMessage;
  private readonly frames: unknown[] = [];

  constructor(message: OutboundMessage) {
    this.message = message;
  }

  frame<Frame>(encoder: FrameEncoder<Frame>): Frame {
    const cached = this.frames[encoder.slot];
    if (cached !== undefined) return cached as Frame;
    const frame = encoder.encode(this.message);
    this.frames[encoder.slot] = frame;
    return frame;
  }
}
