/**
 * Which event handler an event goes to: hub settings are looked up case-insensitively (unknown hubs
 * use the default hub's settings), and the first handler of the hub whose selection matches wins.
 * Everything is compiled once, at start.
 */
import type { EmulatorConfig, EventHandlerSettings, HubSettings, SystemEvent } from '../config.js';
import { compileUrlTemplate, type UrlTemplate } from './urlTemplate.js';

export interface SelectedHandler {
  readonly url: UrlTemplate;
}

export interface HandlerSelector {
  /** `hubKey` is the lower-cased hub name. */
  forSystemEvent(hubKey: string, event: SystemEvent): SelectedHandler | undefined;
  forUserEvent(hubKey: string, eventName: string): SelectedHandler | undefined;
}

interface CompiledHandler extends SelectedHandler {
  readonly systemEvents: ReadonlySet<SystemEvent>;
  /** Lower-cased names, or 'all' for `*`. */
  readonly userEvents: ReadonlySet<string> | 'all';
}

/** Throws an Error naming the setting when a URL template is unusable. */
export function createHandlerSelector(config: Pick<EmulatorConfig, 'hubs' | 'defaultHub'>): HandlerSelector {
  const hubs = new Map<string, readonly CompiledHandler[]>();
  for (const [name, settings] of Object.entries(config.hubs)) {
    hubs.set(name.toLowerCase(), compileHub(settings, `hubs.${name}`));
  }
  const defaultHub = compileHub(config.defaultHub, 'defaultHub');
  const handlersOf = (hubKey: string): readonly CompiledHandler[] => hubs.get(hubKey) ?? defaultHub;

  return {
    forSystemEvent(hubKey, event) {
      return handlersOf(hubKey).find((handler) => handler.systemEvents.has(event));
    },
    forUserEvent(hubKey, eventName) {
      const name = eventName.toLowerCase();
      return handlersOf(hubKey).find((handler) => handler.userEvents === 'all' || handler.userEvents.has(name));
    },
  };
}

function compileHub(settings: HubSettings, setting: string): readonly CompiledHandler[] {
  return settings.eventHandlers.map((handler, index) => compileHandler(handler, `${setting}.eventHandlers[${index}]`));
}

function compileHandler(handler: EventHandlerSettings, setting: string): CompiledHandler {
  let url: UrlTemplate;
  try {
    url = compileUrlTemplate(handler.urlTemplate);
  } catch (error) {
    throw new Error(`${setting}.urlTemplate: ${(error as Error).message}`);
  }
  return { url, systemEvents: new Set(handler.systemEvents), userEvents: parseUserEventPattern(handler.userEventPattern) };
}

/** `*`, one name, or a comma list; case-insensitive. An empty pattern selects no user event. */
export function parseUserEventPattern(pattern: string): ReadonlySet<string> | 'all' {
  const names = pattern.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  return names.includes('*') ? 'all' : new Set(names);
}
