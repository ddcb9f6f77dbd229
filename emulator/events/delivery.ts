/**
 * Delivery of one event: attempts, retries and the deadline. Retries follow the official
 * emulator: 408, 5xx and network failures are retried after each configured delay while time is
 * left; other statuses (429 included), timeouts and cancellations are final. Retries resend the
 * same request, `ce-id` included, so handlers can recognise them.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { MAX_RESPONSE_BODY_BYTES } from './cloudEvents.js';
import { TransportError, type Transport, type UpstreamRequest, type UpstreamResponse } from './httpTransport.js';

/** Why an event's controller was aborted. */
export type AbortReason = 'timeout' | 'forgotten' | 'closing';

export type DeliveryResult =
  /** The handler's final answer, whatever its status. */
  | { readonly kind: 'response'; readonly response: UpstreamResponse }
  /** No usable answer: network, timeout, cancellation, oversized body. */
  | { readonly kind: 'failed'; readonly reason: string };

export interface DeliveryOptions {
  readonly transport: Transport;
  /** For the whole event, retries included. */
  readonly timeoutMs: number;
  readonly retryDelaysMs: readonly number[];
}

export const isRetriableStatus = (status: number): boolean => status === 408 || status >= 500;

/** Never rejects. `controller` is the event's: aborting it (with an AbortReason) stops delivery. */
export async function deliver(
  request: UpstreamRequest,
  controller: AbortController,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const { signal } = controller;
  const deadline = performance.now() + options.timeoutMs;
  const timer = setTimeout(() => {
    controller.abort('timeout' satisfies AbortReason);
  }, options.timeoutMs);
  try {
    for (let attempt = 0; ; attempt++) {
      let result: DeliveryResult;
      try {
        const response = await options.transport.send(request, signal, MAX_RESPONSE_BODY_BYTES);
        result = { kind: 'response', response };
        if (!isRetriableStatus(response.status)) return result;
      } catch (error) {
        if (signal.aborted) return aborted(signal, options.timeoutMs);
        const reason = error instanceof Error ? error.message : String(error);
        result = { kind: 'failed', reason };
        if (!(error instanceof TransportError) || !error.retriable) return result;
      }
      const wait = options.retryDelaysMs[attempt];
      // Waiting past the deadline would only end in a timeout; the last answer is more useful.
      if (wait === undefined || performance.now() + wait >= deadline) return result;
      try {
        await delay(wait, undefined, { signal });
      } catch {
        return aborted(signal, options.timeoutMs);
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

function aborted(signal: AbortSignal, timeoutMs: number): DeliveryResult {
  const reason: unknown = signal.reason;
  if (reason === 'timeout') return { kind: 'failed', reason: `no answer within ${timeoutMs} ms` };
  if (reason === 'forgotten') return { kind: 'failed', reason: 'the connection went away' };
  return { kind: 'failed', reason: 'the emulator is closing' };
}
