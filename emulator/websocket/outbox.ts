/**
 * The un-acknowledged data messages of a reliable session, numbered by `sequenceId` 1, 2, 3...
 * They are kept until the client acknowledges them (cumulatively) and replayed in order after a
 * recovery. Frames are shared with every other recipient of the same message, so holding them
 * costs a reference, not a copy.
 */

export const DEFAULT_OUTBOX_MAX_MESSAGES = 1_000;
export const DEFAULT_OUTBOX_MAX_BYTES = 16 * 1024 * 1024;

export interface OutboxLimits {
  readonly maxMessages: number;
  readonly maxBytes: number;
}

export class ReliableOutbox {
  private readonly limits: OutboxLimits;
  /** Allocated on the first message: most reliable connections sit idle. */
  private frames: Buffer[] | undefined;
  /** Index in `frames` of the oldest un-acked frame, whose sequence id is `firstSequenceId`. */
  private head = 0;
  private firstSequenceId = 1;
  private bytes = 0;

  constructor(limits: OutboxLimits) {
    this.limits = limits;
  }

  get pending(): number {
    return (this.frames?.length ?? 0) - this.head;
  }

  /** The sequence id of the appended frame, or undefined when the buffer would overflow. */
  push(frame: Buffer): number | undefined {
    if (this.pending >= this.limits.maxMessages || this.bytes + frame.length > this.limits.maxBytes) return undefined;
    (this.frames ??= []).push(frame);
    this.bytes += frame.length;
    return this.firstSequenceId + this.pending - 1;
  }

  /** Releases every frame up to `sequenceId` (acks beyond the last sent release everything). */
  ack(sequenceId: number): void {
    const release = Math.min(sequenceId - this.firstSequenceId + 1, this.pending);
    const frames = this.frames;
    if (release <= 0 || frames === undefined) return;
    for (let i = this.head; i < this.head + release; i++) this.bytes -= (frames[i] as Buffer).length;
    this.head += release;
    this.firstSequenceId += release;
    if (this.head === frames.length) {
      this.frames = undefined;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= frames.length) {
      this.frames = frames.slice(this.head);
      this.head = 0;
    }
  }

  /** Calls `send` for every un-acked frame, oldest first, with its original sequence id. */
  replay(send: (frame: Buffer, sequenceId: number) => void): void {
    const frames = this.frames ?? [];
    for (let i = this.head; i < frames.length; i++) send(frames[i] as Buffer, this.firstSequenceId + i - this.head);
  }
}
