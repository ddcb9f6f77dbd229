/**
 * The ackIds a session has processed successfully, so a repeat is answered `Duplicate` without
 * running again. The service remembers the most recent 1,000; failed requests are not recorded, so
 * a client may retry them with the same ackId.
 */
export const DEFAULT_ACK_ID_MEMORY = 1_000;

export class AckIdMemory {
  private readonly capacity: number;
  private readonly seen = new Set<number>();
  private readonly order: number[] = [];
  private next = 0;

  constructor(capacity: number = DEFAULT_ACK_ID_MEMORY) {
    this.capacity = capacity;
  }

  has(ackId: number): boolean {
    return this.seen.has(ackId);
  }

  remember(ackId: number): void {
    if (this.seen.has(ackId)) return;
    if (this.order.length < this.capacity) {
      this.order.push(ackId);
    } else {
      // A ring: overwrite (and forget) the oldest entry.
      this.seen.delete(this.order[this.next] as number);
      this.order[this.next] = ackId;
      this.next = (this.next + 1) % this.capacity;
    }
    this.seen.add(ackId);
  }
}
