/**
 * Waiting on conditions, never on time: every wait has a deadline and says what it waited for.
 */

export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => { reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)); }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Collects values as they arrive (messages, events) and hands out the first one matching a
 * predicate, waiting for it when it has not arrived yet.
 */
export class Inbox<T> {
  readonly received: T[] = [];
  #waiters: { predicate: (value: T) => boolean; resolve: (value: T) => void }[] = [];

  push(value: T): void {
    this.received.push(value);
    for (const waiter of [...this.#waiters]) {
      if (waiter.predicate(value)) {
        this.#waiters = this.#waiters.filter((other) => other !== waiter);
        waiter.resolve(value);
      }
    }
  }

  /** The first value (already received or future) that matches. */
  async next(predicate: (value: T) => boolean, what: string, ms = 10_000): Promise<T> {
    const found = this.received.find(predicate);
    if (found !== undefined) return found;
    return withTimeout(
      new Promise<T>((resolve) => {
        this.#waiters.push({ predicate, resolve });
      }),
      ms,
      `${what} (received so far: ${JSON.stringify(this.received).slice(0, 2000)})`,
    );
  }
}
