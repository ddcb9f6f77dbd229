/**
 * Starts the emulator in-process on a free port with upstream timings short enough for tests.
 * Every test that needs the emulator goes through `startEmulator` and closes what it started.
 */
import type { SystemEvent } from '../../emulator/config.js';
import { buildConfig } from '../../emulator/configInput.js';
import type { HubRegistry } from '../../emulator/hub/types.js';
import { createConsoleLogger, type LogLevel, type Logger } from '../../emulator/log.js';
import { createEmulator } from '../../emulator/server.js';

/** The JSON config file's shape (see emulator/README.md). */
export interface EmulatorSettingsJson {
  port: number;
  host: string;
  accessKeys: string[];
  hubs: Record<string, HubSettingsJson>;
  defaultHub: HubSettingsJson;
  upstream: { timeoutMs: number; retryDelaysMs: number[]; validationTimeoutMs: number; validationTtlMs: number; maxConnections: number };
  tls: { certFile: string; keyFile: string; selfSigned: boolean; directory: string };
  allowUnverifiedEntraTokens: boolean;
}

export interface HubSettingsJson {
  eventHandlers: { urlTemplate: string; userEventPattern?: string; systemEvents?: SystemEvent[] }[];
  anonymousConnectPolicy: 'allow' | 'deny';
  keepAliveIntervalSeconds: number;
}

export type DeepPartial<T> = T extends readonly (infer Item)[]
  ? DeepPartial<Item>[]
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

export type StartEmulatorOptions = DeepPartial<EmulatorSettingsJson> & {
  /** Defaults to a silent logger; set EMULATOR_TEST_LOG=debug to see the emulator's log. */
  log?: Logger;
  /** How long a dropped reliable session may be recovered (the service's 30 s by default). */
  recoveryWindowMs?: number;
};

export interface StartedEmulator {
  /** `http://localhost:PORT` (`https://` with TLS) */
  endpoint: string;
  /** With TLS: the certificate file the server presents (trust it to connect). */
  certFile: string | undefined;
  port: number;
  /** `Endpoint=http(s)://localhost:PORT;AccessKey=...;Version=1.0;` */
  connectionString: string;
  /** The primary access key. */
  accessKey: string;
  hubs: HubRegistry;
  close(): Promise<void>;
}

/** Test timings: fail fast, retry quickly. */
const TEST_UPSTREAM = { timeoutMs: 2_000, retryDelaysMs: [50, 100, 200], validationTimeoutMs: 1_000, validationTtlMs: 60_000 };

export async function startEmulator(options: StartEmulatorOptions = {}): Promise<StartedEmulator> {
  const { log, recoveryWindowMs, ...settings } = options;
  const result = buildConfig(
    { port: 0, host: 'localhost', ...settings, upstream: { ...TEST_UPSTREAM, ...settings.upstream } },
    'startEmulator options',
  );
  if (!result.ok) throw new Error(`Invalid emulator settings:\n${result.problems.join('\n')}`);
  const { config } = result;
  const level = process.env.EMULATOR_TEST_LOG as LogLevel | undefined;
  const emulator = createEmulator(config, {
    log: log ?? createConsoleLogger(level ?? 'silent'),
    ...(recoveryWindowMs === undefined ? {} : { recoveryWindowMs }),
  });
  const { port, endpoint, tls } = await emulator.listen();
  const accessKey = config.accessKeys[0] ?? '';
  return {
    endpoint,
    certFile: tls?.certFile,
    port,
    connectionString: `Endpoint=${endpoint};AccessKey=${accessKey};Version=1.0;`,
    accessKey,
    hubs: emulator.hubs,
    close: () => emulator.close(),
  };
}
