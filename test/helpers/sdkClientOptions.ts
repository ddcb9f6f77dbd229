import type { WebPubSubClientOptions } from '@azure/web-pubsub-client';

/**
 * `@azure/web-pubsub-client` keeps its keep-alive check timer (40 s) running after `stop()`,
 * which holds a test process open; tests that are not about keep-alive turn it off.
 */
export const NO_KEEP_ALIVE = { keepAliveIntervalInMs: 0, keepAliveTimeoutInMs: 0 } as const satisfies WebPubSubClientOptions;
