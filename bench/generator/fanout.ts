/**
 * M1/M2: fan-out into one room. `clients` members, the first `publishers` of them (spread over
 * the room) publish at a fixed total rate on an open-loop schedule: message s is due at
 * t0 + s/rate whatever happened before, and its latency at every receiver is measured from that
 * due time, so a stalled server shows up as latency instead of as a slower sender.
 */
import { Histogram, type HistogramSnapshot } from '../lib/histogram.js';
import type { Endpoint, RoomClient } from './clients.js';
import { makePayload } from './frames.js';
import { mark } from './ipc.js';
import { openClients, sleep } from './util.js';

export interface FanoutJob {
  readonly kind: 'fanout';
  readonly endpoint: Endpoint;
  readonly clients: number;
  readonly publishers: number;
  /** Published messages per second, all publishers together. */
  readonly publishRate: number;
  readonly warmupS: number;
  readonly measureS: number;
  /** Longest wait for late deliveries after the last measured message was due. */
  readonly drainS: number;
  readonly payloadBytes: number;
}

export interface FanoutResult {
  readonly connectMs: number;
  readonly measuredMessages: number;
  readonly expected: number;
  readonly delivered: number;
  /** µs from due time to receipt, measured messages only. */
  readonly latency: HistogramSnapshot;
  /** Deliveries of any message received between the measure-start and measure-end marks. */
  readonly windowDeliveries: number;
  readonly windowMs: number;
  /** How late the scheduler sent, at worst (ms): large values mean the generator fell behind. */
  readonly maxSendLagMs: number;
}

export async function runFanout(job: FanoutJob): Promise<FanoutResult> {
  const warmupCount = Math.round(job.publishRate * job.warmupS);
  const measuredCount = Math.round(job.publishRate * job.measureS);
  const total = warmupCount + measuredCount;
  const intervalMs = 1000 / job.publishRate;
  const deliveries = new Uint16Array(total);
  const latency = new Histogram();
  let t0 = Number.POSITIVE_INFINITY;
  let inWindow = false;
  let windowDeliveries = 0;
  let measuredDeliveries = 0;

  const onMessage = (seq: number): void => {
    const now = performance.now();
    if (seq < 0 || seq >= total) return;
    deliveries[seq]! += 1;
    if (inWindow) windowDeliveries += 1;
    if (seq >= warmupCount) {
      measuredDeliveries += 1;
      latency.record((now - (t0 + seq * intervalMs)) * 1000);
    }
  };

  const connectStart = performance.now();
  const clients = await openClients({
    count: job.clients,
    concurrency: 100,
    join: true,
    sourceAddresses: 1,
    make: (index, localAddress) => ({ endpoint: job.endpoint, userId: `u${index}`, localAddress, onMessage }),
  });
  const connectMs = performance.now() - connectStart;
  const stride = Math.max(1, Math.floor(job.clients / job.publishers));
  const publishers: RoomClient[] = Array.from({ length: job.publishers }, (_, i) => clients[(i * stride) % clients.length]!);
  await sleep(200);

  let maxSendLagMs = 0;
  let windowStart = 0;
  let windowEnd = 0;
  t0 = performance.now() + 50;
  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = (): void => {
      const now = performance.now();
      while (next < total) {
        const due = t0 + next * intervalMs;
        if (due > now) break;
        if (next === warmupCount) {
          inWindow = true;
          windowStart = now;
          mark('measure-start');
        }
        const publisher = next % publishers.length;
        publishers[publisher]!.publish(makePayload(next, publisher, due, job.payloadBytes));
        maxSendLagMs = Math.max(maxSendLagMs, now - due);
        next += 1;
      }
      const end = t0 + total * intervalMs;
      if (next >= total && now >= end) {
        inWindow = false;
        windowEnd = now;
        mark('measure-end');
        resolve();
        return;
      }
      setTimeout(tick, 1);
    };
    tick();
  });

  const expected = measuredCount * job.clients;
  const drainUntil = performance.now() + job.drainS * 1000;
  while (measuredDeliveries < expected && performance.now() < drainUntil) await sleep(50);

  let delivered = 0;
  for (let s = warmupCount; s < total; s += 1) delivered += Math.min(deliveries[s]!, job.clients);
  return {
    connectMs,
    measuredMessages: measuredCount,
    expected,
    delivered,
    latency: latency.snapshot(),
    windowDeliveries,
    windowMs: windowEnd - windowStart,
    maxSendLagMs,
  };
}
