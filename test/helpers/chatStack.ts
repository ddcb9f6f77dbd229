/**
 * The whole chat in-process, on free ports: the emulator (configured like `npm start` does, the
 * hub's event handler pointing at the runner) and the local runner serving the app's registry,
 * with the app's settings in process.env as the Functions host would provide them.
 *
 * The app reads its settings once per process, so a test file starts one stack.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LogLevel } from '@azure/functions';
import { functions, type FunctionDescriptor } from '../../src/functions/index.js';
import type { NegotiateResponse } from '../../src/functions/negotiate.js';
import { createRunner } from '../../runner/server.js';
import { startEmulator, type StartedEmulator } from './emulator.js';

export const CHAT_HUB = 'Sample_ChatApp';

export interface ChatStackOptions {
  /** Sets WEBPUBSUB_WEBHOOK_KEY and, unless `keyInUrl` is false, puts it in the URL template. */
  readonly webhookKey?: string;
  readonly keyInUrl?: boolean;
  /**
   * How long the emulator keeps a dropped reliable session. The client SDK's stop() closes
   * without a status code, which counts as a drop, so its leave is announced when this ends.
   */
  readonly recoveryWindowMs?: number;
  /** More functions for the runner to serve next to the app's (test pages, for instance). */
  readonly extraFunctions?: readonly FunctionDescriptor[];
}

export const TEST_RECOVERY_WINDOW_MS = 500;

export interface ChatStack {
  /** `http://localhost:PORT` of the runner (the chat page and the functions). */
  readonly appUrl: string;
  readonly emulator: StartedEmulator;
  /** What the functions logged (shown when a test fails, otherwise kept quiet). */
  readonly logs: { level: LogLevel; message: string }[];
  negotiate(name: string): Promise<NegotiateResponse>;
  close(): Promise<void>;
}

export async function startChatStack(options: ChatStackOptions = {}): Promise<ChatStack> {
  const logs: ChatStack['logs'] = [];
  const runner: Server = createRunner({ functions: [...functions, ...(options.extraFunctions ?? [])], log: (level, message) => logs.push({ level, message }) });
  await new Promise<void>((resolve) => runner.listen(0, '127.0.0.1', resolve));
  const appPort = (runner.address() as AddressInfo).port;
  const appUrl = `http://localhost:${appPort}`;

  const query = options.webhookKey !== undefined && options.keyInUrl !== false ? `?key=${options.webhookKey}` : '';
  let emulator: StartedEmulator;
  try {
    emulator = await startEmulator({
      recoveryWindowMs: options.recoveryWindowMs ?? TEST_RECOVERY_WINDOW_MS,
      hubs: {
        [CHAT_HUB]: {
          eventHandlers: [{ urlTemplate: `${appUrl}/eventhandler${query}`, userEventPattern: '*', systemEvents: ['connect', 'connected', 'disconnected'] }],
          anonymousConnectPolicy: 'allow',
        },
      },
    });
  } catch (error) {
    runner.close();
    throw error;
  }
  // Read by the app on its first request, as the Functions host would provide them.
  process.env.WebPubSubConnectionString = emulator.connectionString;
  process.env.WEBPUBSUB_HUB = CHAT_HUB;
  if (options.webhookKey !== undefined) process.env.WEBPUBSUB_WEBHOOK_KEY = options.webhookKey;

  return {
    appUrl,
    emulator,
    logs,
    async negotiate(name) {
      const response = await fetch(`${appUrl}/negotiate?id=${encodeURIComponent(name)}`);
      if (!response.ok) throw new Error(`negotiate ${name}: ${response.status} ${await response.text()}`);
      return (await response.json()) as NegotiateResponse;
    },
    async close() {
      await emulator.close();
      runner.closeAllConnections();
      await new Promise((resolve) => runner.close(resolve));
    },
  };
}
