/**
 * Freshness for CloudEvents. `ce-signature` covers only the connection id, so a captured request
 * could be sent again later; this guard rejects events whose `ce-time` is too far from now and
 * events whose `(ce-connectionId, ce-id)` pair was already accepted within that window.
 */

export const DEFAULT_MAX_EVENT_AGE_MS = 5 * 60_000;
export const DEFAULT_REPLAY_CAPACITY = 50_000;

export interface ReplayGuardOptions {
  /** Accepted distance between `ce-time` and now, either way (clock skew, retries). */
  readonly maxAgeMs?: number;
  /** Most remembered pairs; the oldest are forgotten first. */
  readonly capacity?: number;
  readonly now?: () => number;
}

export type ReplayVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 400 | 409; readonly reason: string };

export interface ReplayGuard {
  /** Checks an event and, when it passes, remembers it. */
  admit(connectionId: string, eventId: string, time: string | null): ReplayVerdict;
  /** Forgets an admitted event whose processing failed, so the service's retry is accepted. */
  forget(connectionId: string, eventId: string): void;
}

/** `2024-01-01T00:00:00Z`, optionally with a fraction (Azure sends 7 digits) or an offset. */
const ISO_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export function parseEventTime(time: string): number | undefined {
  const match = ISO_TIME.exec(time);
  if (match === null) return undefined;
  const [, seconds, fraction, zone] = match;
  // Date.parse understands milliseconds only.
  const millis = Date.parse(`${seconds ?? ''}${(fraction ?? '').slice(0, 4)}${zone ?? ''}`);
  return Number.isNaN(millis) ? undefined : millis;
}

export function createReplayGuard(options: ReplayGuardOptions = {}): ReplayGuard {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_EVENT_AGE_MS;
  const capacity = options.capacity ?? DEFAULT_REPLAY_CAPACITY;
  const now = options.now ?? Date.now;
  // Pair → the time after which its ce-time can no longer pass the freshness check, so
  // forgetting it is safe. Insertion order is roughly expiry order; pruning stops at the first
  // live entry and the capacity bounds whatever that leaves behind.
  const seen = new Map<string, number>();
  const keyOf = (connectionId: string, eventId: string): string => `${connectionId}\n${eventId}`;

  function prune(at: number): void {
    for (const [key, expiresAt] of seen) {
      if (seen.size <= capacity && expiresAt >= at) break;
      seen.delete(key);
    }
  }

  return {
    admit(connectionId, eventId, time) {
      if (time === null) return { ok: false, status: 400, reason: 'ce-time is missing' };
      const eventTime = parseEventTime(time);
      if (eventTime === undefined) return { ok: false, status: 400, reason: 'ce-time is not an ISO 8601 UTC time' };
      const at = now();
      if (Math.abs(at - eventTime) > maxAgeMs) {
        return { ok: false, status: 400, reason: `ce-time is more than ${Math.round(maxAgeMs / 1000)} s away from the server clock` };
      }
      const key = keyOf(connectionId, eventId);
      if (seen.has(key)) return { ok: false, status: 409, reason: 'this event (ce-connectionId, ce-id) was already processed' };
      seen.set(key, Math.max(at, eventTime) + maxAgeMs);
      prune(at);
      return { ok: true };
    },
    forget(connectionId, eventId) {
      seen.delete(keyOf(connectionId, eventId));
    },
  };
}
