import { getServices } from '../services.js';
import type { FunctionDescriptor } from './descriptor.js';
import { eventHandlerFunction } from './eventHandler.js';
import { negotiateFunction } from './negotiate.js';
import { pageFunction } from './page.js';

export type { FunctionDescriptor } from './descriptor.js';

/**
 * Every function of the app. src/index.ts registers them with the Functions host; the local
 * runner and the tests serve them the same way. The page's catch-all route comes last; hosts
 * prefer literal routes anyway.
 */
export const functions: readonly FunctionDescriptor[] = Object.freeze([negotiateFunction, eventHandlerFunction, pageFunction]);

/**
 * Reads and validates the settings and builds the Web PubSub client now, so a missing or bad
 * setting stops the host at start (with the setting's name and the fix) rather than failing
 * the first request.
 */
export function prepareFunctions(): void {
  getServices();
}
