/**
 * M5: delivery under churn. `clients` members of one room; a separate, undisturbed publisher
 * sends `rate` messages/s for `durationS`. Every member's TCP connection is destroyed without a
 * close frame about every `disruptEveryS` (±10%, first one at a random phase), stays down
 * exactly `offlineS`, then reconnects: resuming its session where the protocol allows
 * (Web PubSub reliable recovery, Socket.IO connection state recovery), otherwise as a new
 * connection that rejoins the room.
 *
 * Per member, messages are checked for loss, duplicates (after the protocol's own
 * de-duplication) and order. A message that arrives after a reconnect attempt began but was sent
 * before it was missed live and recovered; its latency is reported separately.
 */
import { Histogram, type HistogramSnapshot } from '../lib/histogram.js';
import { createClient, type Endpoint, type RoomClient } from './clients.js';
import { makePayload } from './frames.js';
import { log, mark } from './ipc.js';
import { openClients, seededRandom, sleep, staggeredAcks } from './util.js';

export interface ChurnJob {
  readonly kind: 'churn';
  readonly endpoint: Endpoint;
  readonly clients: number;
  readonly rate: number;
  readonly durationS: number;
  readonly disruptEveryS: number;
  readonly offlineS: number;
  readonly drainS: number;
  readonly payloadBytes: number;
  readonly seed: number;
}

export interface ChurnResult {
  readonly messages: number;
  readonly expected: number;
  readonly delivered: number;
  readonly duplicates: number;
  readonly reordered: number;
  readonly disruptions: number;
  readonly recovered: number;
  readonly recoveryFailures: number;
  readonly reconnectErrors: number;
  readonly unexpectedDrops: number;
  /** Reliable protocol: replayed frames the client dropped as already seen (harmless). */
  readonly redelivered: number;
  readonly sequenceGaps: number;
  /** µs from due time to receipt, every delivery. */
  readonly latency: HistogramSnapshot;
  /** µs from due time to receipt, messages missed live and delivered after a reconnect. */
  readonly replay: HistogramSnapshot;
  /** µs from the reconnect attempt to receipt, for the same messages. */
  readonly catchUp: HistogramSnapshot;
}

