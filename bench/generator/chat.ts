/**
 * M4 and the chat path. One set of Web PubSub clients (the chat's 1,000 users, on the reliable
 * subprotocol as the page's client library uses) runs a sequence of phases, each an open-loop
 * schedule of messages sent round-robin by all clients:
 *
 *   echo-direct     sendToGroup to the sender's own group: straight back to the sender
 *   echo-webhook    a user event "echo" that the handler answers with the same body
 *   fanout-direct   sendToGroup of a chat-shaped JSON message to the group of everyone
 *   fanout-webhook  a user event "message": handler → REST broadcast → everyone
 *
 * Every message carries its number in its text; latency is measured at each receiver from the
 * message's due time.
 */
import { randomUUID } from 'node:crypto';
import { Histogram, type HistogramSnapshot } from '../lib/histogram.js';
import { WebPubSubClient, type Endpoint } from './clients.js';
import { makeChatText } from './frames.js';
import { log, mark, markAndWait } from './ipc.js';
import { sleep, staggeredAcks } from './util.js';

export type ChatPhaseKind = 'echo-direct' | 'echo-webhook' | 'fanout-direct' | 'fanout-webhook';

export interface ChatPhase {
  readonly name: string;
  readonly kind: ChatPhaseKind;
  /** Messages per second, all senders together. */
  readonly rate: number;
  readonly warmupS: number;
  readonly measureS: number;
}

export interface ChatJob {
  readonly kind: 'chat';
  readonly endpoint: Endpoint;
  readonly clients: number;
  /** Length of the chat text; the fan-out message wraps it in ~130 B of JSON. */
  readonly textChars: number;
  readonly phases: readonly ChatPhase[];
  readonly drainS: number;
  /** How often a phase the harness finds disturbed is run again. */
  readonly attempts: number;
}

export interface ChatPhaseResult {
  readonly name: string;
  readonly kind: ChatPhaseKind;
  readonly rate: number;
  readonly measuredMessages: number;
  readonly expected: number;
  readonly delivered: number;
  readonly latency: HistogramSnapshot;
  readonly maxSendLagMs: number;
  readonly attempts: number;
}

export interface ChatResult {
  readonly connectMs: number;
  readonly phases: readonly ChatPhaseResult[];
  readonly failedAcks: number;
  readonly drops: number;
  /** Messages without a benchmark number (presence notices, errors). */
  readonly otherMessages: number;
}

interface PhaseState {
  readonly phase: ChatPhase;
  readonly first: number;
  readonly warmupCount: number;
  readonly total: number;
  readonly perMessage: number;
  readonly deliveries: Uint16Array;
  readonly latency: Histogram;
  t0: number;
  measured: number;
}

