/** Small helpers of the load generator. */
import { createClient, type ClientOptions, type RoomClient } from './clients.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A deterministic pseudo-random generator (mulberry32), so runs disrupt the same way. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Source address for client `index`: spread over 127.0.0.1..127.0.0.<count> to multiply ephemeral ports. */
export function sourceAddress(index: number, count: number): string | undefined {
  return count <= 1 ? undefined : `127.0.0.${1 + (index % count)}`;
}

export interface OpenOptions {
  readonly count: number;
  readonly concurrency: number;
  readonly join: boolean;
  readonly sourceAddresses: number;
  readonly firstIndex?: number;
  readonly make: (index: number, localAddress: string | undefined) => ClientOptions;
}

/** Opens `count` clients, `concurrency` handshakes at a time; fails on the first error. */
export async function openClients(options: OpenOptions): Promise<RoomClient[]> {
  const first = options.firstIndex ?? 0;
  const clients = new Array<RoomClient>(options.count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < options.count) {
      const i = next++;
      const client = createClient(options.make(first + i, sourceAddress(first + i, options.sourceAddresses)));
      await client.connect();
      if (options.join) await client.join();
      clients[i] = client;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, options.count) }, worker));
  return clients;
}

const ACK_SLOTS = 20;

/**
 * Sends each client's sequence ack once a second, as independent clients would: client i in
 * slot i % 20 of the second, so the server never sees every client ack at the same moment.
 */
export function staggeredAcks(clients: readonly { flushAck(): void }[]): NodeJS.Timeout {
  let slot = 0;
  return setInterval(() => {
    for (let i = slot; i < clients.length; i += ACK_SLOTS) clients[i]?.flushAck();
    slot = (slot + 1) % ACK_SLOTS;
  }, 1000 / ACK_SLOTS);
}
