import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { EmulatorConfig } from '../config.js';
import type { EventDispatcher } from '../events/types.js';
import type { LocalHubRegistry } from '../hub/registry.js';
import type { Logger } from '../log.js';
import { rejectUpgrade } from '../respond.js';

export const DEFAULT_RECOVERY_WINDOW_MS = 30_000;

export interface ClientEndpointDeps {
  readonly config: EmulatorConfig;
  readonly hubs: LocalHubRegistry;
  readonly dispatcher: EventDispatcher;
  readonly log: Logger;
  readonly recoveryWindowMs: number;
}

export interface ClientEndpoint {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void;
  close(): Promise<void>;
}

export function createClientEndpoint(_deps: ClientEndpointDeps): ClientEndpoint {
  return {
    handleUpgrade: (_req, socket) => { rejectUpgrade(socket, 501, 'The client endpoint is not available yet.'); },
    close: () => Promise.resolve(),
  };
}
