import { createHub, type LocalHub } from './hub.js';
import type { HubRegistry } from './types.js';

export interface LocalHubRegistry extends HubRegistry {
  get(name: string): LocalHub;
  /** Every hub created so far (for shutdown). */
  all(): IterableIterator<LocalHub>;
}

/** Hubs by lower-cased name, created empty on first use; `Hub.name` is the lower-cased name. */
export function createHubRegistry(): LocalHubRegistry {
  const hubs = new Map<string, LocalHub>();
  return {
    get(name) {
      const key = name.toLowerCase();
      let hub = hubs.get(key);
      if (hub === undefined) {
        hub = createHub(key);
        hubs.set(key, hub);
      }
      return hub;
    },
    all: () => hubs.values(),
  };
}