export async function runChat(job: ChatJob): Promise<ChatResult> {
  let nextSeq = 0;
  /** Every attempt gets fresh message numbers, so late deliveries of an earlier one are ignored. */
  const prepare = (phase: ChatPhase): PhaseState => {
    const warmupCount = Math.round(phase.rate * phase.warmupS);
    const total = warmupCount + Math.round(phase.rate * phase.measureS);
    const perMessage = phase.kind.startsWith('echo') ? 1 : job.clients;
    const state: PhaseState = { phase, first: nextSeq, warmupCount, total, perMessage, deliveries: new Uint16Array(total), latency: new Histogram(), t0: Number.POSITIVE_INFINITY, measured: 0 };
    nextSeq += total;
    return state;
  };
  let current: PhaseState | undefined;
  let otherMessages = 0;
  let lastOtherAt = performance.now();
  let drops = 0;

  const onMessage = (seq: number): void => {
    const now = performance.now();
    if (seq < 0) {
      otherMessages += 1;
      lastOtherAt = now;
      return;
    }
    const state = current;
    if (state === undefined) return;
    const local = seq - state.first;
    if (local < 0 || local >= state.total) return;
    state.deliveries[local]! += 1;
    if (local >= state.warmupCount) {
      state.measured += 1;
      state.latency.record((now - (state.t0 + (local * 1000) / state.phase.rate)) * 1000);
    }
  };

  const connectStart = performance.now();
  const clients: WebPubSubClient[] = new Array<WebPubSubClient>(job.clients);
  let opened = 0;
  const worker = async (): Promise<void> => {
    while (opened < job.clients) {
      const i = opened++;
      const client = new WebPubSubClient({
        endpoint: job.endpoint,
        userId: `u${i}`,
        onMessage,
        onDrop: () => {
          drops += 1;
        },
      });
      await client.connect();
      await client.joinGroup('chat');
      await client.joinGroup(`self-${i}`);
      clients[i] = client;
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  const connectMs = performance.now() - connectStart;
  const acks = staggeredAcks(clients);
  // Presence notices of the connects (the chat announces every join to everyone) must be over.
  const quietSince = performance.now();
  while (performance.now() - lastOtherAt < 1000 && performance.now() - quietSince < 120_000) await sleep(200);
  log(`${job.clients} clients connected in ${(connectMs / 1000).toFixed(1)} s; ${otherMessages} other messages while connecting`);

  const results: ChatPhaseResult[] = [];
  for (const phase of job.phases) {
    for (let attempt = 1; ; attempt += 1) {
      const state = prepare(phase);
      const maxSendLagMs = await runPhase(state);
      const repeat = await markAndWait(`end:${phase.name}`);
      const measuredMessages = state.total - state.warmupCount;
      const expected = measuredMessages * state.perMessage;
      const drainUntil = performance.now() + job.drainS * 1000;
      while (state.measured < expected && performance.now() < drainUntil) await sleep(50);
      current = undefined;
      await sleep(1000);
      if (repeat && attempt < job.attempts) {
        log(`phase ${phase.name} was disturbed by other processes; running it again`);
        continue;
      }
      let delivered = 0;
      for (let k = state.warmupCount; k < state.total; k += 1) delivered += Math.min(state.deliveries[k]!, state.perMessage);
      results.push({ name: phase.name, kind: phase.kind, rate: phase.rate, measuredMessages, expected, delivered, latency: state.latency.snapshot(), maxSendLagMs, attempts: attempt });
      break;
    }
  }

  /** Sends the phase's schedule; resolves when the last message is due. */
  function runPhase(state: PhaseState): Promise<number> {
    const { phase } = state;
    const intervalMs = 1000 / phase.rate;
    let maxSendLagMs = 0;
    current = state;
    state.t0 = performance.now() + 20;
    return new Promise<number>((resolve) => {
      let k = 0;
      const tick = (): void => {
        const now = performance.now();
        while (k < state.total) {
          const due = state.t0 + k * intervalMs;
          if (due > now) break;
          if (k === state.warmupCount) mark(`start:${phase.name}`);
          const sender = (state.first + k) % clients.length;
          send(clients[sender]!, sender, phase.kind, makeChatText(state.first + k, job.textChars));
          maxSendLagMs = Math.max(maxSendLagMs, now - due);
          k += 1;
        }
        if (k >= state.total && now >= state.t0 + state.total * intervalMs) {
          resolve(maxSendLagMs);
          return;
        }
        setTimeout(tick, 1);
      };
      tick();
    });
  }
  clearInterval(acks);
  const failedAcks = clients.reduce((sum, c) => sum + c.stats.failedAcks, 0);
  return { connectMs, phases: results, failedAcks, drops, otherMessages };
}

function send(client: WebPubSubClient, index: number, kind: ChatPhaseKind, text: string): void {
  const quoted = JSON.stringify(text);
  switch (kind) {
    case 'echo-direct':
      client.sendToGroup(`self-${index}`, 'text', quoted);
      return;
    case 'echo-webhook':
      client.sendEvent('echo', 'text', quoted);
      return;
    case 'fanout-direct':
      // The same shape and size as the chat's broadcast of this text.
      client.sendToGroup('chat', 'json', JSON.stringify({ kind: 'message', id: randomUUID(), from: `u${index}`, message: text, time: new Date().toISOString() }));
      return;
    case 'fanout-webhook':
      client.sendEvent('message', 'text', quoted);
      return;
  }
}
