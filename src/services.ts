import { randomUUID } from 'node:crypto';
import type { Stamp } from './chat/payloads.js';
import { getConfig, type ChatConfig } from './config.js';
import { contentSecurityPolicy } from './http/contentSecurityPolicy.js';
import { createStaticFiles, DEFAULT_PUBLIC_DIR, type StaticFiles } from './http/staticFiles.js';
import { createChatHub, type ChatHub } from './webpubsub/chatHub.js';
import { createServiceClient } from './webpubsub/serviceClient.js';
import { createReplayGuard, type ReplayGuard } from './webhook/replayGuard.js';

/** Everything the functions share within one process: built once, on first use. */
export interface Services {
  readonly config: ChatConfig;
  readonly chatHub: ChatHub;
  readonly replayGuard: ReplayGuard;
  readonly staticFiles: StaticFiles;
  readonly contentSecurityPolicy: string;
  readonly stamp: () => Stamp;
}

export function createServices(config: ChatConfig, publicDir: string = DEFAULT_PUBLIC_DIR): Services {
  return Object.freeze({
    config,
    chatHub: createChatHub(createServiceClient(config.webPubSub, config.hub)),
    replayGuard: createReplayGuard(),
    staticFiles: createStaticFiles(publicDir),
    contentSecurityPolicy: contentSecurityPolicy(config.webPubSub.endpoint),
    stamp: () => ({ id: randomUUID(), time: new Date().toISOString() }),
  });
}

let services: Services | undefined;

/** The process's services; the first call reads and validates the settings (throws ConfigError). */
export function getServices(): Services {
  services ??= createServices(getConfig());
  return services;
}
