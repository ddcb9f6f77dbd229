export { createEventDispatcher, type ClosableEventDispatcher, type EventDispatcherDeps } from './dispatcher.js';
export type {
  ConnectOutcome,
  ConnectRequest,
  EventDispatcher,
  MultiMap,
  UpstreamConnection,
  UserEventOutcome,
} from './types.js';