export async function runChurn(job: ChurnJob): Promise<ChurnResult> {
  const total = Math.round(job.rate * job.durationS);
  const intervalMs = 1000 / job.rate;
  const n = job.clients;
  const seen = new Uint8Array(n * total);
  const highest = new Int32Array(n).fill(-1);
  const attemptAt = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  /** When each message actually left the publisher (the schedule may run a few ms late). */
  const sentAt = new Float64Array(total).fill(Number.POSITIVE_INFINITY);
  const latency = new Histogram();
  const replay = new Histogram();
  const catchUp = new Histogram();
  let t0 = Number.POSITIVE_INFINITY;
  let delivered = 0;
  let duplicates = 0;
  let reordered = 0;
  let disruptions = 0;
  let recovered = 0;
  let reconnectErrors = 0;
  let unexpectedDrops = 0;
  let stopping = false;

  const onMessageOf = (i: number) => (seq: number): void => {
    const now = performance.now();
    if (seq < 0 || seq >= total) return;
    const slot = i * total + seq;
    if (seen[slot] !== 0) {
      duplicates += 1;
      return;
    }
    seen[slot] = 1;
    delivered += 1;
    if (seq < highest[i]!) reordered += 1;
    else highest[i] = seq;
    const due = t0 + seq * intervalMs;
    latency.record((now - due) * 1000);
    if (sentAt[seq]! < attemptAt[i]! && now >= attemptAt[i]!) {
      replay.record((now - due) * 1000);
      catchUp.record((now - attemptAt[i]!) * 1000);
    }
  };

  const clients: RoomClient[] = [];
  const reconnect = async (i: number): Promise<void> => {
    for (;;) {
      attemptAt[i] = performance.now();
      try {
        const outcome = await clients[i]!.reconnect();
        if (outcome.recovered) recovered += 1;
        return;
      } catch (error) {
        reconnectErrors += 1;
        if (reconnectErrors <= 5) log(`member ${i}: reconnect failed: ${String(error)}`);
        if (stopping) return;
        await sleep(1000);
      }
    }
  };

  const opened = await openClients({
    count: n,
    concurrency: 100,
    join: true,
    sourceAddresses: 1,
    make: (index, localAddress) => ({
      endpoint: job.endpoint,
      userId: `u${index}`,
      localAddress,
      onMessage: onMessageOf(index),
      onDrop: () => {
        // Not one of ours: the server closed it. Come back as a client library would.
        unexpectedDrops += 1;
        if (!stopping) setTimeout(() => void reconnect(index), 1000);
      },
    }),
  });
  clients.push(...opened);
  const publisher = createClient({ endpoint: job.endpoint, userId: 'publisher', onMessage: () => undefined });
  await publisher.connect();
  const acks = staggeredAcks(clients);
  await sleep(500);

  const random = seededRandom(job.seed);
  t0 = performance.now() + 100;
  const lastDisruptionAt = t0 + (job.durationS - job.offlineS - 2) * 1000;
  const timers: NodeJS.Timeout[] = [];
  const disrupt = (i: number): void => {
    const now = performance.now();
    if (stopping || now > lastDisruptionAt) return;
    disruptions += 1;
    clients[i]!.terminate();
    setTimeout(() => {
      void reconnect(i).then(() => {
        const gap = job.disruptEveryS * 1000 * (0.9 + 0.2 * random()) - job.offlineS * 1000;
        timers.push(setTimeout(() => { disrupt(i); }, Math.max(0, gap)));
      });
    }, job.offlineS * 1000);
  };
  for (let i = 0; i < n; i += 1) {
    timers.push(setTimeout(() => { disrupt(i); }, t0 - performance.now() + random() * job.disruptEveryS * 1000));
  }

  mark('measure-start');
  await new Promise<void>((resolve) => {
    let next = 0;
    const tick = (): void => {
      const now = performance.now();
      while (next < total && t0 + next * intervalMs <= now) {
        sentAt[next] = now;
        publisher.publish(makePayload(next, 0, t0 + next * intervalMs, job.payloadBytes));
        next += 1;
      }
      if (next >= total) {
        resolve();
        return;
      }
      setTimeout(tick, 5);
    };
    tick();
  });
  mark('measure-end');

  const expected = total * n;
  // Wait for late and replayed messages: until everything arrived, nothing new came for a second
  // after every member was back online, or drainS passed.
  const drainUntil = performance.now() + job.drainS * 1000;
  let lastCount = delivered;
  let stillSince = performance.now();
  while (delivered < expected && performance.now() < drainUntil) {
    await sleep(100);
    if (delivered !== lastCount || performance.now() < lastDisruptionAt + (job.offlineS + 1) * 1000) {
      lastCount = delivered;
      stillSince = performance.now();
    } else if (performance.now() - stillSince >= 1000) {
      break;
    }
  }
  stopping = true;
  clearInterval(acks);
  for (const timer of timers) clearTimeout(timer);

  let redelivered = 0;
  let sequenceGaps = 0;
  let recoveryFailures = 0;
  for (const client of clients) {
    redelivered += client.stats.redelivered;
    sequenceGaps += client.stats.sequenceGaps;
    recoveryFailures += client.stats.recoveryFailures;
  }
  return {
    messages: total,
    expected,
    delivered,
    duplicates,
    reordered,
    disruptions,
    recovered,
    recoveryFailures,
    reconnectErrors,
    unexpectedDrops,
    redelivered,
    sequenceGaps,
    latency: latency.snapshot(),
    replay: replay.snapshot(),
    catchUp: catchUp.snapshot(),
  };
}
