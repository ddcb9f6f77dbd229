/** The servers under test, each started in its own process pinned to the server core. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SERVER_CPU, startServer, type RunningServer } from './children.js';
import { BENCH_DIST, EMULATOR_MAIN } from './paths.js';
import { DEFAULT_ACCESS_KEY } from './token.js';
import type { Endpoint } from '../generator/clients.js';
import { JSON_SUBPROTOCOL, RELIABLE_SUBPROTOCOL } from '../generator/clients.js';
import type { SystemName } from './options.js';

export const HUB = 'bench';

/** A system as one table row: which server, how it is started, how clients reach it. */
export interface Variant {
  readonly system: SystemName;
  readonly label: string;
  readonly recovery?: boolean;
  readonly subprotocol?: string;
}

export const FANOUT_VARIANTS: Readonly<Record<SystemName, Variant>> = {
  emulator: { system: 'emulator', label: 'emulator (json.webpubsub.azure.v1)', subprotocol: JSON_SUBPROTOCOL },
  socketio: { system: 'socketio', label: 'Socket.IO 4' },
  ws: { system: 'ws', label: 'raw ws' },
};

export const IDLE_VARIANTS: Readonly<Record<SystemName, Variant>> = {
  emulator: { system: 'emulator', label: 'emulator (json.reliable.webpubsub.azure.v1)', subprotocol: RELIABLE_SUBPROTOCOL },
  socketio: { system: 'socketio', label: 'Socket.IO 4' },
  ws: { system: 'ws', label: 'raw ws' },
};

export const CHURN_VARIANTS: readonly Variant[] = [
  { system: 'emulator', label: 'emulator (reliable, recovery)', subprotocol: RELIABLE_SUBPROTOCOL },
  { system: 'socketio', label: 'Socket.IO 4 (default)' },
  { system: 'socketio', label: 'Socket.IO 4 + connectionStateRecovery', recovery: true },
  { system: 'ws', label: 'raw ws (rejoin)' },
];

export interface StartOptions {
  /** Extra arguments for `node` (e.g. --cpu-prof). */
  readonly nodeArgs?: readonly string[];
  /** Emulator: settings file contents (defaults to one hub, no event handlers). */
  readonly emulatorConfig?: unknown;
  readonly env?: NodeJS.ProcessEnv;
}

export function startSystem(variant: Variant, options: StartOptions = {}): Promise<RunningServer> {
  const nodeArgs = options.nodeArgs ?? [];
  switch (variant.system) {
    case 'ws':
      return startServer('raw ws server', { cpu: SERVER_CPU, args: [...nodeArgs, join(BENCH_DIST, 'servers', 'ws-server.js'), '--port', '0'], env: options.env });
    case 'socketio':
      return startServer('Socket.IO server', {
        cpu: SERVER_CPU,
        args: [...nodeArgs, join(BENCH_DIST, 'servers', 'socketio-server.js'), '--port', '0', ...(variant.recovery === true ? ['--recovery'] : [])],
        env: options.env,
      });
    case 'emulator': {
      const dir = mkdtempSync(join(tmpdir(), 'bench-emulator-'));
      const configFile = join(dir, 'emulator.json');
      writeFileSync(configFile, JSON.stringify(options.emulatorConfig ?? defaultEmulatorConfig(), null, 2));
      return removeWhenStopped(
        startServer('emulator', {
          cpu: SERVER_CPU,
          args: [...nodeArgs, EMULATOR_MAIN, '--host', '127.0.0.1', '--port', '0', '--config', configFile],
          env: options.env,
        }),
        dir,
      );
    }
  }
}

/** The server, whose stop() also deletes `dir` (its settings file); deleted at once if it fails to start. */
export async function removeWhenStopped(starting: Promise<RunningServer>, dir: string): Promise<RunningServer> {
  let server: RunningServer;
  try {
    server = await starting;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...server,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function defaultEmulatorConfig(): unknown {
  return {
    hubs: {
      [HUB]: { eventHandlers: [], anonymousConnectPolicy: 'deny' },
    },
  };
}

export function endpointOf(variant: Variant, server: RunningServer): Endpoint {
  return {
    kind: variant.system,
    host: server.host,
    port: server.port,
    hub: HUB,
    accessKey: DEFAULT_ACCESS_KEY,
    ...(variant.subprotocol !== undefined ? { subprotocol: variant.subprotocol } : {}),
  };
}
