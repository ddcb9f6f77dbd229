/**
 * The abuse-protection handshake (CloudEvents HTTP Webhook §4): before the first event to a URL the
 * handler must say it accepts events from this service. Run lazily per URL (like the official
 * emulator), shared by concurrent events, trusted for a while after success, and retried with
 * backoff after failure; until a URL is trusted no event is sent to it.
 */
import type { Logger } from '../log.js';
import { CE_AWPS_VERSION, Header } from './cloudEvents.js';
import type { Transport, UpstreamResponse } from './httpTransport.js';
import type { UpstreamTarget } from './urlTemplate.js';

export interface AbuseProtectionOptions {
  readonly transport: Transport;
  /** Sent as `WebHook-Request-Origin`: a hostname without port, as the Functions extension wants. */
  readonly hostname: string;
  /**
   * The emulator's listening port, when known; handlers may answer `hostname:port`. Unknown
   * (port 0 not yet resolved): any port of the hostname is accepted.
   */
  readonly port: () => number | undefined;
  readonly timeoutMs: number;
  /** How long a successful validation is trusted. */
  readonly ttlMs: number;
  /** First wait after a failure before trying again; doubles up to `retryMaxMs`. */
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** Aborts validations in flight. */
  readonly closing: AbortSignal;
  readonly log: Logger;
}

export interface AbuseProtection {
  /** The fast path: true when `url` is validated and still trusted at `now` (epoch ms). */
  isTrusted(url: string, now: number): boolean;
  /** Resolves to undefined once `validateTarget` is trusted, or to why it is not. Never rejects. */
  validate(validateTarget: UpstreamTarget, now: number): Promise<string | undefined>;
}

type Entry =
  | { readonly state: 'trusted'; readonly until: number }
  | { readonly state: 'validating'; readonly result: Promise<string | undefined> }
  | { readonly state: 'refused'; readonly retryAt: number; readonly backoffMs: number; readonly reason: string };

/** URLs remembered; hub names are client-chosen, so the table is bounded. */
const MAX_ENTRIES = 1024;
/** The handler's answer is not used; a small cap keeps a hostile one cheap. */
const MAX_VALIDATION_BODY_BYTES = 64 * 1024;

export function createAbuseProtection(options: AbuseProtectionOptions): AbuseProtection {
  const entries = new Map<string, Entry>();
  const headers = { [Header.requestOrigin]: options.hostname, [Header.awpsVersion]: CE_AWPS_VERSION };

  const remember = (url: string, entry: Entry): void => {
    if (!entries.has(url) && entries.size >= MAX_ENTRIES) {
      const oldest = entries.keys().next();
      if (oldest.done !== true) entries.delete(oldest.value);
    }
    entries.set(url, entry);
  };

  const run = async (target: UpstreamTarget, previousBackoffMs: number | undefined, startedAt: number): Promise<string | undefined> => {
    const reason = await handshake(target);
    if (reason === undefined) {
      remember(target.url, { state: 'trusted', until: startedAt + options.ttlMs });
      options.log.debug(`abuse protection: ${target.url} accepted`);
    } else {
      const backoffMs = previousBackoffMs === undefined ? options.retryBaseMs : Math.min(previousBackoffMs * 2, options.retryMaxMs);
      remember(target.url, { state: 'refused', retryAt: startedAt + backoffMs, backoffMs, reason });
      options.log.warn(`abuse protection: ${target.url} refused: ${reason}; no events are sent to it for ${backoffMs} ms`);
    }
    return reason;
  };

  const handshake = async (target: UpstreamTarget): Promise<string | undefined> => {
    const signal = AbortSignal.any([options.closing, AbortSignal.timeout(options.timeoutMs)]);
    try {
      let response = await options.transport.send({ method: 'OPTIONS', target, headers }, signal, MAX_VALIDATION_BODY_BYTES);
      // The official emulator falls back to GET for handlers that only route GET.
      if (response.status === 404) {
        response = await options.transport.send({ method: 'GET', target, headers }, signal, MAX_VALIDATION_BODY_BYTES);
      }
      return judge(response);
    } catch (error) {
      if (options.closing.aborted) return 'the emulator is closing';
      if (signal.aborted) return `no answer within ${options.timeoutMs} ms`;
      return (error as Error).message;
    }
  };

  const judge = (response: UpstreamResponse): string | undefined => {
    if (response.status < 200 || response.status > 299) return `status ${response.status}`;
    const allowed = response.headers[Header.allowedOrigin.toLowerCase()];
    if (allowed === undefined) return `no ${Header.allowedOrigin} header`;
    if (!allowsOrigin(allowed, options.hostname, options.port())) {
      return `${Header.allowedOrigin} "${allowed.join(', ')}" does not allow "${options.hostname}"`;
    }
    return undefined;
  };

  return {
    isTrusted(url, now) {
      const entry = entries.get(url);
      return entry?.state === 'trusted' && now < entry.until;
    },
    validate(target, now) {
      const entry = entries.get(target.url);
      if (entry?.state === 'trusted' && now < entry.until) return Promise.resolve(undefined);
      if (entry?.state === 'validating') return entry.result;
      if (entry?.state === 'refused' && now < entry.retryAt) return Promise.resolve(entry.reason);
      const result = run(target, entry?.state === 'refused' ? entry.backoffMs : undefined, now);
      remember(target.url, { state: 'validating', result });
      return result;
    },
  };
}

/**
 * Whether `WebHook-Allowed-Origin` (possibly several headers, each possibly a comma list) admits
 * this service: `*`, the hostname, or hostname:port (what express's `allowedEndpoints` answers),
 * compared case-insensitively. With `port` undefined any port of the hostname matches.
 */
export function allowsOrigin(values: readonly string[], hostname: string, port: number | undefined): boolean {
  const host = hostname.toLowerCase();
  const hostColon = `${host}:`;
  const matches = (origin: string): boolean => {
    if (origin === '*' || origin === host) return true;
    if (!origin.startsWith(hostColon)) return false;
    const rest = origin.slice(hostColon.length);
    return port === undefined ? /^\d{1,5}$/.test(rest) : rest === String(port);
  };
  return values.some((value) => value.split(',').some((item) => matches(item.trim().toLowerCase())));
}
