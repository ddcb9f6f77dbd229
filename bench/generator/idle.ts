/**
 * M3: idle connections. A few warm-up connections first (so code paths are compiled and pools
 * sized), a baseline sample, then `connections` more as fast as the server accepts them with a
 * bounded number of handshakes in flight, then a sample once they have settled.
 */
import type { ClientOptions, Endpoint, RoomClient } from './clients.js';
import { markAndWait } from './ipc.js';
import { openClients, sleep } from './util.js';

export interface IdleJob {
  readonly kind: 'idle';
  readonly endpoint: Endpoint;
  readonly warm: number;
  readonly connections: number;
  readonly concurrency: number;
  /** Spread clients over this many 127.0.0.x source addresses. */
  readonly sourceAddresses: number;
  readonly settleS: number;
}

export interface IdleResult {
  readonly connections: number;
  readonly connectMs: number;
  readonly connectsPerSecond: number;
}

export async function runIdle(job: IdleJob): Promise<IdleResult> {
  const noop = (): void => undefined;
  const make = (index: number, localAddress: string | undefined): ClientOptions => ({
    endpoint: job.endpoint,
    userId: `u${index}`,
    localAddress,
    onMessage: noop,
  });
  const keep: RoomClient[] = [];
  keep.push(...(await openClients({ count: job.warm, concurrency: 50, join: false, sourceAddresses: job.sourceAddresses, make })));
  await sleep(job.settleS * 1000);
  await markAndWait('baseline');

  const start = performance.now();
  keep.push(
    ...(await openClients({
      count: job.connections,
      concurrency: job.concurrency,
      join: false,
      sourceAddresses: job.sourceAddresses,
      firstIndex: job.warm,
      make,
    })),
  );
  const connectMs = performance.now() - start;
  await markAndWait('connected');
  await sleep(job.settleS * 1000);
  await markAndWait('settled');
  return { connections: job.connections, connectMs, connectsPerSecond: (job.connections * 1000) / connectMs };
}
