/**
 * The emulator's settings. One frozen object, built once at start from defaults, then the
 * optional JSON file, then environment variables, then flags; a bad value stops the start with a
 * message naming the setting.
 */

/** The official emulator's key, so connection strings are interchangeable. */
export const DEFAULT_ACCESS_KEY = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGH';
export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = 'localhost';
export const DEFAULT_KEEP_ALIVE_SECONDS = 20;

export type SystemEvent = 'connect' | 'connected' | 'disconnected';

export interface EventHandlerSettings {
  /** `{hub}` and `{event}` are replaced (URL-escaped); the host part may not contain them. */
  readonly urlTemplate: string;
  /** `*`, one name, or a comma list; case-insensitive. Empty: no user events. */
  readonly userEventPattern: string;
  readonly systemEvents: readonly SystemEvent[];
}

export interface HubSettings {
  /** Evaluated in order; the first whose selection matches an event handles it. */
  readonly eventHandlers: readonly EventHandlerSettings[];
  readonly anonymousConnectPolicy: 'allow' | 'deny';
  readonly keepAliveIntervalSeconds: number;
}

/** Upstream timing; the defaults follow the service, tests shorten them. */
export interface UpstreamSettings {
  /** Per event, retries included. */
  readonly timeoutMs: number;
  /** Delays before each retry of 408/5xx/network failures. */
  readonly retryDelaysMs: readonly number[];
  readonly validationTimeoutMs: number;
  /** How long a successful abuse-protection validation is trusted. */
  readonly validationTtlMs: number;
  /**
   * Keep-alive connections to one handler origin (scheme, host and port) at most; events beyond
   * wait for one in arrival order, and the wait counts against `timeoutMs`.
   */
  readonly maxConnections: number;
}

/**
 * HTTPS: a certificate and key of the user's (PEM files), or a self-signed development
 * certificate for localhost, 127.0.0.1 and ::1 generated once into `directory` (a per-user cache
 * directory when undefined) and reused while it is valid.
 */
export type TlsSettings =
  | { readonly kind: 'files'; readonly certFile: string; readonly keyFile: string }
  | { readonly kind: 'selfSigned'; readonly directory: string | undefined };

export interface EmulatorConfig {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** One or two keys (primary, secondary): either signs valid tokens; both sign webhooks. */
  readonly accessKeys: readonly string[];
  /** Keyed by hub name as configured; looked up case-insensitively. */
  readonly hubs: Readonly<Record<string, HubSettings>>;
  /** Settings of hubs that are not configured. */
  readonly defaultHub: HubSettings;
  readonly upstream: UpstreamSettings;
  /** Undefined: plain HTTP and WebSocket. */
  readonly tls: TlsSettings | undefined;
  /**
   * Development only: REST accepts bearer tokens addressed to Web PubSub by Microsoft Entra ID
   * (what a `TokenCredential` sends) without verifying their signature; audience and lifetime are
   * still checked.
   */
  readonly allowUnverifiedEntraTokens: boolean;
}

export const MIN_KEEP_ALIVE_SECONDS = 1;
export const MAX_KEEP_ALIVE_SECONDS = 120;
export const MIN_ACCESS_KEY_LENGTH = 32;
export const MAX_ACCESS_KEYS = 2;

/** Hubs that are not configured: no event handlers, no anonymous clients (the service default). */
export const DEFAULT_HUB_SETTINGS: HubSettings = Object.freeze({
  eventHandlers: Object.freeze([]),
  anonymousConnectPolicy: 'deny',
  keepAliveIntervalSeconds: DEFAULT_KEEP_ALIVE_SECONDS,
});

/**
 * Enough for any handler that keeps up: at 1,000 events/s a local handler needs a few dozen. Past
 * that, more connections only add connect and accept work to a machine that is already behind.
 */
export const DEFAULT_UPSTREAM_MAX_CONNECTIONS = 64;

/**
 * The service's upstream timings: 100 s per event, retries after 1, 3 and 5 s, 10 s validation,
 * 1 min cache; and the emulator's own connection limit.
 */
export const DEFAULT_UPSTREAM_SETTINGS: UpstreamSettings = Object.freeze({
  timeoutMs: 100_000,
  retryDelaysMs: Object.freeze([1_000, 3_000, 5_000]),
  validationTimeoutMs: 10_000,
  validationTtlMs: 60_000,
  maxConnections: DEFAULT_UPSTREAM_MAX_CONNECTIONS,
});

/** The settings of `hub` (case-insensitive), or the default hub's. */
export function hubSettingsOf(config: EmulatorConfig, hub: string): HubSettings {
  const wanted = hub.toLowerCase();
  for (const [name, settings] of Object.entries(config.hubs)) {
    if (name.toLowerCase() === wanted) return settings;
  }
  return config.defaultHub;
}
